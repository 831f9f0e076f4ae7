import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

/**
 * The sandbox scope of a server: every server owns the sandboxes of its own data dir, so that its
 * reconcile never touches those of another server, a replay or a test on the same engine.
 */
export function serverScope(dataDir: string): string {
  return process.env.NETDOJO_SCOPE ?? `server-${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 10)}`;
}
