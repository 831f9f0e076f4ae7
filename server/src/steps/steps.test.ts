// The step lifecycle and the variant rules without Docker: the sandbox here runs each host's
// scripts with the machine's own bash in a temporary folder of that host (a file stands for a piece
// of network state), so checks and actions go through the real checkers and action runner.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Lab, type LabInput } from '../labs/schema.js';
import { bringToStep, fastForward, proveStep, type StepContext } from './lifecycle.js';
import { emptyVariantRun, proveVariant, variantsOf } from './variants.js';
import { folderSandboxes } from './testkit.js';

const folders = folderSandboxes('unit');
afterAll(() => folders.cleanup());
const folderSandbox = (hosts = ['node1', 'node2']) => folders.make(hosts);

type StepInput = LabInput['steps'][number];
const has = (file: string, retry = 0) => ({ id: `has-${file}`, retry, shell: { run: `test -e ${file}` } });
const step = (s: Partial<StepInput> & { id: string }): StepInput => ({ title: s.id, text: s.id, solve: [{ run: 'true' }], checks: [has('x')], ...s });

function labOf(steps: StepInput[], setup: LabInput['setup'] = []): Lab {
  return Lab.parse({
    apiVersion: 'netdojo/v1',
    kind: 'Lab',
    id: 'unit',
    title: 'Unit',
    track: 'test',
    level: 'beginner',
    minutes: 1,
    environment: { hosts: [{ name: 'node1' }, { name: 'node2' }] },
    setup,
    steps,
  } satisfies LabInput);
}

function ctxFor(lab: Lab): { ctx: StepContext; dir: (host: string) => string } {
  const { sandbox, dir } = folderSandbox();
  return { ctx: { lab, sandbox, pollMs: 10 }, dir };
}

/** A check that fails on its first two runs and passes from the third on (state that converges). */
const converges = (id: string, retry: number) => ({
  id,
  retry,
  shell: { run: `n=$(cat ${id}.count 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${id}.count; test $n -ge 3` },
});

