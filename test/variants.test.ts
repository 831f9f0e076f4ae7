// Near-misses, alternatives and solve-twice with real Docker sandboxes (fixture:
// test/fixtures/variants/variants-demo). Replay must fail that lab naming exactly what is wrong —
// the near-miss the checks miss, the alternative they reject, the solve that cannot run twice — and
// pass what is right; every variant gets a fresh sandbox, reported in the console, JSON and JUnit,
// and none is left behind. `netdojo replay --variant` and `netdojo dev`'s `try` run one variant.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevSession } from '../server/src/authoring/dev.js';
import { loadLabs } from '../server/src/labs/loader.js';
import type { LoadedLab } from '../server/src/labs/schema.js';
import { activeSessions, destroyActive } from '../server/src/runner/cleanup.js';
import { consoleSummary } from '../server/src/runner/report-console.js';
import { toJUnit } from '../server/src/runner/report-junit.js';
import { replayMany } from '../server/src/runner/replay.js';
import type { LabRun, ReplayEvent } from '../server/src/runner/types.js';
import { defaultProviders } from '../server/src/sandbox/registry.js';
import type { Provider } from '../server/src/sandbox/types.js';

const LAB = 'test/fixtures/variants/variants-demo';

function dockerObjects(sessionId: string): string[] {
  const filter = `label=netdojo.session=${sessionId}`;
  const ls = (...args: string[]) => execFileSync('docker', [...args, '-q', '--filter', filter], { encoding: 'utf8' }).split('\n').filter(Boolean);
  return [...ls('ps', '-a'), ...ls('network', 'ls'), ...ls('volume', 'ls')];
}

let docker: Provider;
let loaded: LoadedLab;
const providers = defaultProviders();

beforeAll(async () => {
  docker = await providers.get('docker');
  const { labs, problems } = await loadLabs([LAB]);
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  loaded = labs[0]!;
});

afterAll(async () => {
  if (activeSessions().length) await destroyActive();
});

