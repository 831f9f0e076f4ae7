// For unit tests of the step lifecycle without Docker: a sandbox whose hosts are folders. Each
// host's scripts run with the machine's own bash in that host's folder (a file stands for a piece
// of network state), so checks and actions go through the real checkers and action runner.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecResult, Sandbox } from '../sandbox/types.js';

export interface FolderSandboxes {
  /** a temporary folder of this kit's own, removed by cleanup() */
  root: string;
  /** a new sandbox with these hosts; `dir(host)` is the host's folder */
  make(hosts: string[]): { sandbox: Sandbox; dir: (host: string) => string };
  /** execs run by every sandbox made so far */
  execs(): number;
  /** removes every folder */
  cleanup(): void;
}

export function folderSandboxes(prefix: string): FolderSandboxes {
  const root = mkdtempSync(join(tmpdir(), `netdojo-${prefix}-`));
  let made = 0;
  let execs = 0;
  return {
    root,
    make(hosts) {
      const base = join(root, `sb${made++}`);
      for (const h of hosts) mkdirSync(join(base, h), { recursive: true });
      const dir = (h: string) => join(base, h);
      const sandbox: Sandbox = {
        ref: { provider: 'docker', sessionId: `${prefix}-${made}`, labId: prefix },
        hosts,
        exec(host, script, opts = {}): Promise<ExecResult> {
          if (!hosts.includes(host)) return Promise.reject(new Error(`no host ${host}`));
          const started = Date.now();
          execs++;
          return new Promise((resolve) => {
            const child = spawn('bash', ['-c', script], { cwd: dir(host), timeout: opts.timeoutMs ?? 10_000, env: { ...process.env, ...opts.env } });
            let stdout = '';
            let stderr = '';
            child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
            child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
            child.stdin.end(opts.stdin);
            child.on('close', (code, signal) =>
              resolve({ exitCode: code ?? 137, stdout, stderr, timedOut: signal === 'SIGTERM', durationMs: Date.now() - started }),
            );
          });
        },
        attach: () => Promise.reject(new Error('no terminal in unit tests')),
      } as Sandbox;
      return { sandbox, dir };
    },
    execs: () => execs,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