describe('proveStep: the replay rules', () => {
  it('fails before, solves, passes after, solves again and still passes', async () => {
    const lab = labOf([step({ id: 'one', setup: [{ run: 'touch prepared' }], solve: [{ run: 'touch red' }], checks: [has('red'), has('prepared', 0)] })]);
    lab.steps[0]!.checks[1]!.passesBeforeSolve = true;
    const { ctx, dir } = ctxFor(lab);
    const phases: string[] = [];
    const proof = await proveStep(ctx, lab.steps[0]!, { hooks: { phase: (p) => phases.push(p) } });
    expect(proof.failures).toEqual([]);
    expect(proof.proceed).toBe(true);
    expect(phases).toEqual(['setup', 'before', 'solve', 'after', 'again']);
    expect(proof.run.checks.map((c) => [c.id, c.before?.pass, c.after?.pass, c.status])).toEqual([
      ['has-red', false, true, 'passed'],
      ['has-prepared', true, true, 'passed'],
    ]);
    expect(proof.run.again).toMatchObject({ status: 'passed', solve: { ok: true } });
    expect(proof.run.status).toBe('passed');
    expect(existsSync(join(dir('node1'), 'red'))).toBe(true);
  });

  it('a check that passes before the solve proves nothing: the step fails, but later steps still run', async () => {
    const lab = labOf([step({ id: 'one', solve: [{ run: 'touch red' }], checks: [has('red'), { id: 'always', shell: { run: 'true' } }] })]);
    const proof = await proveStep(ctxFor(lab).ctx, lab.steps[0]!);
    expect(proof.failures).toEqual(['step one, check always: passed before the solve — it proves nothing (`true` succeeded on node1)']);
    expect(proof.run.status).toBe('failed');
    expect(proof.proceed).toBe(true);
  });

  it('a failing solve stops the lab, naming the action', async () => {
    const lab = labOf([step({ id: 'one', solve: [{ run: 'touch red\nfalse' }, { run: 'touch never' }] })]);
    const { ctx, dir } = ctxFor(lab);
    const proof = await proveStep(ctx, lab.steps[0]!);
    expect(proof.failures).toEqual(['step one: solve failed: `touch red … (+1 lines)` on node1: exit 1']);
    expect(proof.proceed).toBe(false);
    expect(existsSync(join(dir('node1'), 'never'))).toBe(false);
  });

  it('a failing check is retried for its window; one that converges passes, one that never does fails the step', async () => {
    const lab = labOf([step({ id: 'one', solve: [{ run: 'true' }], checks: [converges('slow', 30), has('never', 0.2)] })]);
    const proof = await proveStep(ctxFor(lab).ctx, lab.steps[0]!);
    const [slow, never] = proof.run.checks;
    expect(slow).toMatchObject({ status: 'passed', attempts: 2 }); // runs 2 and 3: the first was before the solve
    expect(never!.status).toBe('failed');
    expect(never!.attempts).toBeGreaterThan(1);
    expect(proof.failures).toEqual([`step one, check has-never: still fails after the solve (retried for 0.2 s): \`test -e never\` failed on node1 (exit 1)`]);
    expect(proof.proceed).toBe(false);
    expect(proof.run.again).toBeUndefined();
  });

  it('a solve that cannot run twice is reported, unless the step declares repeatable: false', async () => {
    const mk = (repeatable: boolean) => labOf([step({ id: 'one', repeatable, solve: [{ run: 'mkdir red' }], checks: [has('red')] })]);
    const proof = await proveStep(ctxFor(mk(true)).ctx, mk(true).steps[0]!);
    expect(proof.failures).toHaveLength(1);
    expect(proof.failures[0]).toMatch(/^step one: the solve is not repeatable: its second run failed: `mkdir red` on node1: exit 1: mkdir: .*File exists; fix it or declare repeatable: false$/);
    expect(proof.run.again?.status).toBe('failed');
    expect(proof.proceed).toBe(true); // the checks still pass after the failed second run
    const declared = await proveStep(ctxFor(mk(false)).ctx, mk(false).steps[0]!);
    expect(declared.failures).toEqual([]);
    expect(declared.run.again).toEqual({ status: 'skipped', reason: 'repeatable: false' });
  });

  it('a solve whose second run undoes the first is caught by the checks', async () => {
    const lab = labOf([step({ id: 'one', solve: [{ run: 'if [ -e red ]; then rm red; else touch red; fi' }], checks: [has('red', 0)] })]);
    const proof = await proveStep(ctxFor(lab).ctx, lab.steps[0]!);
    expect(proof.failures).toEqual([
      'step one: the solve is not repeatable: after its second run check has-red fails: `test -e red` failed on node1 (exit 1); fix it or declare repeatable: false',
    ]);
    expect(proof.proceed).toBe(false);
  });
});

