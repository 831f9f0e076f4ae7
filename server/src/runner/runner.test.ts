// Runner pieces that need no Docker: action execution semantics, check dispatch, requirement
// matching, and the report writers. The sandbox here is a recorder that replays scripted results.
import { describe, expect, it } from 'vitest';
import { Check, Lab, type LabInput } from '../labs/schema.js';
import type { ExecOptions, ExecResult, Sandbox } from '../sandbox/types.js';
import { runCheck, runStepChecks } from '../checks/index.js';
import { runActions } from '../steps/actions.js';
import { selectVariants, unmetRequirement } from './replay.js';
import { toJUnit, xmlEscape } from './report-junit.js';
import { toJson } from './report-json.js';
import { consoleSummary, progressLine } from './report-console.js';
import type { LabRun, ReplaySummary } from './types.js';

interface Call {
  host: string;
  script: string;
  opts: ExecOptions;
}

function recorder(reply: (call: Call) => Partial<ExecResult>): { sandbox: Sandbox; calls: Call[] } {
  const calls: Call[] = [];
  const sandbox: Sandbox = {
    ref: { provider: 'docker', sessionId: 'unit', labId: 'unit' },
    hosts: ['node1', 'node2'],
    async exec(host, script, opts = {}) {
      const call = { host, script, opts };
      calls.push(call);
      return { exitCode: 0, stdout: '', stderr: '', timedOut: false, durationMs: 1, ...reply(call) };
    },
    attach: () => Promise.reject(new Error('no terminal in unit tests')),
  };
  return { sandbox, calls };
}

const lab = Lab.parse({
  apiVersion: 'netdojo/v1',
  kind: 'Lab',
  id: 'unit',
  title: { en: 'Unit', ko: '유닛' },
  track: 'test',
  level: 'beginner',
  minutes: 1,
  environment: { hosts: [{ name: 'node1' }, { name: 'node2' }] },
  steps: [
    {
      id: 'one',
      title: 'one',
      text: 'one',
      solve: [{ run: 'true' }],
      checks: [
        { id: 'ns', title: { en: 'red exists', ko: 'red가 있다' }, hint: { en: 'add it', ko: '추가하세요' }, shell: { run: 'ip netns list', outputMatches: '^red' } },
        { id: 'far', ping: { host: 'node2', netns: 'blue', to: '10.0.0.1' } },
      ],
    },
  ],
} satisfies LabInput);

describe('runActions', () => {
  it('runs each action with bash -e semantics on its host (default: the first host)', async () => {
    const { sandbox, calls } = recorder(() => ({}));
    const res = await runActions(
      [{ run: 'ip netns add red', background: false, timeout: 60 }, { host: 'node2', netns: 'blue', run: 'sleep 1', background: true, timeout: 5 }],
      sandbox,
      lab,
    );
    expect(res.ok).toBe(true);
    expect(calls.map((c) => [c.host, c.script, c.opts])).toEqual([
      ['node1', 'set -e\nip netns add red', { netns: undefined, background: false, timeoutMs: 60_000 }],
      ['node2', 'set -e\nsleep 1', { netns: 'blue', background: true, timeoutMs: 5_000 }],
    ]);
  });
  it('stops at the first failing action and says which and why', async () => {
    const { sandbox, calls } = recorder((c) => (c.script.includes('bad') ? { exitCode: 2, stderr: 'RTNETLINK answers: File exists\n' } : {}));
    const res = await runActions(
      [{ run: 'first\nbad', background: false, timeout: 60 }, { run: 'never', background: false, timeout: 60 }],
      sandbox,
      lab,
    );
    expect(res).toMatchObject({ ok: false, error: '`first … (+1 lines)` on node1: exit 2: RTNETLINK answers: File exists' });
    expect(calls).toHaveLength(1);
  });
  it('reports a timeout', async () => {
    const { sandbox } = recorder(() => ({ exitCode: 137, timedOut: true }));
    const res = await runActions([{ run: 'sleep 100', background: false, timeout: 2 }], sandbox, lab);
    expect(res.error).toBe('`sleep 100` on node1: timed out after 2 s');
  });
});

