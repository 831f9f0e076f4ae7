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
// The rules are applied by an exec in a helper container in the host's network and user namespace,
// through the same Docker API the sandboxes use, so netdojo itself needs no host privileges. One
// helper serves every sandbox a process makes (an exec costs a tenth of a container's create, start,
// wait and removal, which was most of a cold start's overhead); it removes itself (AutoRemove) once
// its process is gone or after IDLE_S seconds without use, so nothing outlives its maker for long.
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { docker } from './client.js';
import { runArgv } from './exec.js';
import { BRIDGE_PREFIX, LABEL, originLabel } from './names.js';

const COMMENT = 'netdojo-sandbox-bridges';
const RULES: Array<[bin: string, table: string, chain: string, rule: string]> = [
  ['iptables', 'filter', 'DOCKER-USER', `-i ${BRIDGE_PREFIX}+ -m physdev --physdev-is-bridged -m comment --comment ${COMMENT} -j ACCEPT`],
  ['iptables', 'filter', 'INPUT', `-i ${BRIDGE_PREFIX}+ -m comment --comment ${COMMENT} -j DROP`],
  ['ip6tables', 'filter', 'INPUT', `-i ${BRIDGE_PREFIX}+ -m comment --comment ${COMMENT} -j DROP`],
];

/** the helper exits after this long without an exec (and at once when its process is gone) */
const IDLE_S = 60;
/** a helper unused for longer than this is not reused (it may be exiting): a new one is made */
const REUSE_MS = (IDLE_S - 15) * 1000;
const LEASE = '/run/netdojo-hostrules.lease';
export const HELPER_LABEL = 'netdojo.helper';

export function hostRulesScript(bridges: string[] = []): string {
  // concurrent sandboxes exec at once: the check-then-insert of one must not interleave with another's
  const lines = ['set -e', `touch ${LEASE}`, 'exec 9>/run/netdojo-hostrules.lock', 'flock 9', 'iptables -N DOCKER-USER 2>/dev/null || true'];
  for (const [bin, table, chain, rule] of RULES) lines.push(`${bin} -t ${table} -C ${chain} ${rule} 2>/dev/null || ${bin} -t ${table} -I ${chain} ${rule}`);
  for (const b of bridges) {
    if (!/^[a-z0-9]{1,15}$/.test(b)) throw new Error(`not a bridge name: ${b}`);
    lines.push(`echo 8 > /proc/sys/net/ipv4/conf/${b}/arp_ignore`, `echo 2 > /proc/sys/net/ipv4/conf/${b}/arp_announce`);
  }
  lines.push('echo ok');
  return lines.join('\n');
}

/** the helper's main process: waits while its maker lives and it was used within IDLE_S seconds */
function helperLoop(): string {
  return [
    `touch ${LEASE}`,
    // a maker outside this PID namespace (netdojo itself in a container) is not watched: idle only
    'owner=$NETDOJO_OWNER; [ -d "/proc/$owner" ] || owner=',
    `while { [ -z "$owner" ] || [ -d "/proc/$owner" ]; } && [ $(( $(date +%s) - $(stat -c %Y ${LEASE}) )) -lt ${IDLE_S} ]; do sleep 1; done`,
  ].join('\n');
}

const helpers = new Map<string, { container: Promise<Docker.Container>; lastUse: number }>();

/**
 * Verifies the rules (re-inserting any a firewall reset removed) and sets ARP on `bridges`.
 * `image` must contain iptables and flock. Runs once per sandbox, before its containers start.
 */
export async function ensureHostRules(image: string, bridges: string[] = []): Promise<void> {
  const script = hostRulesScript(bridges);
  for (let attempt = 0; ; attempt++) {
    const c = await helperFor(image);
    let failure: string;
    try {
      const r = await runArgv(c, ['bash', '-c', script]);
      if (r.exitCode === 0) return;
      failure = `exit ${r.exitCode}: ${(r.stderr || r.stdout).replace(/[\x00-\x08]/g, '').trim()}`;
    } catch (err) {
      failure = (err as Error).message;
    }
    // a helper that went away (removed, engine restarted) is replaced once
    if (attempt === 0 && !(await isRunning(c))) {
      helpers.delete(image);
      continue;
    }
    throw new Error(`installing the sandbox bridge firewall rules failed (${failure})`);
  }
}

async function isRunning(c: Docker.Container): Promise<boolean> {
  return c.inspect().then(
    (i) => i.State.Running,
    () => false,
  );
}

async function helperFor(image: string): Promise<Docker.Container> {
  const now = Date.now();
  const known = helpers.get(image);
  if (known && now - known.lastUse < REUSE_MS) {
    known.lastUse = now;
    return known.container;
  }
  const entry = { container: startHelper(image), lastUse: now };
  helpers.set(image, entry);
  entry.container.catch(() => helpers.get(image) === entry && helpers.delete(image));
  return entry.container;
}

async function startHelper(image: string): Promise<Docker.Container> {
  await removeStaleHelpers();
  const c = await docker().createContainer({
    name: `netdojo-hostrules-${process.pid}-${randomBytes(3).toString('hex')}`,
    Image: image,
    Entrypoint: ['bash', '-c', helperLoop()],
    Cmd: [],
    Env: [`NETDOJO_OWNER=${process.pid}`],
    Labels: { [LABEL.provider]: 'docker', [HELPER_LABEL]: 'hostrules', ...originLabel() },
    // /proc/sys writable (Docker makes it read-only): in the host's network namespace it holds the
    // bridges' ARP settings; the host's PID namespace lets the helper see its maker exit
    HostConfig: { NetworkMode: 'host', UsernsMode: 'host', PidMode: 'host', CapAdd: ['NET_ADMIN', 'NET_RAW'], ReadonlyPaths: [], AutoRemove: true },
  });
  try {
    await c.start();
  } catch (err) {
    await c.remove({ force: true }).catch(() => {});
    throw err;
  }
  return c;
}

/** helpers left Created or Exited by an interrupted process (a running one removes itself); best effort */
async function removeStaleHelpers(): Promise<void> {
  const stale = await docker()
    .listContainers({ all: true, filters: { label: [`${HELPER_LABEL}=hostrules`], status: ['created', 'exited', 'dead'] } })
    .catch(() => []);
  const old = Date.now() / 1000 - 120;
  await Promise.all(
    stale
      .filter((s) => s.Created < old)
      .map((s) =>
        docker()
          .getContainer(s.Id)
          .remove({ force: true })
          .catch(() => {}),
      ),
  );
}
