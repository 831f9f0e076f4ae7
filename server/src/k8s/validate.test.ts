// Offline validation of Kubernetes labs: the shipped track passes; broken manifests fail
// with the file, the line and the field.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KindCluster } from '../labs/schema.js';
import { generateKindConfig, kindNodeNames, KindClusterConfig } from './kind-config.js';
import { knownKind } from './schemas.js';
import { kubectlHeredocs, shellcheckAvailable, validateManifests } from './validate.js';

const TRACK = resolve(import.meta.dirname, '../../../labs/kubernetes');
const LABS = ['k8s-calico-ipip', 'k8s-clusterip-dnat', 'k8s-nodeport', 'k8s-coredns', 'k8s-ingress', 'k8s-networkpolicy', 'k8s-service-types', 'k8s-gateway-api', 'k8s-loadbalancer', 'k8s-kube-proxy-ipvs', 'k8s-statefulset-dns'];
const tmp: string[] = [];
afterEach(() => {
  for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true });
});

function copyLab(id: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'netdojo-k8s-validate-'));
  tmp.push(dir);
  cpSync(join(TRACK, id), join(dir, id), { recursive: true });
  return join(dir, id);
}

describe('validateManifests on the kubernetes track', () => {
  if (!shellcheckAvailable()) console.log('validate.test: shellcheck is not installed — shell lint not exercised (apt-get install -y shellcheck)');
  it.each(LABS)('%s has no problems', (id) => {
    expect(validateManifests(join(TRACK, id))).toEqual([]);
  });

  it('knows the kinds the labs use (core, networking, Gateway API)', () => {
    for (const k of ['apps/v1/Deployment', 'v1/Service', 'v1/Endpoints', 'networking.k8s.io/v1/Ingress', 'networking.k8s.io/v1/NetworkPolicy', 'gateway.networking.k8s.io/v1/HTTPRoute', 'gateway.networking.k8s.io/v1/GatewayClass']) {
      const i = k.lastIndexOf('/');
      expect(knownKind(k.slice(0, i), k.slice(i + 1)), k).toBe(true);
    }
  });
});

