// IPv4 subnets for lab lint and route checks, on ipaddr.js (the parser fastify's proxy-addr uses).
import ipaddr from 'ipaddr.js';

export interface Subnet {
  /** "192.168.15.0/24" for "192.168.15.7/24" */
  canonical: string;
  prefix: number;
  /** the address given had bits set past the prefix */
  hostBitsSet: boolean;
  contains(ip: string): boolean;
  isNetworkAddress(ip: string): boolean;
  isBroadcastAddress(ip: string): boolean;
  overlaps(other: Subnet): boolean;
}

/** an IPv4 subnet "a.b.c.d/n"; throws on anything else (lab subnets are schema-checked first) */
export function subnet(cidr: string): Subnet {
  const [given, prefix] = ipaddr.IPv4.parseCIDR(cidr);
  const network = ipaddr.IPv4.networkAddressFromCIDR(cidr);
  const broadcast = ipaddr.IPv4.broadcastAddressFromCIDR(cidr);
  const range: [ipaddr.IPv4, number] = [network, prefix];
  const same = (ip: string, a: ipaddr.IPv4) => ipaddr.IPv4.isValidFourPartDecimal(ip) && ipaddr.IPv4.parse(ip).toString() === a.toString();
  return {
    canonical: `${network.toString()}/${prefix}`,
    prefix,
    hostBitsSet: given.toString() !== network.toString(),
    contains: (ip) => ipaddr.IPv4.isValidFourPartDecimal(ip) && ipaddr.IPv4.parse(ip).match(range),
    isNetworkAddress: (ip) => same(ip, network),
    isBroadcastAddress: (ip) => same(ip, broadcast),
    overlaps(other) {
      const [o, op] = ipaddr.IPv4.parseCIDR(other.canonical);
      return network.match(o, op) || o.match(range);
    },
  };
}

/** "10.0.2.7/24" → "10.0.2.0/24", "10.9.9.9" → "10.9.9.9/32"; undefined when not an IPv4 prefix */
export function canonicalCidr(text: string): string | undefined {
  const cidr = text.includes('/') ? text : `${text}/32`;
  const [addr] = cidr.split('/');
  if (!ipaddr.IPv4.isValidFourPartDecimal(addr ?? '')) return undefined;
  try {
    return subnet(cidr).canonical;
  } catch {
    return undefined;
  }
}
