// A folder as a tar archive for Docker's putArchive: every entry owned by root (as `tar
// --owner=0 --group=0` would), modes and symlinks kept. tar-fs, not a `tar` child process.
import { buffer } from 'node:stream/consumers';
import { pack } from 'tar-fs';

export function tarOf(dir: string): Promise<Buffer> {
  return buffer(pack(dir, { map: (header) => ({ ...header, uid: 0, gid: 0, uname: 'root', gname: 'root' }) }));
}