describe('fast-forward', () => {
  const lab = labOf(
    [
      step({ id: 'one', setup: [{ run: 'touch one-setup' }], solve: [{ run: 'touch one-solve' }] }),
      step({ id: 'two', setup: [{ host: 'node2', run: 'touch two-setup' }], solve: [{ run: 'touch two-solve' }] }),
    ],
    [{ run: 'touch lab-setup' }],
  );
  it('bringToStep runs the lab setup, setup + solve of the steps before, and the step\'s own setup — not its solve', async () => {
    const { ctx, dir } = ctxFor(lab);
    expect(await bringToStep(ctx, 1)).toEqual({ ok: true });
    for (const f of ['lab-setup', 'one-setup', 'one-solve']) expect(existsSync(join(dir('node1'), f)), f).toBe(true);
    expect(existsSync(join(dir('node2'), 'two-setup'))).toBe(true);
    expect(existsSync(join(dir('node1'), 'two-solve'))).toBe(false);
  });
  it('bringToStep batches consecutive actions on one host into one exec, each still its own `bash -e`', async () => {
    const many = labOf([
      step({ id: 'one', setup: [{ run: 'x=1; touch a' }], solve: [{ run: 'test -z "$x"; false; touch never' }, { run: 'touch b' }] }),
      step({ id: 'two', solve: [{ run: 'touch c' }] }),
      step({ id: 'three', setup: [{ host: 'node2', run: 'touch d' }] }),
    ]);
    const { ctx, dir } = ctxFor(many);
    const before = folders.execs();
    expect(await bringToStep(ctx, 2)).toMatchObject({ ok: false, error: expect.stringMatching(/^step one \(fast-forward to three\): solve failed: `test -z "\$x"; false; touch never` on node1: exit 1/) });
    // the failed action stopped the batch where it failed: `set -e` held inside it, nothing after it ran
    expect(['a', 'never', 'b', 'c'].map((f) => existsSync(join(dir('node1'), f)))).toEqual([true, false, false, false]);
    expect(folders.execs() - before).toBe(1);

    const fixed = labOf([...many.steps.slice(0, 1).map((s) => ({ ...s, solve: [{ run: 'touch b' }, { run: 'touch b2' }] })), ...many.steps.slice(1)] as never);
    const ok = ctxFor(fixed);
    const n = folders.execs();
    expect(await bringToStep(ok.ctx, 2)).toEqual({ ok: true });
    for (const f of ['a', 'b', 'b2', 'c']) expect(existsSync(join(ok.dir('node1'), f)), f).toBe(true);
    expect(existsSync(join(ok.dir('node2'), 'd'))).toBe(true);
    // node1: setup + 2 solves + the next step's solve in one exec; node2's setup in another
    expect(folders.execs() - n).toBe(2);
  });
  it('in a batch, each action keeps its own timeout', async () => {
    const slow = labOf([step({ id: 'one', solve: [{ run: 'touch quick' }, { run: 'sleep 5', timeout: 1 }, { run: 'touch after' }] }), step({ id: 'two' })]);
    const { ctx, dir } = ctxFor(slow);
    expect(await bringToStep(ctx, 1)).toEqual({ ok: false, error: 'step one (fast-forward to two): solve failed: `sleep 5` on node1: timed out after 1 s' });
    expect(['quick', 'after'].map((f) => existsSync(join(dir('node1'), f)))).toEqual([true, false]);
  });
  it('bringToStep from a prepared (pooled) sandbox skips the lab setup and the first setup', async () => {
    const { ctx, dir } = ctxFor(lab);
    expect(await bringToStep(ctx, 1, { prepared: true })).toEqual({ ok: true });
    expect(existsSync(join(dir('node1'), 'lab-setup'))).toBe(false);
    expect(existsSync(join(dir('node1'), 'one-setup'))).toBe(false);
    expect(existsSync(join(dir('node1'), 'one-solve'))).toBe(true);
  });
  it('with verify, a solve that exits 0 but does not land fails the fast-forward (checks judged, retried only while failing)', async () => {
    const silent = labOf([step({ id: 'one', solve: [{ run: 'true' }], checks: [has('landed', 1)] }), step({ id: 'two' })]);
    const a = ctxFor(silent);
    expect(await bringToStep(a.ctx, 1)).toEqual({ ok: true });
    expect(await bringToStep(ctxFor(silent).ctx, 1, { verify: true })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^step one \(fast-forward to two\): its solve ran but did not land: check has-landed fails/),
    });
    const converging = labOf([step({ id: 'one', solve: [{ run: 'true' }], checks: [converges('slow', 5)] }), step({ id: 'two' })]);
    expect(await bringToStep(ctxFor(converging).ctx, 1, { verify: true })).toEqual({ ok: true });
  });
  it('names the step and the action that failed', async () => {
    const broken = labOf([step({ id: 'one', solve: [{ run: 'exit 3' }] }), step({ id: 'two' })]);
    const { ctx } = ctxFor(broken);
    expect(await fastForward(ctx, broken.steps.slice(0, 1), undefined, 'two')).toEqual({
      ok: false,
      error: 'step one (fast-forward to two): solve failed: `exit 3` on node1: exit 3',
    });
  });
});

