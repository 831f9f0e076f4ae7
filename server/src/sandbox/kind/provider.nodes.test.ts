// The kind provider against real containers standing in for kind's nodes (standins.test-helper.ts):
// only the `kind` and `kubectl` binaries are fakes. What the provider does to node containers —
// files on every node, exec in its working directory with kubectl configured, checks, terminals,
// cleanup by label, adopt after a restart, scope — is observed from inside those containers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCheck } from '../../checks/index.js';
import { Lab, type LoadedLab } from '../../labs/schema.js';
import { replayLab } from '../../runner/replay.js';
import { terminalReader } from '../docker/testkit.js';
import type { Sandbox } from '../types.js';
import { execaRunner } from './cli.js';
import { KindProvider, type KindProviderOptions } from './provider.js';
import { makeStandIns, type StandIns } from './standins.test-helper.js';

vi.setConfig({ testTimeout: 420_000, hookTimeout: 420_000 });

const POD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: nginx\n';
const SVC = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n';

function kindLab(id = 'k8s-standin', extra: Record<string, unknown> = {}): Lab {
  return Lab.parse({
    apiVersion: 'netdojo/v1',
    kind: 'Lab',
    id,
    title: 't',
    track: 'kubernetes',
    level: 'beginner',
    minutes: 1,
    requires: ['kind'],
    environment: {
      provider: 'kind',
      hosts: [{ name: 'control-plane' }, { name: 'worker' }],
      cluster: { nodes: [{ role: 'control-plane' }, { role: 'worker', labels: { 'lab.netdojo.io/node': 'k8s-w1' } }] },
    },
    steps: [{ id: 's', title: 't', text: 't', solve: [{ run: 'true' }], checks: [{ id: 'c', kubectl: { get: 'nodes' } }] }],
    ...extra,
  });
}

let si: StandIns;
let labDir: string;
let stateDir: string;

function provider(opts: KindProviderOptions = {}, env: Record<string, string> = {}): KindProvider {
  return new KindProvider({ stateDir, cli: execaRunner(si.env(env)), pollMs: 50, readyTimeoutMs: 5_000, ...opts });
}

const sid = (tag: string) => `t-${tag}-${Math.random().toString(16).slice(2, 8)}`;

beforeAll(() => {
  si = makeStandIns();
  stateDir = join(si.dir, 'state');
  labDir = mkdtempSync(join(tmpdir(), 'netdojo-kind-lab-'));
  mkdirSync(join(labDir, 'files', 'sub'), { recursive: true });
  writeFileSync(join(labDir, 'files', 'pod.yaml'), POD);
  writeFileSync(join(labDir, 'files', 'sub', 'svc.yaml'), SVC);
});
afterAll(() => {
  si?.cleanup();
  rmSync(labDir, { recursive: true, force: true });
});

