// Contract tests of the kind provider against recording fakes of kind, kubectl and docker:
// they pin the exact invocations, the timeouts and the cleanup on every failure path.
import { mkdirSync, mkdtempSync, readFileSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Lab, type LabInput } from '../../labs/schema.js';
import { execaRunner } from './cli.js';
import { makeFakes, type Fakes } from './fakes.test-helper.js';
import { KindPool } from './pool.js';
import { KindProvider, clusterName, type KindProviderOptions } from './provider.js';
import type { PtyLike } from './sandbox.js';

function lab(cluster: LabInput['environment']['cluster'], id = 'k8s-test'): Lab {
  return Lab.parse({
    apiVersion: 'netdojo/v1',
    kind: 'Lab',
    id,
    title: 't',
    track: 'kubernetes',
    level: 'beginner',
    minutes: 1,
    requires: ['kind'],
    environment: { provider: 'kind', hosts: [{ name: 'control-plane' }], cluster },
    steps: [{ id: 's', title: 't', text: 't', solve: [{ run: 'true' }], checks: [{ id: 'c', kubectl: { get: 'nodes' } }] }],
  });
}

const TWO_NODES = {
  podSubnet: '172.16.0.0/16',
  nodes: [{ role: 'control-plane' as const, extraPortMappings: [{ containerPort: 80, hostPort: 80 }] }, { role: 'worker' as const, labels: { 'lab.netdojo.io/node': 'k8s-w1' } }],
};

let fakes: Fakes;
let stateDir: string;
let labDir: string;

function provider(env: Record<string, string> = {}, opts: KindProviderOptions = {}): KindProvider {
  return new KindProvider({ stateDir, cli: execaRunner(fakes.env(env)), pollMs: 20, ...opts });
}

/** The logged calls of one binary, without the capability probes. */
function callsOf(bin: string): string[] {
  return fakes.calls().filter((c) => c.startsWith(`${bin} | `) || c === bin);
}

beforeEach(() => {
  fakes = makeFakes();
  stateDir = join(fakes.dir, 'data');
  labDir = mkdtempSync(join(tmpdir(), 'netdojo-kind-lab-'));
  mkdirSync(join(labDir, 'files'));
  writeFileSync(join(labDir, 'files', 'pod.yaml'), 'kind: Pod\n');
});
afterEach(() => {
  fakes.cleanup();
  rmSync(labDir, { recursive: true, force: true });
});