describe('replay proves near-misses, alternatives and solve-twice', () => {
  let run: LabRun;
  const events: ReplayEvent[] = [];

  beforeAll(async () => {
    const summary = await replayMany([loaded], { provider: providers, jobs: 2, onEvent: (e) => events.push(e), handleSignals: false, pollMs: 200 });
    run = summary.labs[0]!;
  }, 400_000);

  it('fails the lab naming exactly the uncaught near-miss, the rejected alternative and the non-repeatable solve', () => {
    expect(run.status).toBe('failed');
    expect(run.failures).toEqual([
      'step namespace: the solve is not repeatable: its second run failed: `ip netns add red` on box: exit 1: Cannot create namespace file "/run/netns/red": File exists; fix it or declare repeatable: false',
      'step forward, near-miss accept-all-rule: not caught: every check passes after this wrong action',
      "step forward, alternative with-comment: a correct solution is rejected: check narrow-rule fails (`iptables -S FORWARD | grep -qx -- '-A FORWARD -i red0 -j ACCEPT'` failed on box (exit 1))",
    ]);
  });

  it('a caught near-miss and an accepted alternative pass; each variant ran in its own sandbox, now gone', () => {
    expect(run.variants.map((v) => [v.step, v.kind, v.id, v.status])).toEqual([
      ['forward', 'near-miss', 'policy-accept', 'passed'],
      ['forward', 'near-miss', 'accept-all-rule', 'failed'],
      ['forward', 'alternative', 'insert', 'passed'],
      ['forward', 'alternative', 'with-comment', 'failed'],
    ]);
    const caught = run.variants[0]!;
    expect(caught).toMatchObject({ fails: 'policy-drop', why: 'opening the whole chain is the same thing' });
    expect(caught.reason).toMatch(/^caught by (narrow-rule, )?policy-drop$/);
    expect(caught.checks.find((c) => c.id === 'policy-drop')?.pass).toBe(false);
    expect(run.variants[2]!.checks.map((c) => c.pass)).toEqual([true, true]);
    const sessions = [run.sessionId!, ...run.variants.map((v) => v.sessionId!)];
    expect(new Set(sessions).size).toBe(5);
    for (const s of sessions) expect(dockerObjects(s)).toEqual([]);
    for (const v of run.variants) expect(v.leftovers).toEqual([]);
  });

  it('the steps still follow the replay rules; repeatable: false skips the second solve', () => {
    expect(run.steps.map((s) => [s.id, s.status, s.again?.status])).toEqual([
      ['namespace', 'failed', 'failed'],
      ['forward', 'passed', 'passed'],
      ['address', 'passed', 'skipped'],
    ]);
    expect(run.steps[0]!.checks[0]).toMatchObject({ status: 'passed', before: { pass: false }, after: { pass: true } });
  });

  it('reports: a JUnit testcase per variant and per second solve; console and events', () => {
    const xml = toJUnit({ labs: [run], passed: 0, failed: 1, skipped: 0, durationMs: run.durationMs });
    const names = [...xml.matchAll(/<testcase classname="variants-demo" name="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual([
      'namespace/red-exists',
      'namespace/solve-again',
      'forward/narrow-rule',
      'forward/policy-drop',
      'forward/solve-again',
      'address/has-address',
      'address/solve-again',
      'forward/near-miss/policy-accept',
      'forward/near-miss/accept-all-rule',
      'forward/alternative/insert',
      'forward/alternative/with-comment',
      'sandbox',
    ]);
    expect(xml).toMatch(/name="namespace\/solve-again" time="[\d.]+"><failure message="step namespace: the solve is not repeatable: /);
    expect(xml).toContain('name="address/solve-again" time="0.000"><skipped message="not run: repeatable: false"/>');
    expect(xml).toMatch(/name="forward\/near-miss\/accept-all-rule" time="[\d.]+"><failure message="step forward, near-miss accept-all-rule: not caught/);
    expect(xml).toMatch(/name="forward\/near-miss\/policy-accept" time="[\d.]+"><system-out>session replay-[0-9a-f]+\nwhy: opening the whole chain is the same thing\nmust fail: policy-drop\nactions: ok\n/);
    expect(xml).toMatch(/<testsuite name="variants-demo" tests="12" failures="3" errors="0" skipped="1"/);
    const text = consoleSummary({ labs: [run], passed: 0, failed: 1, skipped: 0, durationMs: run.durationMs });
    expect(text).toMatch(/FAIL {2}variants-demo {2}[\d.]+s {2}\(1\/2 near-misses caught, 1\/2 alternatives accepted\)/);
    expect(text).toContain('      ✓ forward/insert (alternative): every check passes\n');
    expect(text).toContain('      ✗ step forward, near-miss accept-all-rule: not caught: every check passes after this wrong action\n');
    expect(events.filter((e) => e.type === 'variant')).toHaveLength(4);
    expect(events.filter((e) => e.type === 'again').map((e) => e.type === 'again' && [e.step, e.again.status])).toEqual([
      ['namespace', 'failed'],
      ['forward', 'passed'],
    ]);
  });
});

describe('one variant at a time', () => {
  it('netdojo replay --variant proves only that variant, not the lab\'s steps', async () => {
    const json = join(mkdtempSync(join(tmpdir(), 'netdojo-variant-')), 'out.json');
    const r = await promisify(execFile)(process.execPath, ['bin/netdojo.mjs', 'replay', LAB, '--variant', 'forward/policy-accept', '--json', json, '-q'], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(r.stdout).toMatch(/PASS {2}variants-demo {2}[\d.]+s {2}\(1 near-miss caught\)/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { labs: LabRun[] };
    expect(report.labs[0]!.steps).toEqual([]);
    expect(report.labs[0]!.variants.map((v) => [v.id, v.status])).toEqual([['policy-accept', 'passed']]);
    rmSync(dirname(json), { recursive: true, force: true });
    const bad = await promisify(execFile)(process.execPath, ['bin/netdojo.mjs', 'replay', LAB, '--variant', 'forward/nope'], { encoding: 'utf8' }).catch((e: { stderr: string; code: number }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toContain("no variant 'forward/nope' in lab variants-demo (variants: forward/policy-accept, forward/accept-all-rule, forward/insert, forward/with-comment)");
  }, 300_000);

  it('netdojo dev: try <step> <variant> runs it in a second, fresh sandbox and removes it', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let out = '';
    output.on('data', (d: Buffer) => (out += d.toString()));
    const dev = new DevSession({ loaded, providers, input, output, pollMs: 200 });
    const done = dev.run();
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 1200 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 250));
      expect(out).toMatch(re);
    };
    try {
      await waitFor(/ready: 3 step\(s\)/);
      input.write('try forward accept-all-rule\n');
      await waitFor(/try forward\/accept-all-rule: (PASSED|FAILED)/);
      expect(out).toContain('try forward/accept-all-rule: FAILED: step forward, near-miss accept-all-rule: not caught: every check passes after this wrong action');
      const second = /try forward\/accept-all-rule \(near-miss\): a fresh sandbox (dev-[0-9a-f]+)/.exec(out)?.[1];
      expect(second).toBeDefined();
      await waitFor(new RegExp(`removed sandbox ${second}`));
      expect(dockerObjects(second!)).toEqual([]);
      input.write('try forward nope\n');
      await waitFor(/has no near-miss or alternative 'nope'/);
    } finally {
      input.end();
      await done;
    }
    expect(dev.exitCode).toBe(0);
  }, 300_000);
});
