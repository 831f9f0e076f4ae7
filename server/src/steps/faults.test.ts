// Troubleshooting steps without Docker: the schema and lint rules of `faults`/`pick`, the seeded
// draw, the per-session step, and replay's walk over every fault — on a sandbox whose hosts are
// folders (a file stands for a fault being in place), through the real checkers and action runner.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLab } from '../labs/loader.js';
import { Lab, type LabInput } from '../labs/schema.js';
import { drawFaults, drawLab, drawnView, injectsOf, labWithFaults, resolveDraw, withFaults } from './faults.js';
import { bringToStep, checkStep, proveFaultStep, type StepContext } from './lifecycle.js';
import { emptyVariantRun, proveVariant, variantsOf } from './variants.js';
import { folderSandboxes } from './testkit.js';

const folders = folderSandboxes('faults');
afterAll(() => folders.cleanup());
/** A sandbox whose one host is a folder; scripts run with bash in it. */
const folderSandbox = () => folders.make(['node']).sandbox;

type StepInput = LabInput['steps'][number];
type FaultInput = NonNullable<StepInput['faults']>[number];

/** A fault that is a file `<id>.broken`: its check passes while the file is absent. */
const fault = (id: string, extra: Partial<FaultInput> = {}): FaultInput => ({
  id,
  title: `${id} is broken`,
  symptom: { en: `symptom of ${id}`, ko: `${id}의 증상` },
  inject: [{ run: `touch ${id}.broken` }],
  solve: [{ run: `rm -f ${id}.broken` }],
  checks: [{ id: `${id}-ok`, retry: 0, shell: { run: `test ! -e ${id}.broken` } }],
  ...extra,
});

function labOf(steps: StepInput[]): Lab {
  return Lab.parse({
    apiVersion: 'netdojo/v1',
    kind: 'Lab',
    id: 'unit',
    title: 'Unit',
    track: 'test',
    level: 'beginner',
    minutes: 1,
    environment: { hosts: [{ name: 'node' }] },
    steps,
  } satisfies LabInput);
}

const faultStep = (faults: FaultInput[], pick?: number, extra: Partial<StepInput> = {}): StepInput => ({
  id: 'repair',
  title: 'Repair',
  text: 'Repair what is broken.',
  faults,
  ...(pick !== undefined ? { pick } : {}),
  ...extra,
});

const ctxFor = (lab: Lab): StepContext => ({ lab, sandbox: folderSandbox(), pollMs: 10 });

describe('schema and lint: faults and pick', () => {
  const file = join(folders.root, 'labs', 'linux', 'fx', 'lab.yaml');
  const yaml = (stepBody: string) => `apiVersion: netdojo/v1
kind: Lab
id: fx
title: Faults
track: linux
level: beginner
minutes: 5
environment:
  hosts:
    - name: node
steps:
  - id: repair
    title: Repair
    text: Repair it.
${stepBody}`;
  const faultYaml = (id: string, check = `${id}-ok`) => `      - id: ${id}
        title: ${id}
        symptom: ${id} hurts
        inject: [{ host: node, run: "touch ${id}" }]
        solve: [{ host: node, run: "rm -f ${id}" }]
        checks:
          - id: ${check}
            shell: { host: node, run: "test ! -e ${id}" }
`;
  const errors = (text: string) => parseLab(text, file).problems.filter((p) => p.severity === 'error').map((p) => `${p.line}:${p.col}: ${p.message}`);

  it('a step with faults needs no solve or checks of its own', () => {
    const parsed = parseLab(yaml(`    pick: 1\n    faults:\n${faultYaml('a')}${faultYaml('b')}`), file);
    expect(errors(yaml(`    pick: 1\n    faults:\n${faultYaml('a')}${faultYaml('b')}`))).toEqual([]);
    expect(parsed.lab!.steps[0]!.faults.map((f) => f.id)).toEqual(['a', 'b']);
  });

  it('pick larger than the list is an error at the pick line', () => {
    expect(errors(yaml(`    pick: 3\n    faults:\n${faultYaml('a')}${faultYaml('b')}`))).toEqual(["15:11: 'pick': pick 3 is more than the 2 faults this step declares"]);
  });

  it('a step without faults still needs a solve and checks', () => {
    expect(errors(yaml(`    checks:\n      - id: ok\n        shell: { host: node, run: "true" }\n`))).toEqual(["12:5: missing required field 'solve' in step 'repair'"]);
  });

  it("a fault's check ids share the step's id space, and its near-misses name its checks", () => {
    const dup = yaml(
      `    solve: [{ host: node, run: "true" }]\n    checks:\n      - id: a-ok\n        shell: { host: node, run: "true" }\n    faults:\n${faultYaml('a')}`,
    );
    expect(errors(dup)).toEqual(["26:17: duplicate check id 'a-ok' in step 'repair' (first at line 17)"]);
    const nm = yaml(`    faults:\n${faultYaml('a')}        nearMisses:\n          - id: oops\n            solve: [{ host: node, run: "true" }]\n            fails: b-ok\n`);
    expect(errors(nm)).toEqual(["27:20: near-miss 'oops' fails 'b-ok', which is not a check of step 'repair' or of fault 'a' (did you mean 'a-ok'?)"]);
  });

  it('hosts of injects and fault checks are checked like any action and check', () => {
    const bad = yaml(`    faults:\n${faultYaml('a').replace('inject: [{ host: node,', 'inject: [{ host: nod,')}`);
    expect(errors(bad)).toEqual(["19:26: unknown host 'nod' (did you mean 'node'? declared: node)"]);
  });
});

