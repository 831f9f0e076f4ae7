// Two host firewall rules that every sandbox network relies on, verified (and repaired) before each
// sandbox is made, and ARP settings of the sandbox's own bridges.
//
// 1. Docker drops, on an `Internal` network, every packet whose source or destination is outside the
//    subnet *Docker* assigned. Lab hosts use the lab's own fixed addresses (which may overlap between
//    sandboxes, so Docker never sees them), and the host kernel has br_netfilter built in, so even
//    bridged traffic between two hosts of one sandbox would be dropped. Accept traffic that is
//    *bridged* inside one sandbox bridge (physdev-is-bridged: in and out on the same bridge); routed
//    traffic (towards the host or anywhere else) still meets Docker's drops.
// 2. The sandbox bridges carry no host address (inhibit_ipv4), and the host must not answer anything
//    arriving on them (a learner could otherwise point a static neighbour at the bridge and reach
//    host services): drop INPUT from the sandbox bridges, IPv4 and IPv6.
//
// 3. The host's kernel answers ARP on any interface for any of its addresses (arp_ignore=0): on a
//    sandbox bridge that would tell a learner the host's addresses and MACs. Each new bridge gets
//    arp_ignore=8 (never reply) and arp_announce=2.
//
// The rules are inserted from a short-lived helper container in the host's network and user namespace,
// through the same Docker API the sandboxes use, so netdojo itself needs no host privileges.
import { docker, readAll } from './client.js';
import { BRIDGE_PREFIX, LABEL } from './names.js';

const COMMENT = 'netdojo-sandbox-bridges';
const RULES: Array<[bin: string, table: string, chain: string, rule: string]> = [
  ['iptables', 'filter', 'DOCKER-USER', `-i ${BRIDGE_PREFIX}+ -m physdev --physdev-is-bridged -m comment --comment ${COMMENT} -j ACCEPT`],
  ['iptables', 'filter', 'INPUT', `-i ${BRIDGE_PREFIX}+ -m comment --comment ${COMMENT} -j DROP`],
  ['ip6tables', 'filter', 'INPUT', `-i ${BRIDGE_PREFIX}+ -m comment --comment ${COMMENT} -j DROP`],
];

export function hostRulesScript(bridges: string[] = []): string {
  const lines = ['set -e', 'iptables -N DOCKER-USER 2>/dev/null || true'];
  for (const [bin, table, chain, rule] of RULES) lines.push(`${bin} -t ${table} -C ${chain} ${rule} 2>/dev/null || ${bin} -t ${table} -I ${chain} ${rule}`);
  for (const b of bridges) {
    if (!/^[a-z0-9]{1,15}$/.test(b)) throw new Error(`not a bridge name: ${b}`);
    lines.push(`echo 8 > /proc/sys/net/ipv4/conf/${b}/arp_ignore`, `echo 2 > /proc/sys/net/ipv4/conf/${b}/arp_announce`);
  }
  lines.push('echo ok');
  return lines.join('\n');
}

/**
 * Verifies the rules (re-inserting any a firewall reset removed) and sets ARP on `bridges`.
 * `image` must contain iptables. Runs once per sandbox, concurrently with its containers' creation.
 */
export function ensureHostRules(image: string, bridges: string[] = []): Promise<void> {
  return install(image, bridges);
}

async function install(image: string, bridges: string[]): Promise<void> {
  const c = await docker().createContainer({
    name: `netdojo-hostrules-${process.pid}-${Date.now()}`,
    Image: image,
    Entrypoint: ['bash', '-c', hostRulesScript(bridges)],
    Cmd: [],
    Labels: { [LABEL.provider]: 'docker', 'netdojo.helper': 'hostrules' },
    // /proc/sys writable (Docker makes it read-only): in the host's network namespace it holds the bridges' ARP settings
    HostConfig: { NetworkMode: 'host', UsernsMode: 'host', CapAdd: ['NET_ADMIN', 'NET_RAW'], ReadonlyPaths: [], AutoRemove: false },
  });
  try {
    await c.start();
    const res = (await c.wait()) as { StatusCode: number };
    if (res.StatusCode !== 0) {
      const logs = (await readAll((await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as NodeJS.ReadableStream)).toString();
      throw new Error(`installing the sandbox bridge firewall rules failed (exit ${res.StatusCode}): ${logs.replace(/[\x00-\x08]/g, '').trim()}`);
    }
  } finally {
    await c.remove({ force: true }).catch(() => {});
  }
}
