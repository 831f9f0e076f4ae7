// The host's own tools for out-of-band probes, by absolute path from the system directories only
// (never from $PATH, never from a sandbox).
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';

export const SYSTEM_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** tool → the Debian package that has it (what infra/up.sh and the server image install) */
export const TOOLS = {
  nsenter: 'util-linux',
  bash: 'bash',
  ip: 'iproute2',
  'iptables-nft': 'iptables',
  'iptables-legacy-save': 'iptables',
  ping: 'iputils-ping',
  curl: 'curl',
  dig: 'dnsutils',
  tcpdump: 'tcpdump',
  cat: 'coreutils',
} as const;
export type Tool = keyof typeof TOOLS;

export type ToolPaths = Partial<Record<Tool, string>>;

export async function findTools(): Promise<ToolPaths> {
  const found: ToolPaths = {};
  await Promise.all(
    (Object.keys(TOOLS) as Tool[]).map(async (tool) => {
      for (const dir of SYSTEM_PATH.split(':')) {
        const p = `${dir}/${tool}`;
        if (await access(p, constants.X_OK).then(() => true, () => false)) {
          found[tool] = p;
          return;
        }
      }
    }),
  );
  return found;
}
