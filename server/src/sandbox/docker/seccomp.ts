// The seccomp profile of hosts that run Docker inside (`docker: true`). Such hosts used to run with
// seccomp=unconfined because the inner runc calls keyctl; but every sandbox runs as the same
// remapped host uid, so an unconfined learner could fill that uid's kernel key quota with add_key
// and break runc (a session keyring per container and per exec) for every other session.
// runc treats ENOSYS from keyctl as "no keyrings here" and goes on, so: Docker's default profile
// (seccomp/moby-default.json, vendored from github.com/moby/profiles, Apache-2.0: seccomp/LICENSE)
// with the key syscalls failing with ENOSYS, plus what the inner engine needs beyond what the default
// already grants a container that holds CAP_SYS_ADMIN (mount, unshare, setns, clone…): pivot_root,
// with which the inner runc enters each inner container's root (measured: without it "error
// jailing process inside rootfs: pivot_root .: operation not permitted").
import { readFileSync } from 'node:fs';

const ENOSYS = 38;
/** the kernel keyring syscalls: per-uid quota shared by every sandbox */
export const KEY_SYSCALLS = ['add_key', 'keyctl', 'request_key'];
/** allowed beyond Docker's default, for the inner engine */
export const INNER_ENGINE_SYSCALLS = ['pivot_root'];

interface Rule {
  names: string[];
  action: string;
  errnoRet?: number;
  [k: string]: unknown;
}

let cached: string | undefined;

/** the profile as Docker's API takes it (`SecurityOpt: ["seccomp=<json>"]`) */
export function dindSeccompProfile(): string {
  cached ??= (() => {
    const profile = JSON.parse(readFileSync(new URL('./seccomp/moby-default.json', import.meta.url), 'utf8')) as { syscalls: Rule[] };
    for (const rule of profile.syscalls) {
      if (rule.action === 'SCMP_ACT_ALLOW' && rule.names.some((n) => KEY_SYSCALLS.includes(n))) throw new Error('the vendored seccomp profile allows a key syscall');
    }
    profile.syscalls.push({ names: INNER_ENGINE_SYSCALLS, action: 'SCMP_ACT_ALLOW' });
    profile.syscalls.push({ names: KEY_SYSCALLS, action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
    return JSON.stringify(profile);
  })();
  return cached;
}
