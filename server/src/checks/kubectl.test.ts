// The kubectl checker: the exact kubectl command it runs on the kubectl host, and how it
// explains each outcome (expected / actual). The sandbox here replays recorded kubectl output.
import { describe, expect, it } from 'vitest';
import type { ExecResult, Sandbox } from '../sandbox/types.js';
import { kubectl, type KubectlSpec } from './kubectl.js';

function sandbox(reply: (script: string) => Partial<ExecResult>): { sb: Sandbox; runs: Array<{ host: string; script: string }> } {
  const runs: Array<{ host: string; script: string }> = [];
  const sb: Sandbox = {
    ref: { provider: 'kind', sessionId: 's', labId: 'l' },
    hosts: ['control-plane', 'worker'],
    exec: async (host, script) => {
      runs.push({ host, script });
      return { exitCode: 0, stdout: '', stderr: '', timedOut: false, durationMs: 1, ...reply(script) };
    },
    attach: async () => {
      throw new Error('not used');
    },
  };
  return { sb, runs };
}

const ctx = (sb: Sandbox) => ({ sandbox: sb, defaultHost: 'control-plane' });
const spec = (s: Partial<KubectlSpec>): KubectlSpec => s as KubectlSpec;

describe('kubectl checker: get', () => {
  it('runs kubectl get with jsonpath on the default host and compares with equals', async () => {
    const { sb, runs } = sandbox(() => ({ stdout: 'NodePort' }));
    const out = await kubectl(spec({ get: 'svc/nginx-nodeport-test', jsonpath: '{.spec.type}', equals: 'NodePort' }), ctx(sb));
    expect(runs).toEqual([{ host: 'control-plane', script: "kubectl get 'svc/nginx-nodeport-test' -o jsonpath='{.spec.type}'" }]);
    expect(out).toEqual({ pass: true, expected: 'svc/nginx-nodeport-test {.spec.type} = "NodePort"', actual: 'NodePort', message: 'svc/nginx-nodeport-test {.spec.type} is "NodePort"' });
  });

  it('explains a different value', async () => {
    const { sb } = sandbox(() => ({ stdout: 'ClusterIP' }));
    const out = await kubectl(spec({ get: 'svc/x', jsonpath: '{.spec.type}', equals: 'NodePort' }), ctx(sb));
    expect(out.pass).toBe(false);
    expect(out.actual).toBe('ClusterIP');
    expect(out.message).toBe('svc/x {.spec.type} is "ClusterIP", expected "NodePort"');
  });

  it('a missing resource fails with kubectl\'s reason; namespace and selector are passed', async () => {
    const { sb, runs } = sandbox(() => ({ exitCode: 1, stderr: 'Error from server (NotFound): deployments.apps "ingress-nginx-controller" not found\n' }));
    const out = await kubectl(spec({ get: 'deployment/ingress-nginx-controller', namespace: 'ingress-nginx', selector: 'a=b', jsonpath: '{.status.availableReplicas}', equals: '1' }), ctx(sb));
    expect(runs[0]!.script).toBe("kubectl get 'deployment/ingress-nginx-controller' -n 'ingress-nginx' -l 'a=b' -o jsonpath='{.status.availableReplicas}'");
    expect(out.pass).toBe(false);
    expect(out.message).toBe('deployment/ingress-nginx-controller with labels a=b in namespace ingress-nginx does not exist (Error from server (NotFound): deployments.apps "ingress-nginx-controller" not found)');
  });

  it('matches a regex; exists; exists: false', async () => {
    const ok = sandbox(() => ({ stdout: 'netdojo-x-worker netdojo-x-worker2' }));
    expect((await kubectl(spec({ get: 'pods/client pods/server', jsonpath: '{.items[*].spec.nodeName}', matches: 'worker .*worker2$' }), ctx(ok.sb))).pass).toBe(true);
    expect(ok.runs[0]!.script).toBe("kubectl get 'pods/client' 'pods/server' -o jsonpath='{.items[*].spec.nodeName}'");
    const bad = sandbox(() => ({ stdout: 'netdojo-x-worker netdojo-x-worker' }));
    const out = await kubectl(spec({ get: 'pods/client pods/server', jsonpath: '{.items[*].spec.nodeName}', matches: 'worker .*worker2$' }), ctx(bad.sb));
    expect(out.pass).toBe(false);
    expect(out.message).toContain('which does not match /worker .*worker2$/');

    const exists = sandbox(() => ({ stdout: 'ingressclass.networking.k8s.io/nginx\n' }));
    expect(await kubectl(spec({ get: 'ingressclass/nginx', exists: true }), ctx(exists.sb))).toMatchObject({ pass: true, message: 'ingressclass/nginx exists' });
    expect(exists.runs[0]!.script).toBe("kubectl get 'ingressclass/nginx' -o name");
    const empty = sandbox(() => ({ stdout: '' }));
    expect(await kubectl(spec({ get: 'pods', selector: 'app=x' }), ctx(empty.sb))).toMatchObject({ pass: false, message: 'no pods with labels app=x found' });
    const gone = sandbox(() => ({ exitCode: 1, stderr: 'Error from server (NotFound): pods "db" not found' }));
    expect(await kubectl(spec({ get: 'pod/db', exists: false }), ctx(gone.sb))).toMatchObject({ pass: true });
    const still = sandbox(() => ({ stdout: 'pod/db' }));
    expect(await kubectl(spec({ get: 'pod/db', exists: false }), ctx(still.sb))).toMatchObject({ pass: false, message: 'pod/db still exists: pod/db' });
  });

  it('an empty JSONPath result is not a pass', async () => {
    const { sb } = sandbox(() => ({ stdout: '' }));
    expect(await kubectl(spec({ get: 'svc/x', jsonpath: '{.spec.clusterIP}' }), ctx(sb))).toMatchObject({ pass: false, actual: '(empty)', message: 'svc/x {.spec.clusterIP} is empty' });
  });
});

