/**
 * Composition: the one place that wires the SCIM service to a store and a token source.
 * The Forge entry points and the local server both call it, with their own adapters.
 */
import { Directory, DirectoryOptions } from './directory/directory';
import { TokenHashSource, TokenVerifier } from './scim/auth';
import { Logger } from './scim/resources/common';
import { ScimService } from './scim/service';
import { EntityStore } from './storage/port';
import { toScimRequest, toWebTriggerResponse, WebTriggerEvent, WebTriggerResponse } from './webtrigger/event';

export interface AppOptions extends DirectoryOptions {
  store: EntityStore;
  tokens: TokenHashSource;
  logger?: Logger;
  scanLimit?: number;
  /**
   * The SCIM base URL when the runtime knows it better than the request headers do (on Forge:
   * the web trigger's own URL). Falls back to the URL the request headers describe.
   */
  baseUrl?: () => Promise<string | undefined>;
}

export interface App {
  directory: Directory;
  scim: ScimService;
  handleWebTrigger(event: WebTriggerEvent): Promise<WebTriggerResponse>;
}

export function createApp(options: AppOptions): App {
  const directory = new Directory(options.store, options);
  const scim = new ScimService({
    directory,
    tokens: new TokenVerifier(options.tokens),
    logger: options.logger,
    scanLimit: options.scanLimit,
  });
  return {
    directory,
    scim,
    handleWebTrigger: async (event) => {
      const request = toScimRequest(event);
      const known = await options.baseUrl?.().catch(() => undefined);
      if (known) request.baseUrl = known.replace(/\/+$/, '');
      return toWebTriggerResponse(await scim.handle(request));
    },
  };
}