describe('kind provider contract: capabilities', () => {
  it('says "kind is not installed (not on PATH)" when kind is missing', async () => {
    fakes.cleanup();
    fakes = makeFakes({ without: ['kind'] });
    const caps = await provider().capabilities();
    expect(caps.has.kind).toBe(false);
    expect(caps.missing.kind).toBe('kind is not installed (not on PATH)');
    expect(caps.has.kubectl).toBe(true);
  });

  it('needs a Docker engine that answers', async () => {
    const caps = await provider({ FAKE_DOCKER_DOWN: '1' }).capabilities();
    expect(caps.has.kind).toBe(false);
    expect(caps.missing.kind).toMatch(/^kind needs Docker: the Docker engine does not answer \(Cannot connect/);
  });

  it('reports kind as available when kind, docker and kubectl run', async () => {
    const caps = await provider().capabilities();
    expect(caps).toEqual({ has: { kind: true, kubectl: true }, missing: {} });
    expect(fakes.calls()).toEqual(['kubectl | version | --client', 'kind | version', 'docker | info | --format | {{.ServerVersion}}']);
  });

  it('create() refuses with the reason when kind is missing, and runs nothing else', async () => {
    fakes.cleanup();
    fakes = makeFakes({ without: ['kind'] });
    await expect(provider().create(lab(TWO_NODES), { sessionId: 's1', labDir })).rejects.toThrow('kind is not installed (not on PATH)');
    expect(fakes.calls().filter((c) => /create|wait|readyz/.test(c))).toEqual([]);
  });
});

describe('kind provider contract: create', () => {
  it('creates netdojo-<id> from the generated config with a per-session kubeconfig, waits, prepares the nodes', async () => {
    const p = provider();
    const sb = await p.create(lab(TWO_NODES), { sessionId: 's1', labDir });
    const cfg = join(stateDir, 'netdojo-s1.kind.yaml');
    const kc = join(stateDir, 'netdojo-s1.kubeconfig');
    expect(callsOf('kind').filter((c) => c !== 'kind | version')).toEqual([`kind | create | cluster | --name | netdojo-s1 | --config | ${cfg} | --kubeconfig | ${kc}`]);
    expect(callsOf('kubectl').filter((c) => !c.includes('version'))).toEqual([
      `kubectl | --kubeconfig | ${kc} | get | --raw | /readyz`,
      `kubectl | --kubeconfig | ${kc} | wait | --for=condition=Ready | nodes | --all | --timeout=180s`,
    ]);
    expect(callsOf('docker').filter((c) => !c.startsWith('docker | info'))).toEqual([
      'docker | exec | netdojo-s1-control-plane | cat | /etc/kubernetes/admin.conf',
      'docker | exec | -i | netdojo-s1-worker | sh | -c | cat > /etc/kubernetes/admin.conf',
      `docker | cp | ${join(labDir, 'files')}/. | netdojo-s1-control-plane:/root/`,
    ]);
    // The config kind got: v1alpha4, the lab's nodes, labels and subnet; host ports freed.
    expect(parse(readFileSync(cfg, 'utf8'))).toEqual({
      kind: 'Cluster',
      apiVersion: 'kind.x-k8s.io/v1alpha4',
      networking: { podSubnet: '172.16.0.0/16' },
      nodes: [
        { role: 'control-plane', extraPortMappings: [{ containerPort: 80, hostPort: 0, listenAddress: '127.0.0.1' }] },
        { role: 'worker', labels: { 'lab.netdojo.io/node': 'k8s-w1' } },
      ],
    });
    expect(sb.hosts).toEqual(['control-plane', 'worker']);
    expect(sb.ref).toEqual({ provider: 'kind', sessionId: 's1', labId: 'k8s-test' });
    expect(JSON.parse(readFileSync(join(stateDir, 'netdojo-s1.json'), 'utf8'))).toMatchObject({ cluster: 'netdojo-s1', sessionId: 's1', labId: 'k8s-test' });
  });

  it('with disableDefaultCNI waits for the API server only (nodes stay NotReady until the lab installs a CNI)', async () => {
    await provider().create(lab({ disableDefaultCNI: true, nodes: [{ role: 'control-plane' }] }), { sessionId: 's2', labDir });
    expect(callsOf('kubectl').filter((c) => !c.includes('version'))).toEqual([
      `kubectl | --kubeconfig | ${join(stateDir, 'netdojo-s2.kubeconfig')} | get | --raw | /readyz`,
    ]);
    const cfg = parse(readFileSync(join(stateDir, 'netdojo-s2.kind.yaml'), 'utf8')) as { networking: unknown };
    expect(cfg.networking).toEqual({ disableDefaultCNI: true });
  });

  it('deletes the cluster and its files when kind create fails', async () => {
    const p = provider({ FAKE_KIND_CREATE_FAIL: 'boom' });
    await expect(p.create(lab(TWO_NODES), { sessionId: 's3', labDir })).rejects.toThrow(
      'kind create cluster netdojo-s3 failed: ERROR: failed to create cluster: boom',
    );
    const kc = join(stateDir, 'netdojo-s3.kubeconfig');
    expect(callsOf('kind').at(-1)).toBe(`kind | delete | cluster | --name | netdojo-s3 | --kubeconfig | ${kc}`);
    for (const f of ['netdojo-s3.kind.yaml', 'netdojo-s3.kubeconfig', 'netdojo-s3.json']) expect(existsSync(join(stateDir, f))).toBe(false);
    expect(callsOf('kubectl').filter((c) => c.includes('readyz'))).toEqual([]);
  });

  it('kills a kind create that outlives its timeout, then deletes the cluster', async () => {
    const p = provider({ FAKE_KIND_CREATE_SLEEP: '30' }, { createTimeoutMs: 500 });
    await expect(p.create(lab(TWO_NODES), { sessionId: 's4', labDir })).rejects.toThrow('kind create cluster netdojo-s4 failed: timed out after 0.5s');
    expect(callsOf('kind').at(-1)).toBe(`kind | delete | cluster | --name | netdojo-s4 | --kubeconfig | ${join(stateDir, 'netdojo-s4.kubeconfig')}`);
  });

  it('gives up on an API server that never answers within the readiness timeout, then deletes', async () => {
    const p = provider({ FAKE_API_DOWN: '1' }, { readyTimeoutMs: 1_000 });
    await expect(p.create(lab(TWO_NODES), { sessionId: 's5', labDir })).rejects.toThrow(
      /^kind cluster netdojo-s5: API server not ready after 1s: The connection to the server 127\.0\.0\.1:35000 was refused/,
    );
    expect(callsOf('kubectl').filter((c) => c.includes('readyz')).length).toBeGreaterThanOrEqual(1);
    expect(callsOf('kind').at(-1)).toBe(`kind | delete | cluster | --name | netdojo-s5 | --kubeconfig | ${join(stateDir, 'netdojo-s5.kubeconfig')}`);
    expect(existsSync(join(stateDir, 'netdojo-s5.json'))).toBe(false);
  });

  it('deletes the cluster when the nodes do not become Ready', async () => {
    const p = provider({ FAKE_NODES_NOT_READY: '1' }, { readyTimeoutMs: 2_000 });
    await expect(p.create(lab(TWO_NODES), { sessionId: 's6', labDir })).rejects.toThrow(
      'kind cluster netdojo-s6: nodes not Ready after 2s: error: timed out waiting for the condition on nodes/x',
    );
    expect(callsOf('kind').at(-1)).toMatch(/^kind \| delete \| cluster \| --name \| netdojo-s6 /);
  });

  it('makes DNS-safe, short cluster names from session ids', () => {
    expect(clusterName('Sess_01HX:ABC')).toBe('netdojo-sess-01hx-abc');
    expect(clusterName('0123456789abcdef0123456789abcdef')).toBe('netdojo-0123456789abcdef01234567');
    expect(() => clusterName('___')).toThrow(/cannot make a kind cluster name/);
  });
});

describe('kind provider contract: sandbox', () => {
  it('exec runs bash -c in the node container with kubectl pointed at admin.conf', async () => {
    const sb = await provider().create(lab(TWO_NODES), { sessionId: 's7', labDir });
    const res = await sb.exec('control-plane', 'kubectl get nodes', { stdin: 'hello' });
    expect(res).toMatchObject({ exitCode: 0, timedOut: false });
    expect(res.stdout).toBe('ran: kubectl get nodes\nstdin: hello\n');
    expect(callsOf('docker').at(-1)).toBe('docker | exec | -i | -e | KUBECONFIG=/etc/kubernetes/admin.conf | netdojo-s7-control-plane | bash | -c | kubectl get nodes');
    await sb.exec('worker', 'ip route', { netns: 'red', env: { A: 'b' } });
    expect(callsOf('docker').at(-1)).toBe('docker | exec | -i | -e | KUBECONFIG=/etc/kubernetes/admin.conf | -e | A=b | netdojo-s7-worker | ip | netns | exec | red | bash | -c | ip route');
    await sb.exec('worker', 'sleep 100', { background: true });
    expect(callsOf('docker').at(-1)).toBe('docker | exec | -d | -e | KUBECONFIG=/etc/kubernetes/admin.conf | netdojo-s7-worker | bash | -c | sleep 100');
    await expect(sb.exec('node9', 'true')).rejects.toThrow('no host "node9" in kind cluster netdojo-s7 (hosts: control-plane, worker)');
  });

  it('exec passes a failing exit code and stderr through', async () => {
    const p = provider({ FAKE_EXEC_EXIT: '3' });
    const sb = await p.adopt({ provider: 'kind', sessionId: 's8', labId: 'k8s-test' }, lab(TWO_NODES)).catch(() => undefined);
    expect(sb).toBeUndefined(); // no such cluster yet: adopt refuses
    fakes.calls();
    writeFileSync(join(fakes.state, 'clusters'), 'netdojo-s8\n');
    const adopted = await p.adopt({ provider: 'kind', sessionId: 's8', labId: 'k8s-test' }, lab(TWO_NODES));
    const res = await adopted.exec('control-plane', 'false');
    expect(res.exitCode).toBe(3);
    expect(res.stderr).toBe('failing\n');
  });

  it('attach opens `docker exec -it … bash` on a pty in /root and close() ends the shell by its pid', async () => {
    const sb = await provider().create(lab(TWO_NODES), { sessionId: 's9', labDir });
    const spawned: Array<{ file: string; args: string[]; cols: number }> = [];
    const written: string[] = [];
    let killed = false;
    let data: (d: string) => void = () => {};
    sb.ptySpawner = async (file, args, size) => {
      spawned.push({ file, args, cols: size.cols });
      const pty: PtyLike = {
        onData: (cb) => (data = cb),
        onExit: () => {},
        write: (d) => written.push(d),
        resize: () => {},
        kill: () => (killed = true),
      };
      return pty;
    };
    const term = await sb.attach('control-plane', { cols: 120, rows: 30 });
    expect(spawned[0]!.file).toBe('docker');
    expect(spawned[0]!.args.slice(0, 9)).toEqual(['exec', '-it', '-e', 'KUBECONFIG=/etc/kubernetes/admin.conf', '-e', 'TERM=xterm-256color', '-w', '/root', 'netdojo-s9-control-plane']);
    const shell = spawned[0]!.args.at(-1)!;
    expect(shell).toMatch(/^echo \$\$ > \/run\/netdojo-term-[0-9a-f]{12}\.pid; exec bash -l$/);
    term.stream.write('kubectl get no\r');
    expect(written).toEqual(['kubectl get no\r']);
    const got = new Promise<string>((r) => term.stream.once('data', (b: Buffer) => r(b.toString())));
    data('root@netdojo-s9-control-plane:~# ');
    expect(await got).toBe('root@netdojo-s9-control-plane:~# ');
    await term.close();
    expect(killed).toBe(true);
    const pidFile = /\/run\/netdojo-term-[0-9a-f]{12}\.pid/.exec(shell)![0];
    expect(callsOf('docker').at(-1)).toBe(`docker | exec | netdojo-s9-control-plane | sh | -c | kill -HUP "$(cat ${pidFile})" 2>/dev/null; rm -f ${pidFile}`);
  });
});

describe('kind provider contract: list, destroy, leftovers', () => {
  it('lists only netdojo- clusters, with their sessions; unknown ones as orphans', async () => {
    const p = provider({ FAKE_KIND_EXTRA_CLUSTERS: 'kind someone-else netdojo-orphan' });
    await p.create(lab(TWO_NODES), { sessionId: 's10', labDir });
    const refs = await p.list();
    expect(refs).toEqual([
      { provider: 'kind', sessionId: 'orphan', labId: '' },
      { provider: 'kind', sessionId: 's10', labId: 'k8s-test', createdAt: expect.any(String) },
    ]);
    expect(callsOf('kind').at(-1)).toBe('kind | get | clusters');
  });

  it('destroy is idempotent and removes the per-session files', async () => {
    const p = provider();
    await p.create(lab(TWO_NODES), { sessionId: 's11', labDir });
    await p.destroy({ provider: 'kind', sessionId: 's11', labId: 'k8s-test' });
    await p.destroy({ provider: 'kind', sessionId: 's11', labId: 'k8s-test' });
    const kc = join(stateDir, 'netdojo-s11.kubeconfig');
    expect(callsOf('kind').filter((c) => c.includes('delete'))).toEqual([
      `kind | delete | cluster | --name | netdojo-s11 | --kubeconfig | ${kc}`,
      `kind | delete | cluster | --name | netdojo-s11 | --kubeconfig | ${kc}`,
    ]);
    expect(await p.list()).toEqual([]);
    expect(await p.leftovers('s11')).toEqual([]);
  });

  it('leftovers names the node containers still labelled for the cluster', async () => {
    writeFileSync(join(fakes.state, 'containers'), 'netdojo-s12-control-plane\n');
    expect(await provider().leftovers('s12')).toEqual(['container netdojo-s12-control-plane']);
    expect(callsOf('docker').at(-1)).toBe('docker | ps | -a | --filter | label=io.x-k8s.kind.cluster=netdojo-s12 | --format | {{.Names}}');
  });
});

describe('kind provider contract: warm pool', () => {
  it('keeps a ready cluster, hands it to a session without creating one, refills, drains on shutdown', async () => {
    const p = provider();
    const l = lab(TWO_NODES);
    const pool = new KindPool(p, { size: 1, labs: [l] }).start();
    await pool.refill();
    expect(pool.sizes()).toEqual({ [p.poolKey(l)]: 1 });
    const creates = (): string[] => callsOf('kind').filter((c) => c.includes('create'));
    expect(creates()).toHaveLength(1);
    const pooled = /--name \| (netdojo-pool-[0-9a-f]{8}) /.exec(creates()[0]!)![1]!;

    const sb = await p.create(l, { sessionId: 'learner-1', labDir });
    expect(sb.cluster).toBe(pooled);
    expect(sb.ref).toEqual({ provider: 'kind', sessionId: 'learner-1', labId: 'k8s-test' });
    expect(callsOf('docker').at(-1)).toBe(`docker | cp | ${join(labDir, 'files')}/. | ${pooled}-control-plane:/root/`);
    await pool.refill();
    expect(creates()).toHaveLength(2); // refilled in the background

    // A lab whose cluster is not kept warm gets a cluster of its own.
    const other = await p.create(lab({ nodes: [{ role: 'control-plane' }] }, 'k8s-other'), { sessionId: 'learner-2', labDir });
    expect(other.cluster).toBe('netdojo-learner-2');

    await pool.drain();
    const deletes = callsOf('kind').filter((c) => c.includes('delete'));
    expect(deletes).toHaveLength(1);
    expect(deletes[0]).not.toContain(pooled); // the learner's cluster stays
    expect(p.pool).toBeUndefined();
    const refs = await p.list();
    expect(refs.map((r) => r.sessionId).sort()).toEqual(['learner-1', 'learner-2']);
    await p.destroy(sb.ref);
    expect(callsOf('kind').at(-1)).toBe(`kind | delete | cluster | --name | ${pooled} | --kubeconfig | ${join(stateDir, `${pooled}.kubeconfig`)}`);
  });

  it('retries after a failed background creation and reports the error', async () => {
    const errors: unknown[] = [];
    const p = provider({ FAKE_KIND_CREATE_FAIL: 'no space' });
    const pool = new KindPool(p, { size: 1, labs: [lab(TWO_NODES)], onError: (e) => errors.push(e), backoffMs: 10 }).start();
    for (let i = 0; i < 100 && errors.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    await pool.drain();
    expect(errors.length).toBeGreaterThanOrEqual(2); // it tried again
    expect(String(errors[0])).toContain('kind create cluster netdojo-pool-');
    expect(String(errors[0])).toContain('failed: ERROR: failed to create cluster: no space');
    expect(Object.values(pool.sizes())).toEqual([0]);
    const names = (verb: string): string[] => callsOf('kind').filter((c) => c.includes(verb)).map((c) => /--name \| (\S+)/.exec(c)![1]!);
    for (const created of names('create')) expect(names('delete')).toContain(created); // every failed creation was cleaned up
  });
});
