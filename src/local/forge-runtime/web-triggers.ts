/**
 * Web triggers offline: the URL each trigger answers (`<baseUrl><path of the trigger>`, what
 * `webTrigger.getUrl` gives), the platform GraphQL calls of @forge/api's webTrigger that
 * create, delete and list those URLs, and how Forge checks a web trigger function's answer
 * (ForgeRuntime.invokeWebTrigger runs the function).
 */
import { jsonResponse } from './network';

export interface WebTriggerResult {
  statusCode: number;
  headers: Record<string, string[]>;
  body?: string;
}

/** The web trigger URLs of one installation. */
export class WebTriggerUrls {
  private baseUrl?: string;
  private readonly deletedUrls = new Set<string>();

  constructor(
    private readonly triggers: ReadonlyArray<{ key: string }>,
    baseUrl: string | undefined,
    /** URL path of each web trigger under the base URL (default /x1/<module key>). */
    readonly paths: Record<string, string>,
  ) {
    this.baseUrl = baseUrl?.replace(/\/+$/, '');
  }

  /** Where the local server listens, e.g. http://127.0.0.1:8787 (unknown until it does). */
  get base(): string | undefined {
    return this.baseUrl;
  }

  setBaseUrl(url: string): void {
    this.baseUrl = url.replace(/\/+$/, '');
  }

  /** The URL `webTrigger.getUrl(moduleKey)` answers. */
  url(moduleKey: string): string | undefined {
    if (!this.baseUrl) return undefined;
    return `${this.baseUrl}${this.paths[moduleKey] ?? `/x1/${moduleKey}`}`;
  }

  /** Whether `webTrigger.deleteUrl` deleted this URL. */
  isDeleted(url: string): boolean {
    return this.deletedUrls.has(url);
  }

  /** The platform GraphQL calls of @forge/api's webTrigger: create, delete, list URLs. */
  graphql(request: unknown): Response {
    const { query = '', variables = {} } = (request ?? {}) as {
      query?: string;
      variables?: Record<string, unknown>;
    };
    if (query.includes('createWebTriggerUrl')) {
      const input = (variables.input ?? {}) as { triggerKey?: string };
      const key = String(input.triggerKey);
      if (!this.triggers.some((w) => w.key === key)) {
        return jsonResponse(200, {
          data: null,
          errors: [{ message: `No web trigger ${key} in manifest.yml.` }],
        });
      }
      const url = this.url(key);
      if (!url)
        return new Response('The local server is not listening yet.', {
          status: 503,
          statusText: 'Service Unavailable',
        });
      this.deletedUrls.delete(url);
      return jsonResponse(200, { data: { createWebTriggerUrl: { url } } });
    }
    if (query.includes('deleteWebTriggerUrl')) {
      const url = this.triggers
        .map((w) => this.url(w.key))
        .find((u) => u?.endsWith(`/${String(variables.id)}`));
      if (url) this.deletedUrls.add(url);
      return jsonResponse(200, {
        data: {
          deleteWebTriggerUrl: url
            ? { success: true }
            : { success: false, message: 'Unknown web trigger URL.' },
        },
      });
    }
    if (query.includes('webTriggerUrlsByAppContext')) {
      const urls = this.triggers
        .map((w) => ({ triggerKey: w.key, url: this.url(w.key) }))
        .filter((u) => u.url && !this.deletedUrls.has(u.url));
      return jsonResponse(200, { data: { webTriggerUrlsByAppContext: urls } });
    }
    return jsonResponse(200, {
      data: null,
      errors: [{ message: 'The offline Forge runtime does not emulate this query.' }],
    });
  }
}

export function platformError(statusCode: number, message: string): WebTriggerResult {
  return {
    statusCode,
    headers: { 'Content-Type': ['application/json'] },
    body: JSON.stringify({ message }),
  };
}

/** A function's answer as Forge accepts it, or undefined when Forge would answer 500. */
export function webTriggerResponse(result: unknown): WebTriggerResult | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const { statusCode, headers, body } = result as Record<string, unknown>;
  if (
    typeof statusCode !== 'number' ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599
  ) {
    return undefined;
  }
  if (body !== undefined && typeof body !== 'string') return undefined;
  const checked: Record<string, string[]> = {};
  if (headers !== undefined) {
    if (typeof headers !== 'object' || headers === null) return undefined;
    for (const [name, values] of Object.entries(headers)) {
      if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) return undefined;
      checked[name] = values as string[];
    }
  }
  return { statusCode, headers: checked, ...(body !== undefined ? { body } : {}) };
}