describe('runCheck / runStepChecks', () => {
  it('dispatches by kind, on the right host and netns, with localized title and hint', async () => {
    const { sandbox, calls } = recorder((c) => (c.script.startsWith('ip netns list') ? { stdout: 'blue\n' } : { exitCode: 1, stdout: '2 packets transmitted, 0 received, 100% packet loss, time 205ms\n' }));
    const results = await runStepChecks(lab.steps[0]!, sandbox, lab, 'ko');
    expect(calls.map((c) => [c.host, c.opts.netns])).toEqual([
      ['node1', undefined],
      ['node2', 'blue'],
    ]);
    expect(results.map((r) => [r.id, r.kind, r.title, r.hint, r.pass])).toEqual([
      ['ns', 'shell', 'red가 있다', '추가하세요', false],
      ['far', 'ping', 'ping 10.0.0.1', undefined, false],
    ]);
    expect(results[1]!.message).toBe('no reply from 10.0.0.1 on node2 (netns blue): 2 sent, 0 received, 100% loss');
  });
  it('an exec error becomes a failing result, not an exception', async () => {
    const { sandbox } = recorder(() => {
      throw new Error('no such container');
    });
    const r = await runCheck(Check.parse({ id: 'x', link: { name: 'eth0' } }), { sandbox, defaultHost: 'node1' });
    expect(r).toMatchObject({ pass: false, message: 'the check could not run: no such container' });
  });
  it('kubectl checks go to the kind engineer’s checker (server/src/checks/kubectl.ts)', async () => {
    const { sandbox, calls } = recorder(() => ({ stdout: 'service/web\n' }));
    const r = await runCheck(Check.parse({ id: 'svc', kubectl: { get: 'svc/web' } }), { sandbox, defaultHost: 'node1' });
    expect(calls.map((c) => c.script)).toEqual(["kubectl get 'svc/web' -o name"]);
    expect(r).toMatchObject({ kind: 'kubectl', pass: true, message: 'svc/web exists' });
  });
});

describe('unmetRequirement', () => {
  const caps = { has: { docker: true, 'kernel:vxlan': true, 'kernel:ipip': false }, missing: { 'kernel:ipip': 'the kernel has no IPIP module' } };
  it('names the first unmet requirement with the provider’s reason', () => {
    expect(unmetRequirement({ ...lab, requires: ['docker', 'kernel:vxlan'] }, caps)).toBeUndefined();
    expect(unmetRequirement({ ...lab, requires: ['docker', 'kernel:ipip'] }, caps)).toBe('requires kernel:ipip: the kernel has no IPIP module');
    expect(unmetRequirement({ ...lab, requires: ['kind'] }, caps)).toBe('requires kind: kind is not available on this host');
  });
});

describe('selectVariants', () => {
  it('replay selects the variants of the replayed steps, or exactly the ones named', () => {
    const step = (id: string, extra: Partial<LabInput['steps'][number]>) => ({ id, title: id, text: id, solve: [{ run: 'true' }], checks: [{ id: 'c', shell: { run: 'true' } }], ...extra });
    const two = Lab.parse({
      ...lab,
      steps: [
        step('a', { nearMisses: [{ id: 'x', solve: [{ run: 'true' }] }] }),
        step('b', { nearMisses: [{ id: 'y', solve: [{ run: 'true' }] }], alternatives: [{ id: 'z', solve: [{ run: 'true' }] }] }),
      ],
    });
    const names = (o: Parameters<typeof selectVariants>[1]) => selectVariants(two, o).variants.map(({ index, v }) => `${two.steps[index]!.id}/${v.spec.id}`);
    expect(names({})).toEqual(['a/x', 'b/y', 'b/z']);
    expect(names({ from: 'b' })).toEqual(['b/y', 'b/z']);
    expect(names({ step: 'a' })).toEqual(['a/x']);
    expect(names({ variants: false })).toEqual([]);
    expect(names({ only: ['b/z'], variants: false })).toEqual(['b/z']);
    expect(selectVariants(two, { only: ['b/q'] }).error).toBe("no variant 'b/q' in lab unit (variants: a/x, b/y, b/z)");
  });
});

