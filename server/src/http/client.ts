// Who a client is, for per-client limits (creation rate, live sessions, sockets awaiting auth).
// Behind a reverse proxy fastify's trustProxy (proxy-addr) walks X-Forwarded-For from the right,
// trusting only the configured hops or proxy addresses, so the left-most entry a client wrote
// itself is never believed. IPv6 clients are grouped by /64 (one host usually owns a whole /64).
import { isIP } from 'node:net';
import { InvalidArgumentError } from 'commander';

/** `--trust-proxy`: a hop count ("1") or a comma-separated list of proxy addresses/CIDRs */
export type TrustProxy = number | string[];

export function parseTrustProxy(v: string): TrustProxy {
  const s = v.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > 10) throw new InvalidArgumentError('--trust-proxy: a hop count must be from 1 to 10');
    return n;
  }
  const list = s.split(',').map((x) => x.trim()).filter(Boolean);
  if (!list.length) throw new InvalidArgumentError('--trust-proxy: give a hop count or proxy addresses');
  for (const a of list) {
    const [addr, bits, extra] = a.split('/');
    const family = isIP(addr ?? '');
    const okBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    if (!family || !okBits || extra !== undefined) throw new InvalidArgumentError(`--trust-proxy: "${a}" is neither a hop count nor an IP address or CIDR`);
  }
  return list;
}

/** fastify's `trustProxy` for a TrustProxy (a hop count becomes proxy-addr's trust function: the n addresses nearest the socket) */
export function fastifyTrustProxy(tp: boolean | TrustProxy): boolean | string[] | ((addr: string, hop: number) => boolean) {
  return typeof tp === 'number' ? (_addr, hop) => hop < tp : tp;
}

/** the key per-client limits count under: an IPv4 address, or an IPv6 /64 ("2001:db8:1:2::/64") */
export function clientKey(ip: string): string {
  const addr = ip.split('%')[0]!.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(addr);
  if (mapped) return mapped[1]!;
  if (isIP(addr) !== 6) return addr;
  return `${expand6(addr).slice(0, 4).join(':')}::/64`;
}

function expand6(addr: string): string[] {
  let s = addr;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = v4[1]!.split('.').map(Number);
    s = s.slice(0, -v4[1]!.length) + `${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => (parseInt(g, 16) || 0).toString(16));
}
