/** Calling the embedded organization in tests: JSON in, parsed JSON out. */
import { EmbeddedOrganization, EmbeddedOrgOptions } from '../../src/local/embedded-org';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  // Parsed JSON of the answer; tests read it loosely, as a client would.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form JSON under test
  body: any;
  timeout?: { applied: boolean };
}

export function client(org: EmbeddedOrganization) {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const answer = await org.handle({
      method,
      path: path.startsWith('/admin') ? path : `/admin${path}`,
      headers: {
        authorization: `Bearer ${org.apiKey}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return {
      status: answer.status,
      headers: answer.headers,
      body: answer.body ? (JSON.parse(answer.body) as unknown) : undefined,
      ...(answer.timeout ? { timeout: answer.timeout } : {}),
    };
  };
  const o = `/v2/orgs/${org.orgId}`;
  const d = `${o}/directories/${org.directoryId}`;
  return {
    call,
    o,
    d,
    /** The account ID of an e-mail, through the API. */
    async accountOf(email: string): Promise<string | undefined> {
      const found = await call('POST', `${d}/users/search`, { emails: [email] });
      return (found.body.data as { accountId: string }[])[0]?.accountId;
    },
    /** The ID of a group by name, through the API. */
    async groupOf(name: string): Promise<string | undefined> {
      const found = await call('POST', `${d}/groups/search`, { groupNames: [name] });
      return (found.body.data as { id: string }[])[0]?.id;
    },
  };
}

export function newOrg(options: EmbeddedOrgOptions = {}): EmbeddedOrganization {
  return new EmbeddedOrganization({ faults: { seed: 1 }, ...options });
}
