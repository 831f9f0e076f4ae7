// Two owners of kind clusters on one engine: a real `netdojo serve` (its scope comes from its data
// dir) reconciles at startup and removes the orphan cluster of its own scope, while the cluster of
// another scope (a concurrent replay, another server) survives. kind/kubectl are stand-ins
// (standins.test-helper.ts); the node containers are real.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../../images/catalog.js';
import { Lab } from '../../labs/schema.js';
import { serverScope } from '../../sessions/scope.js';
import { execaRunner } from './cli.js';
import { KindProvider } from './provider.js';
import { makeStandIns } from './standins.test-helper.js';

vi.setConfig({ testTimeout: 600_000, hookTimeout: 120_000 });

const lab = Lab.parse({
  apiVersion: 'netdojo/v1',
  kind: 'Lab',
  id: 'k8s-scope',
  title: 't',
  track: 'kubernetes',
  level: 'beginner',
  minutes: 1,
  requires: ['kind'],
  environment: { provider: 'kind', hosts: [{ name: 'control-plane' }], cluster: { nodes: [{ role: 'control-plane' }, { role: 'worker' }] } },
  steps: [{ id: 's', title: 't', text: 't', solve: [{ run: 'true' }], checks: [{ id: 'c', kubectl: { get: 'nodes' } }] }],
});

const si = makeStandIns();
const dataDir = mkdtempSync(join(tmpdir(), 'netdojo-kind-scope-'));
let server: ChildProcess | undefined;

/** The scope `netdojo serve --data dir` takes when NETDOJO_SCOPE is not set (the server below runs without it). */
function scopeOfServer(dir: string): string {
  const saved = process.env.NETDOJO_SCOPE;
  delete process.env.NETDOJO_SCOPE;
  try {
    return serverScope(dir);
  } finally {
    if (saved !== undefined) process.env.NETDOJO_SCOPE = saved;
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

/** `netdojo serve` on its own data dir with the stand-ins first on PATH; resolves once /api/health answers (after the startup reconcile). */
async function serve(env: Record<string, string>): Promise<void> {
  const port = await freePort();
  const web = join(dataDir, 'web');
  mkdirSync(web, { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>t</title>');
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NETDOJO_SCOPE;
  let out = '';
  server = spawn(process.execPath, [join(REPO_ROOT, 'bin/netdojo.mjs'), 'serve', '--port', String(port), '--data', dataDir, '--labs', join(REPO_ROOT, 'test/api/fixtures/labs'), '--web', web, '--pool', '0', '--log-level', 'warn'], {
    cwd: REPO_ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  server.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // a loaded 2-core machine can take minutes to start a server: bounded, not timed
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`server exited: ${out}`);
    const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    const t = setTimeout(() => server!.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(t);
  }
  si.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('kind clusters and a server reconcile', () => {
  it("the server's startup reconcile removes its own orphan cluster and leaves another scope's cluster alone", async () => {
    const env = si.env();
    const cli = execaRunner(env);
    const other = new KindProvider({ scope: 'replay-elsewhere', stateDir: join(si.dir, 'replay-state'), cli });
    const mine = new KindProvider({ scope: scopeOfServer(dataDir), stateDir: join(dataDir, 'kind'), cli });
    const kept = await other.create(lab, { sessionId: 'replay-1', labDir: '' });
    const orphan = await mine.create(lab, { sessionId: 'gone-session', labDir: '' });
    const keptNodes = si.nodes().filter((n) => n.startsWith(`${kept.cluster}-`));
    expect(keptNodes).toHaveLength(2);
    expect(si.nodes().filter((n) => n.startsWith(`${orphan.cluster}-`))).toHaveLength(2);

    // the server process finds the stand-in kind and kubectl first on its PATH
    await serve(env);

    expect(si.nodes().filter((n) => n.startsWith(`${orphan.cluster}-`))).toEqual([]);
    expect(si.nodes().filter((n) => n.startsWith(`${kept.cluster}-`))).toEqual(keptNodes);
    expect((await other.list()).map((r) => r.sessionId)).toEqual(['replay-1']);
    await other.destroy(kept.ref);
    expect(si.nodes()).toEqual([]);
  });
});
