// Which names this server answers to (DNS rebinding: a hostile page whose name resolves to this
// server must not reach the API or drive a terminal from the learner's browser). Requests whose
// Host is not allowed get 421; WebSocket upgrades and state-changing requests whose Origin is not
// allowed get 403.
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { FastifyInstance } from 'fastify';

export interface HostPolicy {
  /** the address the server listens on (a wildcard admits the machine's own addresses) */
  listen?: string;
  /** public URLs the server is reached at (e.g. https://labs.example.org) */
  publicUrls?: string[];
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** lower-case host names (IPv6 without brackets) this server answers to */
export function allowedHosts(policy: HostPolicy): Set<string> {
  const out = new Set(['localhost', '127.0.0.1', '::1']);
  const listen = (policy.listen ?? '127.0.0.1').toLowerCase().replace(/^\[|\]$/g, '');
  if (!WILDCARDS.has(listen)) out.add(listen);
  else for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address.toLowerCase().split('%')[0]!);
  for (const u of policy.publicUrls ?? []) out.add(new URL(u).hostname.toLowerCase().replace(/^\[|\]$/g, ''));
  return out;
}

/** the host name of a Host header ("a.b:8080" → "a.b", "[::1]:80" → "::1"); undefined when malformed */
export function hostOf(header: string | undefined): string | undefined {
  if (!header || header.length > 300) return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/\s@]+))(?::(\d{1,5}))?$/.exec(header.trim());
  if (!m) return undefined;
  const name = (m[1] ?? m[2]!).toLowerCase();
  if (m[1] && isIP(name) !== 6) return undefined;
  return name.replace(/\.$/, '');
}

export function installHostGuard(app: FastifyInstance, policy: HostPolicy): Set<string> {
  const allowed = allowedHosts(policy);
  const originAllowed = (origin: string): boolean => {
    try {
      const u = new URL(origin);
      return (u.protocol === 'http:' || u.protocol === 'https:') && allowed.has(u.hostname.toLowerCase().replace(/^\[|\]$/g, ''));
    } catch {
      return false;
    }
  };
  app.addHook('onRequest', async (req, reply) => {
    const host = hostOf(req.headers.host);
    if (host === undefined) return reply.code(400).send({ error: 'bad_request', message: 'the Host header is missing or malformed' });
    if (!allowed.has(host)) {
      return reply.code(421).send({ error: 'misdirected', message: `this server does not answer to "${host}" (start it with --public-url to add a name)` });
    }
    const origin = req.headers.origin;
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    const changes = req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS';
    if (origin !== undefined && (upgrade || changes) && !originAllowed(origin)) {
      return reply.code(403).send({ error: 'forbidden_origin', message: `requests from the page at ${origin.slice(0, 100)} are not allowed` });
    }
  });
  return allowed;
}