describe('kind provider on stand-in nodes: a session cluster', () => {
  let p: KindProvider;
  let sandbox: Sandbox;
  let session: string;
  let cluster: string;

  beforeAll(async () => {
    p = provider({ scope: 'nodes' });
    session = sid('nodes');
    sandbox = await p.create(kindLab(), { sessionId: session, labDir });
    cluster = (await p.clusters()).find((c) => c.endsWith(session)) ?? 'none';
    expect(si.nodes(cluster)).toEqual([`${cluster}-control-plane`, `${cluster}-worker`]);
  });

  it("puts the lab's files/ at /lab/files on every node, and nowhere else", () => {
    for (const node of si.nodes(cluster)) {
      expect(si.sh(node, 'cat /lab/files/pod.yaml')).toBe(POD);
      expect(si.sh(node, 'cat /lab/files/sub/svc.yaml')).toBe(SVC);
      expect(si.sh(node, 'ls /root')).toBe('');
    }
  });

  it('exec runs in /root on every node, with kubectl pointed at the cluster', async () => {
    for (const host of ['control-plane', 'worker']) {
      const r = await sandbox.exec(host, 'pwd; kubectl get --raw /readyz; echo "$KUBECONFIG"');
      expect({ host, ...r, durationMs: 0 }).toEqual({ host, exitCode: 0, stdout: '/root\nok\n/etc/kubernetes/admin.conf\n', stderr: '', timedOut: false, durationMs: 0 });
    }
  });

  it('exec passes stdin, env, a failing exit code and stderr through', async () => {
    const r = await sandbox.exec('worker', 'cat; echo "$GREETING"; echo oops >&2; exit 3', { stdin: 'in\n', env: { GREETING: 'hi' } });
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([3, 'in\nhi\n', 'oops\n']);
  });

  it('exec output is bounded (1 MiB per stream)', async () => {
    const r = await sandbox.exec('worker', "head -c 3000000 /dev/zero | tr '\\0' a; head -c 3000000 /dev/zero | tr '\\0' b >&2");
    expect(r.overflow).toBe('stdout');
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.stdout.length).toBeLessThanOrEqual(1024 * 1024 + 200);
    expect(r.stderr.length).toBeLessThanOrEqual(1024 * 1024 + 200);
  });

  it('setup and solve apply files by their /lab/files path on any node; a kubectl check sees the result', async () => {
    const ctx = { sandbox, defaultHost: 'control-plane' };
    const check = { id: 'svc', retry: 0, kubectl: { get: 'service/web' } } as unknown as Parameters<typeof runCheck>[0];
    const before = await runCheck(check, ctx);
    expect(before.pass).toBe(false);
    expect(before.message).toMatch(/does not exist/);
    const onWorker = await sandbox.exec('worker', 'kubectl apply -f /lab/files/pod.yaml');
    expect([onWorker.exitCode, onWorker.stdout]).toEqual([0, 'pod/web created\n']);
    const solve = await sandbox.exec('control-plane', 'kubectl apply -f /lab/files/sub/svc.yaml');
    expect([solve.exitCode, solve.stderr]).toEqual([0, '']);
    const after = await runCheck(check, ctx);
    expect([after.pass, after.message]).toEqual([true, 'service/web exists']);
  });

  it('a terminal opens a login shell in /root with kubectl ready, and close() ends it', async () => {
    const term = await sandbox.attach('worker', { cols: 100, rows: 30 });
    const out = terminalReader(term);
    term.stream.write('cd; echo "at:$(pwd)"; ls /lab/files; kubectl get --raw /readyz\r');
    await out.waitFor(/at:\/root[\s\S]*pod\.yaml\s+sub[\s\S]*\bok\b/);
    await term.resize({ cols: 120, rows: 40 });
    term.stream.write('stty size\r');
    await out.waitFor(/40 120/);
    await term.close();
    // the shell's process is gone from the node, not only the client
    const left = si.sh(`${cluster}-worker`, "ps -eo args | grep -c '^bash -l' || true").trim();
    expect(left).toBe('0');
  });

  it('adopts the cluster after a restart (a new provider on the same state dir)', async () => {
    const again = provider({ scope: 'nodes' });
    expect((await again.list()).map((r) => r.sessionId)).toContain(session);
    const adopted = await again.adopt({ provider: 'kind', sessionId: session, labId: 'k8s-standin' }, kindLab());
    const r = await adopted.exec('worker', 'pwd; cat /lab/files/sub/svc.yaml');
    expect([r.exitCode, r.stdout]).toEqual([0, `/root\n${SVC}`]);
  });

  it('destroy removes every node container labelled with the cluster and the session files', async () => {
    await p.destroy(sandbox.ref);
    expect(si.nodes(cluster)).toEqual([]);
    expect(await p.leftovers(session)).toEqual([]);
    await p.destroy(sandbox.ref); // idempotent
    await expect(provider({ scope: 'nodes' }).adopt(sandbox.ref, kindLab())).rejects.toThrow(/no longer exists/);
  });
});

describe('kind provider on stand-in nodes: failures leave nothing behind', () => {
  it('kind create fails: the error says why, no node is left', async () => {
    const session = sid('fail');
    const err = await provider({ scope: 'fail' }, { FAKE_KIND_CREATE_FAIL: 'boom' })
      .create(kindLab(), { sessionId: session, labDir })
      .catch((e: Error) => e);
    expect(String(err)).toMatch(/kind create cluster \S+ failed: ERROR: failed to create cluster: boom/);
    expect(si.nodes().filter((n) => n.includes(session))).toEqual([]);
  });

  it('the API server never answers: the cluster is deleted again', async () => {
    const session = sid('api');
    const p = provider({ scope: 'fail', readyTimeoutMs: 300 }, { FAKE_API_DOWN: '1' });
    await expect(p.create(kindLab(), { sessionId: session, labDir })).rejects.toThrow(/API server not ready after \d+s: The connection to the server/);
    expect(si.nodes().filter((n) => n.includes(session))).toEqual([]);
    expect(await p.leftovers(session)).toEqual([]);
  });
});

