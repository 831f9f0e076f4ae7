// Entering a sandbox's network namespaces from outside, without trusting anything the learner
// controls. A netns is handed to a child process as an OPEN file descriptor (nsenter
// --net=/proc/self/fd/3), never as a path, so nothing can be swapped between the check and the use.
//
// - A host's own netns: /proc/PID/ns/net of its container's init, opened, then the pid is proved to
//   still belong to that container (its cgroup names the container id), so a recycled pid is refused.
// - A learner-made named netns (`ip netns add NAME`): the learner controls /run/netns/NAME and can
//   make it a symlink to e.g. /proc/1/ns/net, which, reached through /proc/PID/root, would resolve
//   against the server's root. So: the container's mountinfo must show an nsfs mount of a NETWORK
//   namespace at /run/netns/NAME (the topmost mount there), the file is opened without following a
//   final symlink, and the opened file's device and inode must be exactly those of that mount.
import { constants } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { ProbeAccessError, verifyProcess, type ProcessRef } from './proc.js';
import { openInRoot } from './rootfs.js';

export type { ProcessRef };

export interface NetnsHandle {
  fd: number;
  /** inode of the namespace (`net:[INODE]`) */
  inode: number;
  /** "host alpha" or "netns red on host alpha" */
  label: string;
  close(): Promise<void>;
}

export class NetnsError extends ProbeAccessError {}

const NETNS_NAME = /^[A-Za-z0-9_.-]+$/;

async function handleOf(fh: FileHandle, label: string): Promise<NetnsHandle> {
  const st = await fh.stat({ bigint: false });
  return { fd: fh.fd, inode: st.ino, label, close: () => fh.close() };
}

/** The netns of a host itself: its container init's /proc/PID/ns/net. */
export async function openHostNetns(ref: ProcessRef, label: string): Promise<NetnsHandle> {
  let fh: FileHandle;
  try {
    fh = await open(`/proc/${ref.pid}/ns/net`, constants.O_RDONLY);
  } catch (err) {
    throw new NetnsError(`cannot open the network namespace of ${label}: ${(err as Error).message}`);
  }
  try {
    await verifyProcess(ref);
    return await handleOf(fh, label);
  } catch (err) {
    await fh.close();
    throw err;
  }
}

export interface MountEntry {
  mountId: number;
  /** major:minor of the filesystem */
  dev: string;
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const a = line.slice(0, sep).split(' ');
    const b = line.slice(sep + 3).split(' ');
    if (a.length < 5 || b.length < 2) continue;
    out.push({ mountId: Number(a[0]), dev: a[2]!, root: unescape(a[3]!), mountPoint: unescape(a[4]!), fsType: b[0]!, source: unescape(b[1]!) });
  }
  return out;
}

/** The network namespace mounted at `/run/netns/NAME`, if the topmost mount there is one. */
export function namedNetnsMount(mounts: MountEntry[], name: string): { inode: number; dev: string } | undefined {
  const at = mounts.filter((m) => m.mountPoint === `/run/netns/${name}` || m.mountPoint === `/var/run/netns/${name}`);
  const top = at.at(-1);
  if (!top || top.fsType !== 'nsfs') return undefined;
  const m = /^net:\[(\d+)\]$/.exec(top.root);
  return m ? { inode: Number(m[1]), dev: top.dev } : undefined;
}

/** Names of the network namespaces mounted under /run/netns (what `ip netns list` should show). */
export function namedNetnsList(mounts: MountEntry[]): string[] {
  const names = new Set<string>();
  for (const m of mounts) {
    const n = /^\/(?:var\/)?run\/netns\/([^/]+)$/.exec(m.mountPoint)?.[1];
    if (n && namedNetnsMount(mounts, n)) names.add(n);
  }
  return [...names].sort();
}

/** Linux new_encode_dev, the way stat() reports st_dev, from "major:minor". */
export function encodeDev(majMin: string): number {
  const [maj, min] = majMin.split(':').map(Number) as [number, number];
  return (min & 0xff) | ((maj & 0xfff) << 8) | ((min & ~0xff) << 12);
}

export async function readMountinfo(ref: ProcessRef): Promise<MountEntry[]> {
  const text = await readFile(`/proc/${ref.pid}/mountinfo`, 'utf8');
  await verifyProcess(ref);
  return parseMountinfo(text);
}

/** A learner-made named netns of a host (`ip netns add NAME` in the sandbox). */
export async function openNamedNetns(ref: ProcessRef, name: string, hostLabel: string): Promise<NetnsHandle> {
  const label = `netns ${name} on ${hostLabel}`;
  if (!NETNS_NAME.test(name) || name === '.' || name === '..') throw new NetnsError(`"${name}" is not a network namespace name`);
  const mount = namedNetnsMount(await readMountinfo(ref), name);
  if (!mount) throw new NetnsError(`there is no network namespace ${name} on ${hostLabel} (no nsfs mount at /run/netns/${name})`);
  let fh: FileHandle;
  try {
    const opened = await openInRoot(ref, `/run/netns/${name}`, { follow: false });
    if ('absent' in opened) throw new NetnsError(`there is no network namespace ${name} on ${hostLabel}: ${opened.absent}`);
    fh = opened;
  } catch (err) {
    if (err instanceof NetnsError) throw err;
    throw new NetnsError(`cannot open ${label}: ${(err as Error).message}`);
  }
  try {
    const st = await fh.stat();
    if (st.ino !== mount.inode || st.dev !== encodeDev(mount.dev)) {
      throw new NetnsError(`/run/netns/${name} on ${hostLabel} is not the network namespace mounted there (refused)`);
    }
    await verifyProcess(ref);
    return { fd: fh.fd, inode: st.ino, label, close: () => fh.close() };
  } catch (err) {
    await fh.close();
    throw err;
  }
}