describe('validateManifests finds broken manifests', () => {
  it('checks the MetalLB resources a lab writes (a schema written here, not a warning)', () => {
    const dir = copyLab('k8s-loadbalancer');
    const file = join(dir, 'lab.yaml');
    expect(validateManifests(dir, { shellcheck: false })).toEqual([]);
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll('          ipAddressPools:\n', '          ipAddressPool:\n'));
    const problems = validateManifests(dir, { shellcheck: false });
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p).toMatchObject({ file, severity: 'error', message: expect.stringMatching(/heredoc L2Advertisement: unknown field "spec\.ipAddressPool"$/) });
  });
  it('a vendored manifest that the lock does not pin is an error at the script', () => {
    const dir = copyLab('k8s-ingress');
    const file = join(dir, 'lab.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll('/lab/vendor/ingress-nginx-controller-v1.12.0/deploy.yaml', '/lab/vendor/ingress-nginx-controller-v9.9.9/deploy.yaml'));
    const problems = validateManifests(dir, { shellcheck: false });
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) {
      expect(p).toMatchObject({ file, severity: 'error', message: expect.stringMatching(/\/lab\/vendor\/ingress-nginx-controller-v9\.9\.9\/deploy\.yaml is not pinned in infra\/kind\/manifests\.lock\.json$/) });
      expect(readFileSync(file, 'utf8').split('\n')[p.line - 1]).toMatch(/run: \|/);
    }
  });

  it('names file, line and field for a wrong apiVersion, an unknown field, a missing required field, a wrong type', () => {
    const dir = copyLab('k8s-nodeport');
    const file = join(dir, 'files', 'nginx-nodeport-test.yaml');
    const text = readFileSync(file, 'utf8')
      .replace('apiVersion: apps/v1', 'apiVersion: apps/v2')
      .replace('    nodePort: 31000', '    nodeport: 31000')
      .replace('  - port: 80\n', '  - name: http\n');
    writeFileSync(file, text);
    const pod = join(dir, 'files', 'nodeport-dnat.yaml');
    writeFileSync(pod, readFileSync(pod, 'utf8').replace('    image: traefik/whoami:v1.10.1\n', '    image: traefik/whoami:v1.10.1\n    replicas: two\n').replace('memory: "64Mi"', 'memory: ["64Mi"]'));
    const problems = validateManifests(dir);
    const lines = text.split('\n');
    const at = (needle: string): number => lines.findIndex((l) => l.includes(needle)) + 1;
    expect(problems).toContainEqual({ file, line: at('apiVersion: apps/v2'), col: 13, severity: 'error', message: 'manifest Deployment: apiVersion "apps/v2" has no kind Deployment (Deployment is served by apps/v1, apps/v1beta1, apps/v1beta2, extensions/v1beta1)' });
    expect(problems).toContainEqual({ file, line: at('nodeport: 31000'), col: 5, severity: 'error', message: 'manifest Service: unknown field "spec.ports[0].nodeport"' });
    expect(problems).toContainEqual(expect.objectContaining({ file, severity: 'error', message: 'manifest Service: missing required field "spec.ports[0].port"' }));
    expect(problems).toContainEqual(expect.objectContaining({ file: pod, message: 'manifest Pod: unknown field "spec.containers[0].replicas"' }));
    expect(problems).toContainEqual(expect.objectContaining({ file: pod, message: 'manifest Pod: spec.containers[0].resources.limits.memory: has the wrong type' }));
  });

  it('validates heredocs in solve scripts at their line in lab.yaml', () => {
    const dir = copyLab('k8s-service-types');
    const labFile = join(dir, 'lab.yaml');
    const text = readFileSync(labFile, 'utf8');
    // Break the heredoc of the solve (the second copy; the first one is in the step text).
    const idx = text.lastIndexOf('            targetPort: 9376');
    writeFileSync(labFile, `${text.slice(0, idx)}            targetport: 9376${text.slice(idx + '            targetPort: 9376'.length)}`);
    const line = text.slice(0, idx).split('\n').length;
    const col = text.split('\n')[line - 1]!.indexOf('targetPort') + 1;
    expect(validateManifests(dir)).toEqual([
      { file: labFile, line, col, severity: 'error', message: 'step manual-endpoints solve[0] heredoc Service: unknown field "spec.ports[0].targetport"' },
    ]);
  });

  it('rejects a cluster whose declared hosts are not its nodes, and a custom resource is only a warning', () => {
    const dir = copyLab('k8s-coredns');
    const labFile = join(dir, 'lab.yaml');
    writeFileSync(labFile, readFileSync(labFile, 'utf8').replace('    - name: worker\n', '    - name: k8s-w1\n'));
    writeFileSync(join(dir, 'files', 'pool.yaml'), 'apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata:\n  name: p\n');
    writeFileSync(join(dir, 'files', 'typo.yaml'), 'apiVersion: apps/v1\nkind: Deploymnet\nmetadata:\n  name: p\n');
    const problems = validateManifests(dir);
    expect(problems).toContainEqual(expect.objectContaining({ file: labFile, severity: 'error', message: 'host "k8s-w1" is not a node of the kind cluster (nodes: control-plane, worker)' }));
    expect(problems).toContainEqual(expect.objectContaining({ severity: 'warning', message: 'manifest IPPool: no offline schema for crd.projectcalico.org/v1 IPPool (custom resource): not validated' }));
    expect(problems).toContainEqual(expect.objectContaining({ line: 2, severity: 'error', message: 'manifest Deploymnet: unknown kind "Deploymnet" for apiVersion apps/v1' }));
  });

  it('validates a kind config shipped as a file against kind v1alpha4', () => {
    const dir = copyLab('k8s-coredns');
    const f = join(dir, 'files', 'kind.yaml');
    writeFileSync(f, 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworking:\n  disableDefaultCni: true\nnodes:\n- role: master\n');
    const problems = validateManifests(dir);
    expect(problems).toContainEqual(expect.objectContaining({ file: f, line: 3, message: expect.stringContaining('kind config networking: Unrecognized key') }));
    expect(problems).toContainEqual(expect.objectContaining({ file: f, line: 6, message: expect.stringContaining('kind config nodes[0].role') }));
  });

  it.skipIf(!shellcheckAvailable())('lints shell in solves and checks with shellcheck, at the line in lab.yaml', () => {
    const dir = copyLab('k8s-clusterip-dnat');
    const labFile = join(dir, 'lab.yaml');
    const text = readFileSync(labFile, 'utf8').replace('kubectl scale deployment nginx-test --replicas=4\n          kubectl rollout', 'kubectl scale deployment nginx-test --replicas=4\n          local n=4; echo "$n"\n          kubectl rollout');
    writeFileSync(labFile, text);
    const line = text.split('\n').findIndex((l) => l.includes('local n=4')) + 1;
    const problems = validateManifests(dir);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.line === line)).toBe(true);
    expect(problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/^step kube-svc-chains solve\[0\]: shellcheck SC\d+: /));
  });
});

