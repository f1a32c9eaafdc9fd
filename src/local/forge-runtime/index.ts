/** The offline Forge runtime (see runtime.ts). Used by `npm start` and the tests only. */
export {
  ForgeRuntime,
  InvocationTimeoutError,
  MAX_PAYLOAD_BYTES,
  offlineLicense,
  parseOfflineLicenceState,
} from './runtime';
export type {
  ForgeRuntimeOptions,
  Installation,
  Invocation,
  OfflineLicenceState,
  WebTriggerResult,
} from './runtime';
export { readManifest, parseManifest, resolveHandler } from './manifest';
export type { AppManifest } from './manifest';
export { noExternalHosts, noProducts } from './network';
export type { ExternalBackend, ProductBackend, ProductRequest } from './network';
export { createUiHost, nodes, openPage, textOf } from './ui-host';
export type { ForgeDoc, UiHost } from './ui-host';
