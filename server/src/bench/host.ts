// What the host gives to sessions, read from /proc and the cgroup tree: available memory, the
// proportional set size (PSS) of the processes a session brings (its containers' processes, their
// containerd-shim) or grows (dockerd, containerd, the server), and how close the kernel's limits are.
import { readdir, readFile } from 'node:fs/promises';
import Docker from 'dockerode';

const docker = new Docker();

const kib = (text: string, key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);

export async function memAvailableKiB(): Promise<number> {
  return kib(await readFile('/proc/meminfo', 'utf8'), 'MemAvailable');
}

/** kernel memory that no process's PSS shows: unreclaimable slab (netns, veth, bridges, cgroups), kernel stacks, page tables, per-CPU */
export async function kernelKiB(): Promise<number> {
  const m = await readFile('/proc/meminfo', 'utf8');
  return ['SUnreclaim', 'KernelStack', 'PageTables', 'Percpu'].map((k) => kib(m, k)).filter(Number.isFinite).reduce((a, b) => a + b, 0);
}

/** PSS of one process in KiB (0 when it is gone or unreadable) */
export async function pssKiB(pid: number): Promise<number> {
  try {
    return kib(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss') || 0;
  } catch {
    return 0;
  }
}

export async function pidsNamed(comm: string): Promise<number[]> {
  const out: number[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const c = await readFile(`/proc/${d}/comm`, 'utf8').catch(() => '');
    if (c.trim() === comm) out.push(Number(d));
  }
  return out;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** dockerd + containerd PSS (the engine grows with every container, network and exec) */
export async function enginePssKiB(): Promise<{ dockerd: number; containerd: number }> {
  const [d, c] = await Promise.all([pidsNamed('dockerd'), pidsNamed('containerd')]);
  return { dockerd: sum(await Promise.all(d.map(pssKiB))), containerd: sum(await Promise.all(c.map(pssKiB))) };
}

/** the processes of a container's cgroup (execs included: they are not children of its init) */
async function cgroupProcs(id: string, initPid: number): Promise<number[]> {
  const candidates = [`memory/docker/${id}`, `pids/docker/${id}`, `docker/${id}`, `system.slice/docker-${id}.scope`];
  for (const c of candidates) {
    const text = await readFile(`/sys/fs/cgroup/${c}/cgroup.procs`, 'utf8').catch(() => undefined);
    if (text !== undefined) return text.split('\n').filter(Boolean).map(Number);
  }
  return initPid ? [initPid] : [];
}

const ppidOf = async (pid: number): Promise<number> =>
  Number(
    (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''))
      .split(') ')[1]
      ?.split(' ')[1] ?? 0,
  );

/** PSS of the containers' processes and of their containerd-shims (each shim counted once) */
export async function containersPssKiB(ids: string[]): Promise<{ processes: number; shims: number; processCount: number }> {
  const shims = new Set<number>();
  let processes = 0;
  let processCount = 0;
  for (const id of ids) {
    const info = await docker.getContainer(id).inspect().catch(() => undefined);
    const init = info?.State.Pid ?? 0;
    const procs = await cgroupProcs(id, init);
    processCount += procs.length;
    processes += sum(await Promise.all(procs.map(pssKiB)));
    if (init) {
      const shim = await ppidOf(init);
      const comm = (await readFile(`/proc/${shim}/comm`, 'utf8').catch(() => '')).trim();
      if (comm.startsWith('containerd-shim')) shims.add(shim);
    }
  }
  return { processes, shims: sum(await Promise.all([...shims].map(pssKiB))), processCount };
}

/** how close the host is to the limits a crowd of sandboxes meets first */
export async function hostLimits(): Promise<Record<string, string>> {
  const read = (p: string) => readFile(p, 'utf8').then((t) => t.trim(), () => '?');
  const [loadavg, pidMax, fileNr, keyUsers, maxKeys, maxBytes, meminfo] = await Promise.all([
    read('/proc/loadavg'),
    read('/proc/sys/kernel/pid_max'),
    read('/proc/sys/fs/file-nr'),
    read('/proc/key-users'),
    read('/proc/sys/kernel/keys/maxkeys'),
    read('/proc/sys/kernel/keys/maxbytes'),
    read('/proc/meminfo'),
  ]);
  // the user with the most keys: every user-namespaced sandbox runs as the same remapped user
  let keys = 0;
  let keyBytes = 0;
  for (const line of keyUsers.split('\n')) {
    const m = /^\s*\d+:\s+\d+\s+\d+\/\d+\s+(\d+)\/\d+\s+(\d+)\/\d+/.exec(line);
    if (m && Number(m[1]) > keys) [keys, keyBytes] = [Number(m[1]), Number(m[2])];
  }
  const dockerd = (await pidsNamed('dockerd'))[0];
  let dockerdFds = '?';
  if (dockerd) {
    const n = (await readdir(`/proc/${dockerd}/fd`).catch(() => [])).length;
    const lim = /^Max open files\s+(\d+)/m.exec(await read(`/proc/${dockerd}/limits`))?.[1] ?? '?';
    dockerdFds = `${n}/${lim}`;
  }
  return {
    threads: `${loadavg.split(' ')[3]?.split('/')[1] ?? '?'}/${pidMax}`,
    kernelKeys: `${keys}/${maxKeys} keys, ${keyBytes}/${maxBytes} bytes`,
    openFiles: fileNr.split(/\s+/)[0] ?? '?',
    dockerdFds,
    memAvailableGiB: (kib(meminfo, 'MemAvailable') / 2 ** 20).toFixed(1),
  };
}

/** which limit an error message names (the first limit met is reported with its message) */
export function limitOf(message: string): string {
  const limits: Array<[RegExp, string]> = [
    [/session key|keyring/i, 'kernel keys (kernel.keys.maxkeys / maxbytes)'],
    [/cannot allocate memory|out of memory|\boom\b|ENOMEM/i, 'memory'],
    [/resource temporarily unavailable|EAGAIN|pids\.max|fork/i, 'pids / threads (kernel.pid_max, threads-max)'],
    [/too many open files|EMFILE|ENFILE/i, 'file descriptors'],
    [/address pool|non-overlapping|no available network|bridge/i, 'networks / bridges (Docker address pools)'],
    [/EADDRINUSE|EADDRNOTAVAIL|address already in use/i, 'ports'],
    [/inotify|too many instances/i, 'inotify instances'],
    [/max-sessions|too many sessions|\b429\b|\b503\b/i, 'netdojo session limit (--max-sessions)'],
    [/timeout|timed out|socket hang up|ECONNRESET|ECONNREFUSED/i, 'dockerd or the server stopped answering in time'],
  ];
  return limits.find(([re]) => re.test(message))?.[1] ?? 'other (see the message)';
}