describe('reports', () => {
  const failed: LabRun = {
    id: 'unit',
    title: 'Unit',
    file: '/labs/unit/lab.yaml',
    status: 'failed',
    reason: 'step one, check ns: passed before the solve — it proves nothing (ok); left behind after teardown: c1',
    failures: ['step one, check ns: passed before the solve — it proves nothing (ok)', 'left behind after teardown: c1'],
    durationMs: 1500,
    sessionId: 'replay-abc',
    steps: [
      {
        id: 'one',
        title: 'one',
        status: 'failed',
        checks: [
          {
            id: 'ns',
            kind: 'shell',
            title: 'ns',
            passesBeforeSolve: false,
            attempts: 1,
            status: 'failed',
            reason: 'step one, check ns: passed before the solve — it proves nothing (ok)',
            before: { id: 'ns', kind: 'shell', title: 'ns', pass: true, expected: 'a <tag> & "quote"', actual: 'x', message: 'ok', durationMs: 5 },
            after: { id: 'ns', kind: 'shell', title: 'ns', pass: true, expected: 'e', actual: 'x', message: 'ok', durationMs: 5 },
          },
          { id: 'far', kind: 'ping', title: 'far', passesBeforeSolve: false, attempts: 0, status: 'not-run' },
        ],
      },
    ],
    variants: [],
    leftovers: ['c1'],
    timings: { createMs: 100, teardownMs: 50 },
  };
  const skipped: LabRun = { ...failed, id: 'skip', status: 'skipped', reason: 'requires kind: kind is not installed', failures: [], steps: [], leftovers: [], sessionId: undefined, timings: {} };
  const summary: ReplaySummary = { labs: [failed, skipped], passed: 0, failed: 1, skipped: 1, durationMs: 2000 };

  it('JUnit: failures per check, lab-level failures on the sandbox case, skipped labs', () => {
    const xml = toJUnit(summary);
    expect(xml).toContain('<testsuites name="netdojo replay" tests="4" failures="2" errors="0" skipped="2" time="2.000">');
    expect(xml).toContain(
      '<testcase classname="unit" name="one/ns" time="0.010"><failure message="step one, check ns: passed before the solve — it proves nothing (ok)"/><system-out>before solve: PASS (ok)\nafter solve: PASS (ok)\nexpected (before): a &lt;tag&gt; &amp; &quot;quote&quot;\nactual (before): x</system-out></testcase>',
    );
    expect(xml).toContain('<testcase classname="unit" name="one/far" time="0.000"><skipped message="not run: an earlier part of the lab failed"/>');
    expect(xml).toContain('<testcase classname="unit" name="sandbox" time="0.150"><failure message="left behind after teardown: c1"/>');
    expect(xml).toContain('<testcase classname="skip" name="replay" time="0.000"><skipped message="requires kind: kind is not installed"/></testcase>');
    expect(xmlEscape('a\u0001b<')).toBe('ab&lt;');
  });
  it('JSON and console', () => {
    expect(JSON.parse(toJson(summary))).toMatchObject({ version: 1, passed: 0, failed: 1, skipped: 1 });
    const text = consoleSummary(summary);
    expect(text).toContain('FAIL  unit  1.5s');
    expect(text).toContain('      ✗ ns: step one, check ns: passed before the solve — it proves nothing (ok)');
    expect(text).toContain('    ✗ left behind after teardown: c1');
    expect(text).toContain('SKIP  skip\n      skipped: requires kind: kind is not installed');
    expect(text.trimEnd().split('\n').at(-1)).toBe('labs: 0 passed, 1 failed, 1 skipped (2.0s)');
    expect(progressLine({ type: 'lab-end', result: skipped })).toBe('[skip] SKIPPED: requires kind: kind is not installed');
  });
});

