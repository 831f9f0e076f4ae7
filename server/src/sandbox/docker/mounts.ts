// The sysfs every sandbox gets at /run/host-sys.
import { readFileSync } from 'node:fs';

/**
 * `ip netns exec` mounts a per-namespace /sys, which the kernel allows in a user namespace only
 * where a fully visible sysfs is already mounted: hence /run/host-sys. A bind of the host's /sys
 * (Docker binds recursively) brings its submounts along: the host's cgroup tree, writable, with
 * every sandbox's ids and memory. infra/docker-engine.sh mounts a separate sysfs with nothing under
 * it at /run/netdojo/sys; bound read-only, it is read-only all the way down. (Engine 20.10 has no
 * ReadOnlyRecursive, and a non-recursive bind of /sys is refused in a user namespace.)
 */
export const PRIVATE_SYSFS = '/run/netdojo/sys';

let warned = false;

/** the bind for a sandbox; falls back to the host's /sys (loudly) when the private sysfs is missing */
export function hostSysBind(warn: (m: string) => void = (m) => process.stderr.write(`netdojo: WARNING: ${m}\n`)): string {
  // a server in a container (Compose) cannot see the engine host's mounts: it is told
  if (process.env.NETDOJO_HOST_SYS) return `${process.env.NETDOJO_HOST_SYS}:/run/host-sys:ro`;
  if (isMountpoint(PRIVATE_SYSFS)) return `${PRIVATE_SYSFS}:/run/host-sys:ro`;
  if (!warned) {
    warned = true;
    warn(`no private sysfs at ${PRIVATE_SYSFS} (infra/docker-engine.sh mounts it): sandboxes see the host's cgroup tree under /run/host-sys`);
  }
  return '/sys:/run/host-sys:ro';
}

function isMountpoint(path: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[4] === path);
  } catch {
    return false;
  }
}
