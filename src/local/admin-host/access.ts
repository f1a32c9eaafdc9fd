/**
 * Who may reach the local admin page. It acts as a site admin (it can generate a SCIM
 * token), so it answers only requests from this machine, addressed to this machine by name
 * (a page elsewhere cannot point a hostname at 127.0.0.1 and read it: DNS rebinding), and
 * bridge calls only from its own origin.
 */
import type http from 'node:http';

const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why the request is refused, or undefined when it may proceed. */
export function refusal(request: http.IncomingMessage): string | undefined {
  const address = request.socket.remoteAddress ?? '';
  if (!LOOPBACK_ADDRESSES.has(address))
    return 'The local admin page answers only on this machine (127.0.0.1).';
  const host = hostName(request.headers.host);
  if (!host || !LOOPBACK_HOSTS.has(host))
    return 'Open the local admin page as http://127.0.0.1:<port>/admin.';
  return undefined;
}

/** For the bridge: a JSON POST from the page's own origin (a cross-site form cannot send JSON). */
export function bridgeRefusal(request: http.IncomingMessage): string | undefined {
  if (request.method !== 'POST') return 'The bridge takes POST only.';
  const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') return 'The bridge takes application/json only.';
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `http://${request.headers.host}`)
    return 'The bridge answers only the admin page itself.';
  return undefined;
}

function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  return header.split(':')[0].toLowerCase();
}
