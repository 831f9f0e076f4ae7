// Reading a file of a sandbox host from outside, as the host itself would see it, without ever
// following a learner's symlink on the server's side. The walk starts at the container root
// (/proc/PID/root, which shows the container's own mounts) and opens ONE component at a time
// relative to an already-open directory (/proc/self/fd/N/<name>, O_NOFOLLOW): a symlink is read
// and resolved by this code inside the container root (an absolute target restarts at that
// root, `..` never climbs above it), like openat2(RESOLVE_IN_ROOT).
import { constants } from 'node:fs';
import { open, readlink, type FileHandle } from 'node:fs/promises';
import { ProbeAccessError, verifyProcess, type ProcessRef } from './proc.js';

const MAX_LINKS = 40;

export type FileRead =
  | { kind: 'file'; content: Buffer; size: number; truncated: boolean }
  | { kind: 'absent'; why: string }
  | { kind: 'other'; why: string };

export class RootfsError extends ProbeAccessError {}

interface Walk {
  /** directory handles from the root down; the root is never popped */
  stack: FileHandle[];
  links: number;
}

const fdPath = (fh: FileHandle, name: string) => `/proc/self/fd/${fh.fd}/${name}`;

function split(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

async function closeAll(hs: FileHandle[]): Promise<void> {
  await Promise.all(hs.map((h) => h.close().catch(() => {})));
}

/**
 * Opens `path` inside the root of `ref`'s container. `follow: false` refuses any symlink on the way.
 * Returns the open handle of the last component (a directory or a file, opened non-blocking).
 */
export async function openInRoot(ref: ProcessRef, path: string, opts: { follow: boolean }): Promise<FileHandle | { absent: string }> {
  const root = await open(`/proc/${ref.pid}/root`, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await verifyProcess(ref);
  } catch (err) {
    await root.close();
    throw err;
  }
  const walk: Walk = { stack: [root], links: 0 };
  const pending = split(path);
  try {
    while (pending.length) {
      const name = pending.shift()!;
      const dir = walk.stack.at(-1)!;
      if (name === '..') {
        if (walk.stack.length > 1) await walk.stack.pop()!.close();
        continue;
      }
      const last = pending.length === 0;
      let fh: FileHandle;
      try {
        fh = await open(fdPath(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY | (last ? 0 : constants.O_DIRECTORY));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ELOOP' || code === 'ENOTDIR') {
          // ELOOP: a symlink (O_NOFOLLOW); ENOTDIR with O_DIRECTORY: a symlink or a plain file
          let target: string | undefined;
          try {
            target = await readlink(fdPath(dir, name));
          } catch {
            target = undefined;
          }
          if (target === undefined) return { absent: `${name} is not a directory` };
          if (!opts.follow) throw new RootfsError(`${path}: ${name} is a symlink (refused)`);
          if (++walk.links > MAX_LINKS) throw new RootfsError(`${path}: too many levels of symbolic links`);
          if (target.startsWith('/')) {
            const [keep, ...drop] = walk.stack;
            await closeAll(drop);
            walk.stack = [keep!];
          }
          pending.unshift(...split(target));
          continue;
        }
        if (code === 'ENOENT') return { absent: `${path} does not exist` };
        throw new RootfsError(`${path}: ${code ?? (err as Error).message}`);
      }
      if (last) {
        walk.stack.push(fh);
        const out = walk.stack.pop()!;
        await closeAll(walk.stack);
        walk.stack = [];
        return out;
      }
      walk.stack.push(fh);
    }
    // the path named the root itself
    const out = walk.stack.shift()!;
    await closeAll(walk.stack);
    walk.stack = [];
    return out;
  } finally {
    await closeAll(walk.stack);
  }
}

/** Reads a regular file of the host, at most `maxBytes` (symlinks resolve inside the host). */
export async function readFileInRoot(ref: ProcessRef, path: string, maxBytes: number): Promise<FileRead> {
  const fh = await openInRoot(ref, path, { follow: true });
  if ('absent' in fh) return { kind: 'absent', why: fh.absent };
  try {
    const st = await fh.stat();
    if (st.isDirectory()) return { kind: 'other', why: `${path} is a directory` };
    if (!st.isFile()) return { kind: 'other', why: `${path} is not a regular file` };
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const truncated = got > maxBytes;
    return { kind: 'file', content: buf.subarray(0, Math.min(got, maxBytes)), size: st.size, truncated };
  } finally {
    await fh.close();
  }
}