describe('the seeded draw', () => {
  const lab = labOf([faultStep(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((id) => fault(id)), 3)]);
  const step = lab.steps[0]!;

  it('the same seed draws the same faults; pick of them, in the file order', () => {
    const first = drawFaults(step, 'session-one');
    expect(first).toHaveLength(3);
    expect(drawFaults(step, 'session-one')).toEqual(first);
    const order = step.faults.map((f) => f.id);
    expect([...first].sort((x, y) => order.indexOf(x) - order.indexOf(y))).toEqual(first);
    expect(new Set(first).size).toBe(3);
  });

  it('different sessions draw different faults, spread over the list', () => {
    const draws = Array.from({ length: 40 }, (_, i) => drawFaults(step, `session-${i}`).join(','));
    expect(new Set(draws).size).toBeGreaterThan(10);
    expect(new Set(draws.flatMap((d) => d.split(','))).size).toBe(8);
    expect(drawFaults(step, 'aaaaaaaaaaaaaaaaaaaaaaaa')).not.toEqual(drawFaults(step, 'bbbbbbbbbbbbbbbbbbbbbbbb'));
  });

  it('without pick every fault is drawn', () => {
    const all = labOf([faultStep([fault('a'), fault('b')])]);
    expect(drawLab(all, 'x')).toEqual({ repair: ['a', 'b'] });
  });

  it('a stored draw wins over the seed; one naming unknown faults is drawn again', () => {
    expect(resolveDraw(lab, { repair: ['h', 'a'] }, 'seed')).toEqual({ repair: ['h', 'a'] });
    expect(resolveDraw(lab, { repair: ['gone'] }, 'seed')).toEqual({ repair: drawFaults(step, 'seed') });
    expect(resolveDraw(lab, undefined, 'seed')).toEqual(drawLab(lab, 'seed'));
  });
});

