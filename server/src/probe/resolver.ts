// Name resolution the way a sandbox host would do it (nsswitch `hosts:` order, its /etc/hosts, its
// resolv.conf with search and ndots; inside `ip netns exec NAME`, /etc/netns/NAME/* first), from
// files read out-of-band. DNS questions go to the sandbox's own name servers from inside its netns.
// Never the server's resolver.
import { isIP } from 'node:net';

export interface ResolverFiles {
  nsswitch?: string;
  hosts?: string;
  resolvConf?: string;
}

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  ndots: number;
}

export function parseResolvConf(text = ''): ResolvConf {
  const out: ResolvConf = { nameservers: [], search: [], ndots: 1 };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0] && isIP(rest[0])) out.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.search = rest;
    else if (key === 'options') {
      for (const o of rest) {
        const n = /^ndots:(\d+)$/.exec(o);
        if (n) out.ndots = Math.min(Number(n[1]), 15);
      }
    }
  }
  if (out.nameservers.length === 0) out.nameservers.push('127.0.0.1');
  return out;
}

export interface HostsEntry {
  address: string;
  names: string[];
}

export function parseHosts(text = ''): HostsEntry[] {
  const out: HostsEntry[] = [];
  for (const raw of text.split('\n')) {
    const [address, ...names] = raw.replace(/#.*$/, '').trim().split(/\s+/);
    if (address && names.length && isIP(address)) out.push({ address, names: names.map((n) => n.toLowerCase()) });
  }
  return out;
}

/** The `hosts:` sources of nsswitch.conf with their `[NOTFOUND=return]` actions; glibc's default when absent. */
export function parseNsswitchHosts(text: string | undefined): Array<{ source: string; returnOnNotFound: boolean }> {
  const line = text?.split('\n').find((l) => /^\s*hosts\s*:/.test(l));
  const spec = line ? line.replace(/#.*$/, '').replace(/^\s*hosts\s*:/, '').trim() : 'files dns';
  const out: Array<{ source: string; returnOnNotFound: boolean }> = [];
  for (const tok of spec.match(/\[[^\]]*\]|\S+/g) ?? []) {
    if (tok.startsWith('[')) {
      const last = out.at(-1);
      if (last && /!?NOTFOUND\s*=\s*return/i.test(tok) && !/!NOTFOUND/i.test(tok)) last.returnOnNotFound = true;
    } else out.push({ source: tok, returnOnNotFound: false });
  }
  return out;
}

/** Names to ask DNS for, in glibc's order (search list before or after the name by ndots). */
export function dnsCandidates(name: string, conf: ResolvConf): string[] {
  if (name.endsWith('.')) return [name];
  const dots = name.split('.').length - 1;
  const searched = conf.search.map((d) => `${name}.${d.replace(/\.$/, '')}`);
  return dots >= conf.ndots ? [name, ...searched] : [...searched, name];
}

export function lookupHosts(entries: HostsEntry[], name: string, family: 4 | 6 | 0 = 4): string | undefined {
  const n = name.toLowerCase().replace(/\.$/, '');
  const hits = entries.filter((e) => e.names.includes(n)).map((e) => e.address);
  return family === 0 ? hits[0] : (hits.find((a) => isIP(a) === family) ?? hits[0]);
}

export type DnsAsk = (server: string, qname: string) => Promise<string | undefined>;

export interface Resolution {
  address?: string;
  /** how it was found ("/etc/hosts", "dns 10.96.0.10") or why not */
  via: string;
}

export async function resolveLikeHost(name: string, files: ResolverFiles, ask: DnsAsk): Promise<Resolution> {
  if (isIP(name)) return { address: name, via: 'literal' };
  const tried: string[] = [];
  for (const { source, returnOnNotFound } of parseNsswitchHosts(files.nsswitch)) {
    if (source === 'files') {
      const a = lookupHosts(parseHosts(files.hosts), name);
      if (a) return { address: a, via: '/etc/hosts' };
      tried.push('/etc/hosts');
    } else if (source === 'dns') {
      const conf = parseResolvConf(files.resolvConf);
      const server = conf.nameservers[0]!;
      for (const q of dnsCandidates(name, conf)) {
        const a = await ask(server, q);
        if (a) return { address: a, via: `dns ${server}` };
      }
      tried.push(`dns ${server}`);
    } else continue;
    if (returnOnNotFound) break;
  }
  return { via: `${name} does not resolve (tried ${tried.join(', ') || 'no source'})` };
}