describe('kubectl checker: exec in a pod', () => {
  it('runs sh -c inside the pod and matches its output', async () => {
    const { sb, runs } = sandbox(() => ({ stdout: '10.96.0.1\n' }));
    const out = await kubectl(spec({ exec: { pod: 'dns-query', run: 'dig +short kubernetes.default.svc.cluster.local', outputMatches: '^10\\.96\\.0\\.1$' } }), ctx(sb));
    expect(runs[0]!.script).toBe("kubectl exec 'dns-query' -- sh -c 'dig +short kubernetes.default.svc.cluster.local'");
    expect(out.pass).toBe(true);
  });

  it('explains output that does not match, a failing command and a missing pod', async () => {
    const wrong = sandbox(() => ({ stdout: '10.10.10.11\n' }));
    const o1 = await kubectl(spec({ namespace: 'kube-system', exec: { pod: 'q', container: 'c', run: "dig +short legacy.example.local", outputMatches: '^10\\.10\\.10\\.10$' } }), ctx(wrong.sb));
    expect(wrong.runs[0]!.script).toBe("kubectl exec -n 'kube-system' 'q' -c 'c' -- sh -c 'dig +short legacy.example.local'");
    expect(o1).toMatchObject({ pass: false, message: '`dig +short legacy.example.local` in pod q (namespace kube-system) printed "10.10.10.11", which does not match /^10\\.10\\.10\\.10$/' });
    const fails = sandbox(() => ({ exitCode: 7, stderr: 'curl: (7) Failed to connect\ncommand terminated with exit code 7' }));
    expect(await kubectl(spec({ exec: { pod: 'p', run: 'curl -s http://my-db/' } }), ctx(fails.sb))).toMatchObject({ pass: false, message: '`curl -s http://my-db/` failed in pod p (exit 7): curl: (7) Failed to connect' });
    const missing = sandbox(() => ({ exitCode: 1, stderr: 'Error from server (NotFound): pods "p" not found' }));
    expect(await kubectl(spec({ exec: { pod: 'p', run: 'true' } }), ctx(missing.sb))).toMatchObject({ pass: false, message: 'pod p does not exist' });
  });

  it('get and exec together must both pass; exec is skipped when get fails', async () => {
    const { sb, runs } = sandbox((s) => (s.startsWith('kubectl get') ? { stdout: 'Running' } : { stdout: 'pong' }));
    const both = await kubectl(spec({ get: 'pod/p', jsonpath: '{.status.phase}', equals: 'Running', exec: { pod: 'p', run: 'echo pong', outputMatches: 'pong' } }), ctx(sb));
    expect(both.pass).toBe(true);
    expect(runs).toHaveLength(2);
    const failing = sandbox(() => ({ stdout: 'Pending' }));
    const out = await kubectl(spec({ get: 'pod/p', jsonpath: '{.status.phase}', equals: 'Running', exec: { pod: 'p', run: 'echo pong' } }), ctx(failing.sb));
    expect(out.pass).toBe(false);
    expect(failing.runs).toHaveLength(1);
  });

  it('a check with neither get nor exec fails', async () => {
    const { sb } = sandbox(() => ({}));
    expect((await kubectl(spec({}), ctx(sb))).pass).toBe(false);
  });
});
