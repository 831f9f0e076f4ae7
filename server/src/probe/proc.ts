// A sandbox host's init process as the server sees it, and the proof that a pid still is that.
import { readFile } from 'node:fs/promises';

export interface ProcessRef {
  /** pid in the server's pid namespace */
  pid: number;
  /** the container id its cgroup must name */
  containerId: string;
}

/** Out-of-band access to a sandbox failed (gone, refused, not permitted). */
export class ProbeAccessError extends Error {}

/** Proves that `ref.pid` is (still) a process of container `ref.containerId`. */
export async function verifyProcess(ref: ProcessRef): Promise<void> {
  let cgroup: string;
  try {
    cgroup = await readFile(`/proc/${ref.pid}/cgroup`, 'utf8');
  } catch {
    throw new ProbeAccessError(`process ${ref.pid} of container ${ref.containerId.slice(0, 12)} is gone`);
  }
  if (!cgroup.includes(ref.containerId)) throw new ProbeAccessError(`process ${ref.pid} no longer belongs to container ${ref.containerId.slice(0, 12)}`);
}
