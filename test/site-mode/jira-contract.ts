/**
 * Checks a request against Jira Cloud's platform REST API v3,
 * ../shared/specs/jira-platform-swagger-v3.v3.json (read, never copied): the operation exists
 * and is not deprecated, every query parameter is declared and the required ones are sent, a
 * body is sent exactly when the operation takes one, as JSON, with its required fields and no
 * undeclared ones.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SentRequest } from './support';

export const JIRA_SPEC = path.resolve(__dirname, '../../../shared/specs/jira-platform-swagger-v3.v3.json');

export function jiraSpecMissing(): string | undefined {
  return fs.existsSync(JIRA_SPEC)
    ? undefined
    : `skipped: ${path.relative(process.cwd(), JIRA_SPEC)} (the Jira REST v3 spec) is not beside this repository`;
}

interface Schema {
  $ref?: string;
  required?: string[];
  properties?: Record<string, unknown>;
  additionalProperties?: unknown;
}
interface Operation {
  deprecated?: boolean;
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** Paths outside the REST spec the adapter may call, and why. */
const OUTSIDE_SPEC: Record<string, string> = {
  '/_edge/tenant_info': "the site's public cloud ID lookup (no credential involved)",
};

export class JiraContract {
  private readonly spec: Spec = JSON.parse(fs.readFileSync(JIRA_SPEC, 'utf8')) as Spec;

  check(request: SentRequest): { operation: string; problems: string[] } {
    const route = request.url.pathname;
    const method = request.method.toLowerCase();
    if (OUTSIDE_SPEC[route])
      return { operation: `${request.method} ${route} (outside the spec)`, problems: [] };
    const match = Object.entries(this.spec.paths).find(([template, ops]) => {
      const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      return re.test(route) && ops[method] !== undefined;
    });
    if (!match)
      return {
        operation: `${request.method} ${route}`,
        problems: [`${request.method} ${route}: not in the Jira v3 spec`],
      };
    const [template, ops] = match;
    const op = ops[method];
    const operation = `${request.method} ${template} (${op.operationId ?? '?'})`;
    const problems: string[] = [];
    const say = (text: string) => problems.push(`${operation}: ${text}`);
    if (op.deprecated) say('is deprecated');
    const query = (op.parameters ?? []).filter((p) => p.in === 'query');
    for (const key of new Set(request.url.searchParams.keys())) {
      if (!query.some((p) => p.name === key)) say(`query parameter ${key} is not declared`);
    }
    for (const p of query) {
      if (p.required && !request.url.searchParams.has(p.name))
        say(`required query parameter ${p.name} is missing`);
    }
    const contentType = Object.entries(request.headers).find(
      ([k]) => k.toLowerCase() === 'content-type',
    )?.[1];
    if (!op.requestBody) {
      if (request.body !== undefined) say('sends a body but the operation takes none');
    } else if (request.body === undefined) {
      if (op.requestBody.required) say('sends no body but one is required');
    } else {
      if (!(contentType ?? '').startsWith('application/json'))
        say(`Content-Type ${contentType ?? '(none)'} is not JSON`);
      let schema = op.requestBody.content['application/json']?.schema ?? {};
      while (schema.$ref) schema = this.spec.components.schemas[schema.$ref.split('/').pop() as string] ?? {};
      const body = JSON.parse(request.body) as Record<string, unknown>;
      for (const field of schema.required ?? []) if (!(field in body)) say(`body field ${field} is required`);
      if (schema.properties && !schema.additionalProperties) {
        for (const field of Object.keys(body))
          if (!(field in schema.properties)) say(`body field ${field} is not declared`);
      }
    }
    return { operation, problems };
  }
}
