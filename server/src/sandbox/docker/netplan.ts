// The network plan of a sandbox: which host is on which network with which address, and the
// script that applies it inside a host (Docker never learns the lab's addresses: see provider.ts).
import type { Lab } from '../../labs/schema.js';
import { DEFAULT_NETWORK } from './names.js';

export interface PlannedNetwork {
  name: string;
  /** undefined for the default network: the hosts keep the addresses Docker gave them */
  prefix?: number;
  gateway?: string;
  /** host → fixed address (declared networks only) */
  addresses: Record<string, string>;
  hosts: string[];
}

export function planNetworks(lab: Lab): PlannedNetwork[] {
  const hosts = lab.environment.hosts.map((h) => h.name);
  const declared = lab.environment.networks;
  if (declared.length === 0) return [{ name: DEFAULT_NETWORK, addresses: {}, hosts }];
  return declared.map((n) => ({
    name: n.name,
    prefix: Number(n.subnet.split('/')[1]),
    gateway: n.gateway,
    addresses: { ...n.hosts },
    // keep the lab's host order so that eth0, eth1 … follow the network order on every host
    hosts: hosts.filter((h) => h in n.hosts),
  }));
}

/** One interface of one host, as Docker created it. */
export interface HostInterface {
  network: string;
  mac: string;
  /** "10.240.3.2/24" as Docker assigned it (used when the lab gives no address) */
  dockerAddress?: string;
  /** "192.168.10.1/24" the lab's fixed address */
  labAddress?: string;
  gateway?: string;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The script run once in each host after start: rename the interfaces to eth0, eth1 … in network
 * order (found by the MAC Docker assigned), replace Docker's address with the lab's, drop Docker's
 * default route (the networks are internal: there is nothing behind it), write /etc/hosts and an
 * /etc/resolv.conf that resolves nothing outside the sandbox.
 */
export function hostSetupScript(ifaces: HostInterface[], etcHosts: string, hostname: string): string {
  const lines = [
    'set -eu',
    // net.* sysctls are per network namespace; the entrypoint does this too, but images not built
    // FROM netbox may not
    'mount -o remount,rw /proc/sys 2>/dev/null || true',
    'byMac() { for d in /sys/class/net/*; do [ "$(cat "$d/address" 2>/dev/null)" = "$1" ] && { basename "$d"; return 0; }; done; echo "no interface with MAC $1" >&2; return 1; }',
  ];
  ifaces.forEach((f, i) => {
    lines.push(`d=$(byMac ${q(f.mac.toLowerCase())}); ip link set dev "$d" down; ip link set dev "$d" name lctmp${i}`);
  });
  ifaces.forEach((f, i) => {
    const dev = `eth${i}`;
    lines.push(`ip link set dev lctmp${i} name ${dev}`);
    const addr = f.labAddress ?? f.dockerAddress;
    lines.push(`ip -4 addr flush dev ${dev}`);
    if (addr) lines.push(`ip addr add ${q(addr)} dev ${dev}`);
    lines.push(`ip link set dev ${dev} up`);
  });
  // Docker's default route points at a gateway that does not exist on an internal network
  lines.push('ip route del default 2>/dev/null || true');
  const gw = ifaces.find((f) => f.gateway && f.labAddress && f.labAddress.split('/')[0] !== f.gateway);
  if (gw) lines.push(`ip route replace default via ${q(gw.gateway!)}`);
  lines.push(`cat > /etc/hosts <<'NETDOJO_HOSTS'\n${etcHosts}NETDOJO_HOSTS`);
  lines.push(
    `cat > /etc/resolv.conf <<'NETDOJO_RESOLV'\n# netdojo: no resolver outside the sandbox; a lab that needs DNS runs its own server\nnameserver 127.0.0.1\noptions ndots:1 timeout:1 attempts:1\nNETDOJO_RESOLV`,
  );
  lines.push(`hostname ${q(hostname)} 2>/dev/null || true`);
  return lines.join('\n') + '\n';
}

export function etcHostsFor(addresses: Array<{ host: string; address?: string; hostname?: string }>): string {
  let text = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';
  for (const a of addresses) {
    if (!a.address) continue;
    const names = [a.host, a.hostname].filter((n, i, all) => n && all.indexOf(n) === i).join(' ');
    text += `${a.address}\t${names}\n`;
  }
  return text;
}