describe('variants', () => {
  const lab = labOf([
    step({
      id: 'one',
      setup: [{ run: 'touch wide' }],
      solve: [{ run: 'touch narrow && rm -f wide' }],
      checks: [has('narrow'), { id: 'not-wide', retry: 0.2, shell: { run: 'test ! -e wide' } }],
      nearMisses: [
        { id: 'wide-only', why: 'a wide rule is just as good', solve: [{ run: 'touch wide' }], fails: 'has-narrow' },
        { id: 'both', solve: [{ run: 'touch narrow' }] },
        { id: 'both-named', solve: [{ run: 'touch narrow' }], fails: 'has-narrow' },
        { id: 'uncaught', solve: [{ run: 'touch narrow; rm wide' }] },
        { id: 'settles', solve: [{ run: 'touch narrow; rm wide' }] },
        { id: 'errors', solve: [{ run: 'false' }] },
      ],
      alternatives: [
        { id: 'by-hand', solve: [{ run: 'rm wide; echo > narrow' }] },
        { id: 'forgets-wide', solve: [{ run: 'touch narrow' }] },
      ],
    }),
  ]);
  const at = (id: string) => {
    const s = lab.steps[0]!;
    const v = variantsOf(s).find((x) => x.spec.id === id)!;
    return { s, v };
  };
  async function prove(id: string, l = lab) {
    const { ctx } = ctxFor(l);
    expect(await bringToStep(ctx, 0)).toEqual({ ok: true });
    const s = l.steps[0]!;
    const v = variantsOf(s).find((x) => x.spec.id === id)!;
    return proveVariant(ctx, s, v, emptyVariantRun(s, v));
  }

  it('a near-miss is proven when a check fails — the named one, if any', async () => {
    expect(await prove('wide-only')).toMatchObject({ status: 'passed', reason: 'caught by has-narrow', why: 'a wide rule is just as good', fails: 'has-narrow' });
    expect(await prove('both')).toMatchObject({ status: 'passed', reason: 'caught by not-wide' });
  });

  it('a near-miss that every check accepts, or that the named check accepts, fails the replay', async () => {
    expect(await prove('uncaught')).toMatchObject({ status: 'failed', reason: 'step one, near-miss uncaught: not caught: every check passes after this wrong action' });
    expect(await prove('both-named')).toMatchObject({
      status: 'failed',
      reason: 'step one, near-miss both-named: check has-narrow should fail but passes (`test -e narrow` succeeded on node1); failing instead: not-wide',
    });
  });

  it('a check catches a near-miss only if it still fails after its whole retry window (the strict direction)', async () => {
    const settling = labOf([{ ...lab.steps[0]!, checks: [has('narrow'), converges('settle', 30)] } as StepInput]);
    // `settles` leaves narrow in place; the converging check fails twice, then passes: not caught
    expect(await prove('settles', settling)).toMatchObject({ status: 'failed', reason: 'step one, near-miss settles: not caught: every check passes after this wrong action' });
    // with a zero window the first failure is final, as it would be after the real solve
    const instant = labOf([{ ...lab.steps[0]!, checks: [has('narrow'), { ...converges('settle', 0) }] } as StepInput]);
    const r = await prove('settles', instant);
    expect(r).toMatchObject({ status: 'passed', reason: 'caught by settle' });
    expect(r.attempts).toEqual([1, 1]);
  });

  it('an alternative must pass every check; a rejected one names the failing check', async () => {
    expect(await prove('by-hand')).toMatchObject({ status: 'passed', checks: [{ pass: true }, { pass: true }] });
    expect(await prove('forgets-wide')).toMatchObject({
      status: 'failed',
      reason: 'step one, alternative forgets-wide: a correct solution is rejected: check not-wide fails (`test ! -e wide` failed on node1 (exit 1))',
    });
  });

  it('a variant whose actions fail proves nothing', async () => {
    expect((await prove('errors')).reason).toBe(
      'step one, near-miss errors: its actions failed: `false` on node1: exit 1 (a near-miss or alternative must run cleanly; add `|| true` where the error is the point)',
    );
    expect(at('errors').v.kind).toBe('near-miss');
  });

});