describe('kind config generation', () => {
  it('generates a v1alpha4 config from the lab cluster, and names the hosts like kind names nodes', () => {
    const cluster = KindCluster.parse({ disableDefaultCNI: true, podSubnet: '172.16.0.0/16', serviceSubnet: '10.96.0.0/12', kubeProxyMode: 'iptables', nodes: [{ role: 'control-plane', labels: { 'ingress-ready': 'true' }, extraPortMappings: [{ containerPort: 80, hostPort: 80, protocol: 'TCP' }] }, { role: 'worker' }, { role: 'worker' }] });
    expect(generateKindConfig(cluster, { hostPorts: 'as-written' })).toBe(
      [
        'kind: Cluster',
        'apiVersion: kind.x-k8s.io/v1alpha4',
        'networking:',
        '  podSubnet: 172.16.0.0/16',
        '  serviceSubnet: 10.96.0.0/12',
        '  disableDefaultCNI: true',
        '  kubeProxyMode: iptables',
        'nodes:',
        '  - role: control-plane',
        '    labels:',
        '      ingress-ready: "true"',
        '    extraPortMappings:',
        '      - containerPort: 80',
        '        hostPort: 80',
        '        protocol: TCP',
        '  - role: worker',
        '  - role: worker',
        '',
      ].join('\n'),
    );
    expect(kindNodeNames(cluster)).toEqual(['control-plane', 'worker', 'worker2']);
  });

  it('the zod kind schema rejects what kind rejects', () => {
    expect(KindClusterConfig.safeParse({ kind: 'Cluster', apiVersion: 'kind.x-k8s.io/v1alpha3' }).success).toBe(false);
    expect(KindClusterConfig.safeParse({ kind: 'Cluster', apiVersion: 'kind.x-k8s.io/v1alpha4', nodes: [{ role: 'worker' }] }).success).toBe(false);
    const twice = { kind: 'Cluster', apiVersion: 'kind.x-k8s.io/v1alpha4', nodes: [{ role: 'control-plane', extraPortMappings: [{ containerPort: 80, hostPort: 80 }] }, { role: 'worker', extraPortMappings: [{ containerPort: 81, hostPort: 80 }] }] };
    expect(KindClusterConfig.safeParse(twice).error?.issues[0]?.message).toBe('host port 0.0.0.0:80/TCP is mapped twice');
  });
});

describe('kubectlHeredocs', () => {
  it('finds manifests fed to kubectl apply/create, not other heredocs', () => {
    const script = "cat > x.txt <<EOF\nhello\nEOF\nkubectl apply -f - <<'EOF'\napiVersion: v1\nkind: Namespace\nEOF\ncat <<-END | kubectl create -f -\n\tkind: X\n\tEND\n";
    expect(kubectlHeredocs(script)).toEqual([
      { body: 'apiVersion: v1\nkind: Namespace', firstLine: 4, command: "kubectl apply -f - <<'EOF'" },
      { body: '\tkind: X', firstLine: 8, command: 'cat <<-END | kubectl create -f -' },
    ]);
  });
});
