/** The offline Forge runtime (see runtime.ts). Used by `npm start` and the tests only. */
export { ForgeRuntime, InvocationTimeoutError, MAX_PAYLOAD_BYTES } from './runtime';
export type { ForgeRuntimeOptions, Invocation } from './runtime';
export { offlineLicense, parseOfflineLicenceState } from './installation';
export type { Installation, OfflineLicenceState } from './installation';
export type { WebTriggerResult } from './web-triggers';
export { readManifest, parseManifest, resolveHandler } from './manifest';
export type { AppManifest } from './manifest';
export { noExternalHosts, noProducts } from './network';
export type { ExternalBackend, ProductBackend, ProductRequest } from './network';
export { createUiHost, nodes, openPage, textOf } from './ui-host';
export type { ForgeDoc, UiHost } from './ui-host';
