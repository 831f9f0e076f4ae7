// Retry windows by kind (labs/schema.ts RETRY_DEFAULTS): a `file` check's default window is short,
// because a finished solve has written what it reads. These tests pin down what that means when
// state still appears late — after the real solve and after a near-miss — without Docker: each host
// is a folder, scripts run with the machine's own bash, and the `file` checker reads absolute paths.

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Check, Lab, RETRY_DEFAULTS, retryOf, type LabInput } from '../labs/schema.js';
import type { Sandbox } from '../sandbox/types.js';
import { checkUntilSettled } from './checks.js';
import { bringToStep, proveStep, type StepContext } from './lifecycle.js';
import { emptyVariantRun, proveVariant, variantsOf } from './variants.js';
import { folderSandboxes } from './testkit.js';

const folders = folderSandboxes('settle');
afterAll(() => folders.cleanup());
const folderSandbox = () => { const { sandbox, dir } = folders.make(['node1']); return { sandbox, dir: dir('node1') }; };

type StepInput = LabInput['steps'][number];

function labOf(step: StepInput): Lab {
  return Lab.parse({
    apiVersion: 'netdojo/v1',
    kind: 'Lab',
    id: 'settle',
    title: 'Settle',
    track: 'test',
    level: 'beginner',
    minutes: 1,
    environment: { hosts: [{ name: 'node1' }] },
    steps: [step],
  } satisfies LabInput);
}

/** A solve that returns at once and writes `ready` into the file `seconds` later (a process still starting). */
const writesLate = (path: string, seconds: number) => ({ run: `(sleep ${seconds}; echo ready > ${path}) >/dev/null 2>&1 &` });

/** The step, its sandbox, and the absolute path its `file` check reads. */
function setUp(make: (path: string) => Partial<StepInput>): { lab: Lab; ctx: StepContext; path: string } {
  const { sandbox, dir } = folderSandbox();
  const path = join(dir, 'state');
  const lab = labOf({
    id: 'late',
    title: 'late',
    text: 'late',
    solve: [{ run: `echo ready > ${path}` }],
    checks: [{ id: 'state-file', file: { path, matches: '^ready' } }],
    ...make(path),
  });
  return { lab, ctx: { lab, sandbox, pollMs: 100 }, path };
}