describe('kind provider on stand-in nodes: vendored manifests', () => {
  const apply = (file: string) => [{ id: 's', title: 't', text: 't', solve: [{ run: `kubectl apply -f ${file}` }], checks: [{ id: 'c', kubectl: { get: 'nodes' } }] }];

  it('copies the vendored folders a lab names to /lab/vendor on every node, and only those', async () => {
    const vendorDir = join(si.dir, 'vendor');
    mkdirSync(join(vendorDir, 'demo-v1'), { recursive: true });
    mkdirSync(join(vendorDir, 'other-v2'), { recursive: true });
    writeFileSync(join(vendorDir, 'demo-v1', 'demo.yaml'), SVC);
    writeFileSync(join(vendorDir, 'demo-v1', 'LICENSE'), 'Apache License 2.0\n');
    writeFileSync(join(vendorDir, 'other-v2', 'big.yaml'), POD);
    const p = provider({ scope: 'vendor', vendorDir });
    const session = sid('vendor');
    const sandbox = await p.create(kindLab('k8s-vendor', { steps: apply('/lab/vendor/demo-v1/demo.yaml') }), { sessionId: session, labDir });
    try {
      for (const host of sandbox.hosts) {
        const r = await sandbox.exec(host, 'ls /lab/vendor; cat /lab/vendor/demo-v1/demo.yaml');
        expect([r.exitCode, r.stdout]).toEqual([0, `demo-v1\n${SVC}`]);
      }
    } finally {
      await p.destroy(sandbox.ref);
    }
  });

  it('refuses a lab whose vendored file is missing, before creating anything', async () => {
    const session = sid('novendor');
    const p = provider({ scope: 'vendor', vendorDir: join(si.dir, 'empty-vendor') });
    await expect(p.create(kindLab('k8s-novendor', { steps: apply('/lab/vendor/calico-v9/calico.yaml') }), { sessionId: session, labDir })).rejects.toThrow(
      /lab k8s-novendor applies vendored manifests: \S+\/calico-v9\/calico\.yaml is missing \(vendor the pinned manifests once, where there is internet access: node infra\/kind\/vendor-manifests\.mjs\)/,
    );
    expect(si.nodes().filter((n) => n.includes(session))).toEqual([]);
  });
});

describe('kind provider on stand-in nodes: scope', () => {
  it("a provider lists and reconciles only its own scope's clusters; the other scope's cluster survives", async () => {
    const a = provider({ scope: 'replay-a' });
    const b = provider({ scope: 'server-b' });
    const sa = sid('a');
    const sb = sid('b');
    await a.create(kindLab(), { sessionId: sa, labDir });
    await b.create(kindLab(), { sessionId: sb, labDir });
    expect((await a.list()).map((r) => r.sessionId)).toEqual([sa]);
    expect((await b.list()).map((r) => r.sessionId)).toEqual([sb]);
    // what a server's reconcile does with sandboxes nobody owns: destroy every one it lists
    for (const ref of await b.list()) await b.destroy(ref);
    const left = si.nodes();
    expect(left.filter((n) => n.includes(sb))).toEqual([]);
    expect(left.filter((n) => n.includes(sa))).toHaveLength(2);
    const survivor = await a.adopt({ provider: 'kind', sessionId: sa, labId: 'k8s-standin' }, kindLab());
    expect((await survivor.exec('worker', 'cat /lab/files/pod.yaml')).stdout).toBe(POD);
    for (const ref of await a.list()) await a.destroy(ref);
    expect(si.nodes()).toEqual([]);
  });
});

describe('kind provider on stand-in nodes: a whole replay', () => {
  it('replays a lab whose setup, solve and checks use /lab/files on two nodes, and leaves nothing', async () => {
    const lab = kindLab('k8s-standin-replay', {
      setup: [
        { host: 'worker', run: 'test "$PWD" = /root && kubectl apply -f /lab/files/pod.yaml' },
        { host: 'control-plane', run: 'kubectl apply -f /lab/files/pod.yaml' },
      ],
      steps: [
        {
          id: 'service',
          title: 't',
          text: 't',
          solve: [{ host: 'control-plane', run: 'kubectl apply -f /lab/files/sub/svc.yaml' }],
          checks: [{ id: 'svc', kubectl: { get: 'service/web' } }],
        },
      ],
    });
    const loaded: LoadedLab = { lab, dir: labDir, file: join(labDir, 'lab.yaml') };
    const p = provider({ scope: 'replay' });
    const run = await replayLab(loaded, { provider: p, pollMs: 50 });
    expect({ status: run.status, reason: run.reason, leftovers: run.leftovers }).toEqual({ status: 'passed', reason: undefined, leftovers: [] });
    expect(run.steps[0]!.checks.map((c) => [c.id, c.before?.pass, c.after?.pass])).toEqual([['svc', false, true]]);
    expect(si.nodes().filter((n) => n.includes('replay'))).toEqual([]);
  });
});