describe("a session's step: only the drawn faults", () => {
  const lab = labOf([
    { id: 'first', title: 'First', text: 'x', solve: [{ run: 'true' }], checks: [{ id: 'x', shell: { run: 'true' } }] },
    faultStep([fault('a', { hint: ['the idea', 'the command'] }), fault('b'), fault('c')], 2, {
      setup: [{ run: 'touch prepared' }],
      checks: [{ id: 'kept', passesBeforeSolve: true, shell: { run: 'true' } }],
    }),
  ]);
  const drawn = withFaults(lab.steps[1]!, ['a', 'c']);

  it('injects, solves, checks and variants of the drawn faults only; hints fall back to the fault', () => {
    expect(drawn.setup.map((a) => a.run)).toEqual(['touch prepared', 'touch a.broken', 'touch c.broken']);
    expect(injectsOf(drawn).map((a) => a.run)).toEqual(['touch a.broken', 'touch c.broken']);
    expect(drawn.solve.map((a) => a.run)).toEqual(['rm -f a.broken', 'rm -f c.broken']);
    expect(drawn.checks.map((c) => c.id)).toEqual(['kept', 'a-ok', 'c-ok']);
    expect(drawn.checks[1]!.hint).toEqual(['the idea', 'the command']);
    expect(drawn.checks[2]!.hint).toBeUndefined();
    expect(drawn.faults).toEqual([]);
    expect(injectsOf(lab.steps[1]!)).toEqual([]);
  });

  it('other steps are untouched; the learner sees symptoms and checks, not causes or repairs', () => {
    const seen = labWithFaults(lab, { repair: ['b'] });
    expect(seen.steps[0]).toBe(lab.steps[0]);
    expect(seen.steps[1]!.checks.map((c) => c.id)).toEqual(['kept', 'b-ok']);
    const view = drawnView(lab, { repair: ['b'] });
    expect(view).toEqual({ repair: [{ id: 'b', symptom: { en: 'symptom of b', ko: 'b의 증상' }, checks: [{ id: 'b-ok' }] }] });
    expect(JSON.stringify(view)).not.toMatch(/broken/);
  });

  it('Check runs the drawn checks and only those', async () => {
    const ctx = ctxFor(labWithFaults(lab, { repair: ['a', 'c'] }));
    expect((await bringToStep(ctx, 1)).ok).toBe(true);
    const results = await checkStep(ctx, ctx.lab.steps[1]!);
    expect(results.map((r) => [r.id, r.pass])).toEqual([
      ['kept', true],
      ['a-ok', false],
      ['c-ok', false],
    ]);
  });
});

describe('replay proves every fault: inject all, repair one at a time', () => {
  it('independent faults pass: each one fails after the inject and passes after its own repair', async () => {
    const lab = labOf([faultStep([fault('a'), fault('b'), fault('c')], 1)]);
    const proof = await proveFaultStep(ctxFor(lab), lab.steps[0]!);
    expect(proof.failures).toEqual([]);
    expect(proof.run.checks.map((c) => [c.id, c.before?.pass, c.after?.pass])).toEqual([
      ['a-ok', false, true],
      ['b-ok', false, true],
      ['c-ok', false, true],
    ]);
    expect(proof.run.again?.status).toBe('passed');
  });

  it("a check that passes once another fault is repaired is reported", async () => {
    // b's check looks at a's file: a session that drew both would see it pass with b still broken
    const lab = labOf([faultStep([fault('a'), fault('b', { checks: [{ id: 'b-ok', retry: 0, shell: { run: 'test ! -e a.broken' } }] })])]);
    const proof = await proveFaultStep(ctxFor(lab), lab.steps[0]!);
    expect(proof.failures).toEqual([
      "step repair, fault b, check b-ok: passes once only fault a is repaired — a fault's checks must not depend on another fault",
    ]);
  });

  it("a repair that does not repair its own fault is reported", async () => {
    const lab = labOf([faultStep([fault('a', { solve: [{ run: 'true' }] }), fault('b')])]);
    const proof = await proveFaultStep(ctxFor(lab), lab.steps[0]!);
    expect(proof.failures[0]).toMatch(/^step repair, fault a, check a-ok: still fails after the fault's repair/);
  });

  it("a fault's near-miss runs with that fault alone injected", async () => {
    const lab = labOf([
      faultStep([
        fault('a', { nearMisses: [{ id: 'wrong-file', solve: [{ run: 'rm -f b.broken' }], fails: 'a-ok' }] }),
        fault('b', { alternatives: [{ id: 'mv-away', solve: [{ run: 'mv b.broken b.fixed' }] }] }),
      ]),
    ]);
    const variants = variantsOf(lab.steps[0]!);
    expect(variants.map((v) => [v.spec.id, v.kind, v.fault])).toEqual([
      ['wrong-file', 'near-miss', 'a'],
      ['mv-away', 'alternative', 'b'],
    ]);
    for (const v of variants) {
      const vlab = labWithFaults(lab, { repair: [v.fault!] });
      const ctx = ctxFor(vlab);
      expect((await bringToStep(ctx, 0)).ok).toBe(true);
      const run = await proveVariant(ctx, vlab.steps[0]!, v, emptyVariantRun(vlab.steps[0]!, v));
      expect([run.id, run.status, run.checks.map((c) => c.id)]).toEqual([v.spec.id, 'passed', [`${v.fault}-ok`]]);
    }
  });
});
