// What this host can run (DESIGN §3: labs whose `requires` cannot be met are skipped with the reason).
// Kernel features are probed inside a throwaway sandbox container (the host itself may lack iproute2,
// and what matters is what a sandbox can do). Probed once per process.
import { execa } from 'execa';
import { DEFAULT_IMAGE } from '../images/catalog.js';
import { docker, readAll } from './docker/client.js';
import { LABEL } from './docker/names.js';
import type { Capabilities } from './types.js';

/** kernel:<feature> → the command that proves it inside a sandbox (creates and deletes a link). */
export const KERNEL_PROBES: Record<string, string> = {
  ipip: 'ip link add t0 type ipip local 127.0.0.2 remote 127.0.0.3 && ip link del t0',
  gre: 'ip link add t0 type gre local 127.0.0.2 remote 127.0.0.3 && ip link del t0',
  vxlan: 'ip link add t0 type vxlan id 1 dev lo dstport 4789 && ip link del t0',
  bridge: 'ip link add t0 type bridge && ip link del t0',
  veth: 'ip link add t0 type veth peer name t1 && ip link del t0',
  macvlan: 'ip link add t1 type veth peer name t2 && ip link add t0 link t1 type macvlan mode bridge && ip link del t1',
  ipvlan: 'ip link add t1 type veth peer name t2 && ip link add t0 link t1 type ipvlan mode l2 && ip link del t1',
  dummy: 'ip link add t0 type dummy && ip link del t0',
  wireguard: 'ip link add t0 type wireguard && ip link del t0',
  ipvs: 'test -e /proc/net/ip_vs || { echo "no /proc/net/ip_vs"; exit 1; }',
  netns: 'ip netns add lcprobe && ip netns exec lcprobe true && ip netns del lcprobe',
  nftables: 'nft add table inet lcprobe && nft delete table inet lcprobe',
};

const KERNEL_WORDS: Record<string, string> = {
  ipip: 'IPIP',
  gre: 'GRE',
  vxlan: 'VXLAN',
  bridge: 'bridge',
  veth: 'veth',
  macvlan: 'macvlan',
  ipvlan: 'ipvlan',
  dummy: 'dummy-link',
  wireguard: 'WireGuard',
  ipvs: 'IPVS',
  netns: 'network-namespace',
  nftables: 'nf_tables',
};

export interface ProbeOptions {
  allowNoUserns?: boolean;
  /** the image to probe kernel features in (default netdojo/netbox) */
  image?: string;
}

let cached: Promise<Capabilities> | undefined;

export function probeCapabilities(opts: ProbeOptions = {}): Promise<Capabilities> {
  cached ??= probe(opts);
  return cached;
}

/** Forget the cached result (tests, or after the operator fixed something). */
export function resetCapabilities(): void {
  cached = undefined;
}

async function onPath(bin: string): Promise<boolean> {
  const r = await execa('sh', ['-c', `command -v ${bin}`], { reject: false });
  return r.exitCode === 0;
}

async function probe(opts: ProbeOptions): Promise<Capabilities> {
  const has: Record<string, boolean> = {};
  const missing: Record<string, string> = {};
  const set = (req: string, ok: boolean, reason: string) => {
    has[req] = ok;
    if (!ok) missing[req] = reason;
  };

  let dockerUp = false;
  let userns = false;
  try {
    const info = await docker().info();
    dockerUp = true;
    userns = (info.SecurityOptions ?? []).some((o: string) => o.includes('name=userns'));
  } catch (err) {
    set('docker', false, `the Docker engine does not answer (${(err as Error).message.split('\n')[0]})`);
  }
  if (dockerUp) {
    if (!userns && !opts.allowNoUserns) set('docker', false, 'the Docker engine has no user namespace (userns-remap); sandboxes are refused');
    else set('docker', true, '');
  }

  set('kind', await onPath('kind'), 'kind is not installed (not on PATH)');
  set('kubectl', await onPath('kubectl'), 'kubectl is not installed (not on PATH)');
  // decided without sending a packet out: the operator says so
  set('internet', process.env.NETDOJO_INTERNET === '1', 'no internet access on this host (an operator enables it with NETDOJO_INTERNET=1)');

  const kernel = dockerUp ? await probeKernel(opts.image ?? DEFAULT_IMAGE) : { error: 'the Docker engine does not answer' };
  for (const feature of Object.keys(KERNEL_PROBES)) {
    const req = `kernel:${feature}`;
    if ('error' in kernel) set(req, false, `cannot probe the kernel: ${kernel.error}`);
    else {
      const r = kernel.results[feature];
      const parts = KERNEL_PROBES[feature]!.split(' && ');
      const cmd = parts.find((p) => p.includes(`type ${feature}`)) ?? parts[0]!;
      set(req, r?.ok ?? false, `the kernel has no ${KERNEL_WORDS[feature] ?? feature} support (${cmd} failed: ${r?.detail || 'no answer'})`);
    }
  }
  return { has, missing };
}

/** Reason for a requirement string, including ones the probe does not know. */
export function unmet(caps: Capabilities, requires: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const req of requires) {
    if (caps.has[req]) continue;
    out[req] = caps.missing[req] ?? (req.startsWith('kernel:') ? `netdojo cannot probe the kernel feature "${req.slice(7)}"` : `unknown requirement "${req}"`);
  }
  return out;
}

async function probeKernel(image: string): Promise<{ results: Record<string, { ok: boolean; detail: string }> } | { error: string }> {
  const script = Object.entries(KERNEL_PROBES)
    .map(([f, cmd]) => `if out=$( { ${cmd}; } 2>&1 ); then echo "${f} ok"; else echo "${f} fail $(echo "$out" | head -1)"; fi`)
    .join('\n');
  let c;
  try {
    c = await docker().createContainer({
      name: `netdojo-capprobe-${process.pid}-${Date.now()}`,
      Image: image,
      Entrypoint: ['bash', '-c', `mount -o remount,rw /proc/sys 2>/dev/null; ${script}`],
      Cmd: [],
      Labels: { [LABEL.provider]: 'docker', 'netdojo.helper': 'capprobe' },
      HostConfig: { NetworkMode: 'none', CapAdd: ['NET_ADMIN', 'SYS_ADMIN'], Binds: ['/sys:/run/host-sys:ro'], Memory: 64 * 1024 * 1024 },
    });
  } catch (err) {
    return { error: `cannot start a probe container from ${image} (${(err as Error).message.split('\n')[0]}); run \`netdojo images build\`` };
  }
  try {
    await c.start();
    await c.wait();
    const raw = await readAll((await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as NodeJS.ReadableStream);
    const results: Record<string, { ok: boolean; detail: string }> = {};
    for (const line of stripDockerFrames(raw).split('\n')) {
      const m = /^(\w+) (ok|fail)\s?(.*)$/.exec(line.trim());
      if (m) results[m[1]!] = { ok: m[2] === 'ok', detail: m[3] ?? '' };
    }
    return { results };
  } finally {
    await c.remove({ force: true }).catch(() => {});
  }
}

/** Logs of a non-TTY container come in 8-byte-header frames. */
function stripDockerFrames(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return Buffer.concat(parts).toString('utf8');
}
