// Helpers for the authoring tests: run the real CLI, read the guide's marked YAML blocks, and find
// (and remove) the Docker objects of this test run's own scope.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../server/src/labs/paths.js';

export const CLI = join(REPO_ROOT, 'bin/netdojo.mjs');
export const GUIDE = join(REPO_ROOT, 'docs/authoring.md');
/** Sandboxes of this run carry `netdojo.scope=<SCOPE>`: nobody else's objects are ever touched. */
export const SCOPE = `authoring-test-${randomBytes(3).toString('hex')}`;
export const ENV = { ...process.env, NETDOJO_SCOPE: SCOPE, NO_COLOR: '1', FORCE_COLOR: '0' };

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function netdojo(args: string[], timeoutMs = 240_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The YAML block that follows `<!-- <marker>` in the guide. */
export function guideBlock(marker: string): string {
  const text = readFileSync(GUIDE, 'utf8');
  const at = text.indexOf(`<!-- ${marker}`);
  if (at < 0) throw new Error(`no block marked ${marker} in docs/authoring.md`);
  const start = text.indexOf('```yaml\n', at) + '```yaml\n'.length;
  const end = text.indexOf('\n```\n', start);
  return text.slice(start, end + 1);
}

/** A CLI process driven through its stdin, with a way to wait for its output. */
export class Driven {
  out = '';
  readonly exited: Promise<number>;
  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (d: Buffer) => (this.out += d));
    child.stderr.on('data', (d: Buffer) => (this.out += d));
    this.exited = new Promise((r) => child.on('close', (code, sig) => r(code ?? (sig ? 128 : -1))));
  }
  static start(args: string[]): Driven {
    return new Driven(spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: ENV }));
  }
  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }
  /** Waits for `re` in the output written after `from` (default: anywhere). */
  async waitFor(re: RegExp, ms = 120_000, from = 0): Promise<RegExpExecArray> {
    const until = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.out.slice(from));
      if (m) return m;
      if (Date.now() > until) throw new Error(`output never matched ${re}; last output:\n${this.out.slice(-1500)}`);
      if (this.child.exitCode !== null) throw new Error(`exited (${this.child.exitCode}) before ${re}; output:\n${this.out.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  /** Sends a command and waits for `re` in what it prints. */
  async run(line: string, re: RegExp, ms?: number): Promise<RegExpExecArray> {
    const from = this.out.length;
    this.send(line);
    return this.waitFor(re, ms, from);
  }
}

function ids(kind: 'ps' | 'network' | 'volume', filter: string): string[] {
  const args = kind === 'ps' ? ['ps', '-aq'] : [kind, 'ls', '-q'];
  return execFileSync('docker', [...args, '--filter', filter], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** Docker objects labelled with `label=value` (containers, networks, volumes). */
export function dockerObjects(label: string, value: string): string[] {
  const f = `label=${label}=${value}`;
  return [...ids('ps', f), ...ids('network', f), ...ids('volume', f)];
}

/** Removes every Docker object of this test run's scope (and only those). */
export function removeScope(): void {
  const f = `label=netdojo.scope=${SCOPE}`;
  const rm = (args: string[], list: string[]) => list.length && execFileSync('docker', [...args, ...list], { stdio: 'ignore' });
  try {
    rm(['rm', '-f', '-v'], ids('ps', f));
    rm(['network', 'rm'], ids('network', f));
    rm(['volume', 'rm', '-f'], ids('volume', f));
  } catch {
    /* reported by the tests' own leftover assertions */
  }
}