describe('retry windows by kind', () => {
  it('a check without `retry` gets its kind\'s default; state the solve writes itself gets a short one', () => {
    const { lab } = setUp(() => ({}));
    const check = lab.steps[0]!.checks[0]!;
    expect(check.retry).toBeUndefined();
    expect(retryOf(check)).toBe(RETRY_DEFAULTS.file);
    expect(RETRY_DEFAULTS.file).toBeLessThan(RETRY_DEFAULTS.ping);
    expect(retryOf({ ...check, retry: 7 })).toBe(7);
    expect(retryOf(Check.parse({ id: 'p', ping: { to: '10.0.0.1' } }))).toBe(RETRY_DEFAULTS.ping);
  });

  it('state that appears 1.5 s after the solve returns is still seen within the default window: the step passes', async () => {
    const { lab, ctx } = setUp((path) => ({ solve: [writesLate(path, 1.5)] }));
    expect(RETRY_DEFAULTS.file).toBeGreaterThanOrEqual(2);
    const proof = await proveStep(ctx, lab.steps[0]!);
    expect(proof.failures).toEqual([]);
    const [check] = proof.run.checks;
    expect(check).toMatchObject({ status: 'passed', after: { pass: true } });
    // it was not there at first: the window is what let it pass
    expect(check!.attempts).toBeGreaterThan(1);
  });

  it('state later than the default window fails the step, naming the window and how to widen it; a declared `retry` passes it', async () => {
    const late = setUp((path) => ({ solve: [writesLate(path, RETRY_DEFAULTS.file + 1.5)], repeatable: false }));
    const proof = await proveStep(late.ctx, late.lab.steps[0]!);
    expect(proof.run.status).toBe('failed');
    expect(proof.failures).toEqual([
      expect.stringMatching(new RegExp(`^step late, check state-file: still fails after the solve \\(retried for ${RETRY_DEFAULTS.file} s, the file default; a lab may set \`retry\`\\): there is no file `)),
    ]);

    const declared = setUp((path) => ({
      solve: [writesLate(path, RETRY_DEFAULTS.file + 1.5)],
      repeatable: false,
      checks: [{ id: 'state-file', retry: RETRY_DEFAULTS.file + 4, file: { path, matches: '^ready' } }],
    }));
    const ok = await proveStep(declared.ctx, declared.lab.steps[0]!);
    expect(ok.failures).toEqual([]);
    expect(ok.run.checks[0]).toMatchObject({ status: 'passed' });
  });

  it('a near-miss whose state turns right 1.5 s later is not caught: the short window still waits for it', async () => {
    const { lab, ctx } = setUp((path) => ({ nearMisses: [{ id: 'slow-but-right', solve: [writesLate(path, 1.5)] }] }));
    const step = lab.steps[0]!;
    expect(await bringToStep(ctx, 0)).toEqual({ ok: true });
    const v = variantsOf(step)[0]!;
    const run = await proveVariant(ctx, step, v, emptyVariantRun(step, v));
    expect(run).toMatchObject({ status: 'failed', reason: 'step late, near-miss slow-but-right: not caught: every check passes after this wrong action' });
  });

  it('a near-miss is proven when the first check\'s window is over, without waiting out a longer one', async () => {
    const { lab, ctx } = setUp((path) => ({
      checks: [
        { id: 'state-file', file: { path, matches: '^ready' } },
        // a shell check keeps the long default: it may wait on processes
        { id: 'state-shell', shell: { run: `grep -q ready ${path}` } },
      ],
      nearMisses: [{ id: 'wrong-content', solve: [{ run: `echo almost > ${path}` }] }],
    }));
    const step = lab.steps[0]!;
    expect(retryOf(step.checks[1]!)).toBeGreaterThan(retryOf(step.checks[0]!));
    expect(await bringToStep(ctx, 0)).toEqual({ ok: true });
    const v = variantsOf(step)[0]!;
    const run = await proveVariant(ctx, step, v, emptyVariantRun(step, v));
    expect(run).toMatchObject({ status: 'passed', reason: 'caught by state-file' });
    // the file check failed on every attempt of its window, more than once
    expect(run.attempts[0]).toBeGreaterThan(1);
    expect(run.checks.map((c) => c.pass)).toEqual([false, false]);
  });

  it('a failing check is final only after an attempt that ends when its window is over', async () => {
    const { lab, ctx } = setUp(() => ({}));
    const step = lab.steps[0]!;
    // a zero window: one attempt, final at once
    const zero = await checkUntilSettled(ctx, { ...step, checks: [{ ...step.checks[0]!, retry: 0 }] });
    expect(zero).toMatchObject({ attempts: [1], settled: [true], results: [{ pass: false }] });
    // a 0.3 s window polled every 1 s: the next attempt is not skipped because a poll would overshoot
    // the window; it runs at the window's end. (A lower bound that holds by construction, whatever
    // the machine's load: not a measure of speed.)
    const ends: number[] = [];
    const exec = ctx.sandbox.exec.bind(ctx.sandbox);
    const timed: Sandbox = { ...ctx.sandbox, exec: (...args) => exec(...args).finally(() => ends.push(Date.now())) };
    const started = Date.now();
    const short = await checkUntilSettled({ ...ctx, sandbox: timed, pollMs: 1000 }, { ...step, checks: [{ ...step.checks[0]!, retry: 0.3 }] });
    expect(short).toMatchObject({ settled: [true], results: [{ pass: false }] });
    expect(ends.at(-1)! - started).toBeGreaterThanOrEqual(300);
  });
});
