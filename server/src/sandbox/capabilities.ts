// What this host can run (labs whose `requires` cannot be met are skipped with the reason: docs/dev/architecture.md, "A replay").
// Kernel features are probed inside a throwaway sandbox container (the host itself may lack iproute2,
// and what matters is what a sandbox can do). Every call probes: the provider registry
// (sandbox/registry.ts) keeps the result for its time-to-live.
import { execa } from 'execa';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DEFAULT_IMAGE } from '../images/catalog.js';
import { docker, readAll } from '../engine/client.js';
import { engineFacts } from '../engine/facts.js';
import { hostSysBind } from './docker/mounts.js';
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
  // bridged frames pass iptables only with br_netfilter loaded and on (per network namespace)
  br_netfilter: 'v=$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null) || { echo "no br_netfilter module"; exit 1; }; [ "$v" = 1 ] || { echo "bridge-nf-call-iptables is $v"; exit 1; }',
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
  br_netfilter: 'bridge-netfilter (br_netfilter)',
};

export interface ProbeOptions {
  allowNoUserns?: boolean;
  /** the image to probe kernel features in (default netdojo/netbox) */
  image?: string;
}

async function onPath(bin: string): Promise<boolean> {
  const r = await execa('sh', ['-c', `command -v ${bin}`], { reject: false });
  return r.exitCode === 0;
}

export async function probeCapabilities(opts: ProbeOptions = {}): Promise<Capabilities> {
  const has: Record<string, boolean> = {};
  const missing: Record<string, string> = {};
  const set = (req: string, ok: boolean, reason: string) => {
    has[req] = ok;
    if (!ok) missing[req] = reason;
  };

  const engine = await engineFacts({ maxAgeMs: 0 });
  const dockerUp = engine.reachable;
  const userns = engine.reachable && engine.userns;
  if (!engine.reachable) set('docker', false, `the Docker engine does not answer (${engine.error})`);
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
  const probeError = !engine.reachable ? `the Docker engine does not answer (${engine.error})` : 'error' in kernel ? `cannot probe the kernel: ${kernel.error}` : undefined;
  return { has, missing, ...(probeError ? { probeError } : {}) };
}

/**
 * The requirements the host cannot meet, each with the reason in words, in the order given (the
 * one place that judges `requires`: replay, `netdojo dev` and the server's catalog use it).
 */
export function unmet(caps: Capabilities, requires: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const req of requires) {
    if (caps.has[req]) continue;
    out[req] = caps.missing[req] ?? (req.startsWith('kernel:') ? `netdojo cannot probe the kernel feature "${req.slice(7)}"` : `${req} is not available on this host`);
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
      HostConfig: { NetworkMode: 'none', CapAdd: ['NET_ADMIN', 'SYS_ADMIN'], Binds: [hostSysBind()], Memory: 64 * 1024 * 1024 },
    });
  } catch (err) {
    return { error: `cannot start a probe container from ${image} (${(err as Error).message.split('\n')[0]}); run \`netdojo images build\`` };
  }
  try {
    await c.start();
    await c.wait();
    // the container has exited, so the followed log stream ends; dockerode splits its frames
    const logs = (await c.logs({ stdout: true, stderr: true, follow: true })) as NodeJS.ReadableStream;
    const output = new PassThrough();
    const raw = readAll(output);
    docker().modem.demuxStream(logs, output, output);
    await finished(logs);
    output.end();
    const results: Record<string, { ok: boolean; detail: string }> = {};
    for (const line of (await raw).toString('utf8').split('\n')) {
      const m = /^(\w+) (ok|fail)\s?(.*)$/.exec(line.trim());
      if (m) results[m[1]!] = { ok: m[2] === 'ok', detail: m[3] ?? '' };
    }
    return { results };
  } finally {
    await c.remove({ force: true }).catch(() => {});
  }
}