describe('reports of second solves and variants', () => {
  const result = (id: string, pass: boolean) => ({ id, kind: 'shell' as const, title: id, pass, expected: 'e', actual: 'a', message: `${id} ${pass ? 'ok' : 'bad'}`, durationMs: 10 });
  const notRepeatable = 'step one: the solve is not repeatable: its second run failed: `ip netns add red` on node1: exit 1: File exists; fix it or declare repeatable: false';
  const uncaught = 'step one, near-miss wide: not caught: every check passes after this wrong action';
  const run: LabRun = {
    id: 'unit',
    title: 'Unit',
    file: '/labs/unit/lab.yaml',
    status: 'failed',
    failures: [notRepeatable, uncaught],
    durationMs: 3000,
    sessionId: 'replay-abc',
    steps: [
      {
        id: 'one',
        title: 'one',
        status: 'failed',
        checks: [{ id: 'ns', kind: 'shell', title: 'ns', passesBeforeSolve: false, attempts: 1, status: 'passed', before: result('ns', false), after: result('ns', true) }],
        again: { status: 'failed', reason: notRepeatable, solve: { ok: false, durationMs: 5, actions: [], error: '`ip netns add red` on node1: exit 1: File exists' }, checks: [result('ns', true)] },
      },
      { id: 'two', title: 'two', status: 'passed', checks: [], again: { status: 'skipped', reason: 'repeatable: false' } },
    ],
    variants: [
      { step: 'one', id: 'narrow', kind: 'near-miss', why: 'a <guess>', fails: 'ns', status: 'passed', reason: 'caught by ns', sessionId: 'replay-v1', checks: [result('ns', false)], attempts: [3], durationMs: 2000, leftovers: [] },
      { step: 'one', id: 'wide', kind: 'near-miss', status: 'failed', reason: uncaught, sessionId: 'replay-v2', checks: [result('ns', true)], attempts: [1], durationMs: 1000, leftovers: [] },
      { step: 'one', id: 'other', kind: 'alternative', status: 'passed', sessionId: 'replay-v3', checks: [result('ns', true)], attempts: [1], durationMs: 1000, leftovers: [] },
    ],
    leftovers: [],
    timings: { createMs: 100, teardownMs: 50 },
  };
  const summary: ReplaySummary = { labs: [run], passed: 0, failed: 1, skipped: 0, durationMs: 3000 };

  it('JUnit: a case per second solve (skipped when not repeatable) and per variant; their failures are theirs, not the sandbox\'s', () => {
    const xml = toJUnit(summary);
    expect([...xml.matchAll(/name="([^"]+)" time/g)].map((m) => m[1])).toEqual(['one/ns', 'one/solve-again', 'two/solve-again', 'one/near-miss/narrow', 'one/near-miss/wide', 'one/alternative/other', 'sandbox']);
    expect(xml).toContain('<testsuite name="unit" tests="7" failures="2" errors="0" skipped="1"');
    expect(xml).toContain(`name="one/solve-again" time="0.015"><failure message="${xmlEscape(notRepeatable)}"/><system-out>second solve: failed (\`ip netns add red\` on node1: exit 1: File exists)\nns: PASS (ns ok)</system-out>`);
    expect(xml).toContain('name="two/solve-again" time="0.000"><skipped message="not run: repeatable: false"/></testcase>');
    expect(xml).toContain('name="one/near-miss/narrow" time="2.000"><system-out>session replay-v1\nwhy: a &lt;guess&gt;\nmust fail: ns\nns: FAIL (ns bad)\ncaught by ns</system-out>');
    expect(xml).toContain(`name="one/near-miss/wide" time="1.000"><failure message="${uncaught}"/>`);
    expect(xml).toContain('name="sandbox" time="0.150"><system-out>');
  });

  it('console: progress lines, and a failed lab lists its second solves and variants once', () => {
    expect(progressLine({ type: 'variant', lab: 'unit', result: run.variants[0]! })).toBe('[unit] one/narrow (near-miss): caught by ns ✓');
    expect(progressLine({ type: 'variant', lab: 'unit', result: run.variants[2]! })).toBe('[unit] one/other (alternative): every check passes ✓');
    expect(progressLine({ type: 'again', lab: 'unit', step: 'one', again: run.steps[0]!.again! })).toBe(`[unit] one: solve again: FAIL ✗ ${notRepeatable}`);
    const text = consoleSummary(summary);
    expect(text).toContain('FAIL  unit  3.0s  (1/2 near-misses caught, 1 alternative accepted)\n');
    expect(text).toContain(`      ✗ solve again: ${notRepeatable}\n`);
    expect(text).toContain('    near-misses and alternatives\n      ✓ one/narrow (near-miss): caught by ns\n');
    expect(text.split(uncaught)).toHaveLength(2); // listed once
  });
});
