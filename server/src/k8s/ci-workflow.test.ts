// The kind workflow (infra/ci/kind-replay.yml) cannot run here; what it promises is read from the
// file: every kubernetes lab has a job, every requirement of every lab is met on the runner, a
// skipped lab fails the job, the reports are uploaded, versions come from infra/kind/versions.env.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../images/catalog.js';
import { KERNEL_MODULES } from '../sandbox/kind/host-kernel.js';
import { pinnedVersions } from '../sandbox/kind/versions.js';

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, unknown>;
  'continue-on-error'?: boolean;
}
const workflow = parse(readFileSync(join(REPO_ROOT, 'infra/ci/kind-replay.yml'), 'utf8')) as {
  jobs: Record<string, { 'timeout-minutes'?: number; strategy?: { 'fail-fast'?: boolean; matrix?: { lab?: string[] } }; steps: Step[]; env?: Record<string, string> }>;
};
const job = workflow.jobs.replay!;
const steps = job.steps;
const indexOf = (pred: (s: Step) => boolean, what: string): number => {
  const i = steps.findIndex(pred);
  if (i < 0) throw new Error(`no step ${what} in kind-replay.yml`);
  return i;
};
const runs = (re: RegExp) => (s: Step) => re.test(s.run ?? '');

const TRACK = join(REPO_ROOT, 'labs/kubernetes');
const labIds = readdirSync(TRACK)
  .filter((d) => existsSync(join(TRACK, d, 'lab.yaml')))
  .sort();

describe('infra/ci/kind-replay.yml', () => {
  it('has one parallel job per kubernetes lab, and no lab without one', () => {
    expect([...(job.strategy?.matrix?.lab ?? [])].sort()).toEqual(labIds);
    expect(job.strategy?.['fail-fast']).toBe(false);
    expect(job['timeout-minutes']).toBeGreaterThan(0);
  });

  it("meets every requirement of every lab on the runner (kind, kubectl, the kernel modules it loads; never 'internet')", () => {
    const loaded = new Set([...steps.map((s) => s.run ?? '').join('\n').matchAll(/modprobe\s+([a-z0-9_]+)/g)].map((m) => m[1]!));
    const modules = Object.entries(KERNEL_MODULES)
      .filter(([, mods]) => mods.some((m) => loaded.has(m)))
      .map(([feature]) => `kernel:${feature}`);
    const provided = new Set(['kind', 'kubectl', ...modules]);
    for (const id of labIds) {
      const lab = parse(readFileSync(join(TRACK, id, 'lab.yaml'), 'utf8')) as { requires?: string[] };
      for (const req of lab.requires ?? []) expect({ lab: id, req, met: provided.has(req) }).toEqual({ lab: id, req, met: true });
    }
    expect(modules).toEqual(expect.arrayContaining(['kernel:ipip', 'kernel:ipvs']));
  });

  it('replays the job\'s lab with JUnit and JSON reports, then fails when the lab was skipped', () => {
    const replay = indexOf(runs(/netdojo\.mjs replay labs\/kubernetes\/\$\{\{ matrix\.lab \}\}/), 'that replays the lab');
    expect(steps[replay]!.run).toMatch(/--junit reports\/\$\{\{ matrix\.lab \}\}\.xml/);
    expect(steps[replay]!.run).toMatch(/--json reports\/\$\{\{ matrix\.lab \}\}\.json/);
    const noSkip = indexOf(runs(/node infra\/ci\/no-skip\.mjs reports\/\$\{\{ matrix\.lab \}\}\.json/), 'that fails on a skip');
    expect(noSkip).toBeGreaterThan(replay);
    expect(steps.some((s) => s['continue-on-error'])).toBe(false);
    const vendor = indexOf(runs(/node infra\/kind\/vendor-manifests\.mjs/), 'that vendors the manifests');
    expect(vendor).toBeLessThan(replay);
  });

  it('uploads the reports whatever happened', () => {
    const upload = steps[indexOf((s) => (s.uses ?? '').startsWith('actions/upload-artifact@'), 'that uploads')]!;
    expect(upload.if).toBe('always()');
    expect(upload.with?.path).toBe('reports/');
    expect(upload.with?.['if-no-files-found']).toBe('error');
  });

  it('installs the versions pinned in infra/kind/versions.env (Kubernetes ≥ 1.31 for kubectl wait --for=create)', () => {
    expect(steps.some(runs(/infra\/kind\/versions\.env/))).toBe(true);
    const v = pinnedVersions();
    const minor = (s: string) => Number(/v1\.(\d+)\./.exec(s)?.[1]);
    expect(minor(v.KUBECTL_VERSION)).toBeGreaterThanOrEqual(31);
    expect(minor(v.KIND_NODE_IMAGE)).toBeGreaterThanOrEqual(31);
    expect(v.KIND_NODE_IMAGE).toMatch(/^kindest\/node:v1\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    expect(steps.some(runs(/docker pull "\$KIND_NODE_IMAGE"/))).toBe(true);
  });
});

describe('infra/ci/no-skip.mjs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netdojo-noskip-'));
  const check = (report: unknown): { code: number; err: string } => {
    const file = join(dir, 'r.json');
    writeFileSync(file, JSON.stringify(report));
    try {
      execFileSync('node', [join(REPO_ROOT, 'infra/ci/no-skip.mjs'), file], { encoding: 'utf8', stdio: 'pipe' });
      return { code: 0, err: '' };
    } catch (e) {
      const err = e as { status: number; stderr: string };
      return { code: err.status, err: err.stderr };
    }
  };

  it('passes a report where every lab ran, fails one with a skip or with no lab', () => {
    try {
      expect(check({ labs: [{ id: 'a', status: 'passed' }, { id: 'b', status: 'failed' }] }).code).toBe(0);
      const skipped = check({ labs: [{ id: 'a', status: 'passed' }, { id: 'k8s-x', status: 'skipped', reason: 'requires kind: kind is not installed' }] });
      expect(skipped.code).toBe(1);
      expect(skipped.err).toMatch(/k8s-x was skipped: requires kind: kind is not installed/);
      expect(check({ labs: [] })).toEqual({ code: 1, err: expect.stringMatching(/no lab was replayed/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
