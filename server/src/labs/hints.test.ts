import { describe, expect, it } from 'vitest';
import { wrapResult } from '../checks/index.js';
import { hintLevels } from './hints.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { hintAdvice } from './lint.js';
import { loadLabs, parseLab } from './loader.js';
import { DEFAULT_LABS_DIR } from './paths.js';
import { Check, Step, textIn, type Hint } from './schema.js';
import { LabSource } from './source.js';

const idea = { en: 'A namespace needs its own end of the cable.', ko: '네임스페이스에는 케이블 한쪽 끝이 필요합니다.' };
const where = 'Look at `ip link help` for the veth type.';
const command = { en: '`ip link add veth-red type veth peer name veth-blue`' };
const levels = [idea, where, command];

describe('graduated hints', () => {
  it('a step and a check accept one text or a list of levels', () => {
    const base = { id: 's', title: 't', text: 'x', solve: [{ run: 'true' }], checks: [{ id: 'c', shell: { run: 'true' } }] };
    expect(Step.safeParse({ ...base, hint: 'one' }).success).toBe(true);
    expect(Step.safeParse({ ...base, hint: levels }).success).toBe(true);
    expect(Check.safeParse({ id: 'c', hint: levels, shell: { run: 'true' } }).success).toBe(true);
    // an empty list or a level of the wrong shape is an error, not an absent hint
    expect(Step.safeParse({ ...base, hint: [] }).success).toBe(false);
    expect(Check.safeParse({ id: 'c', hint: [{ ko: 'only ko' }], shell: { run: 'true' } }).success).toBe(false);
  });

  it('levels come out in the locale, falling back to English per level', () => {
    expect(hintLevels(levels, 'ko')).toEqual([idea.ko, where, command.en]);
    expect(hintLevels(levels, 'en')).toEqual([idea.en, where, command.en]);
    expect(hintLevels('just one', 'ko')).toEqual(['just one']);
    expect(hintLevels(undefined)).toEqual([]);
  });

  it("a check result carries every level, and the first as `hint`", () => {
    const check = Check.parse({ id: 'veth', hint: levels, shell: { run: 'true' } });
    const r = wrapResult(check, 'ko', Date.now(), 'in-band', { pass: false, expected: 'e', actual: 'a', message: 'm' });
    expect(r.hints).toEqual([idea.ko, where, command.en]);
    expect(r.hint).toBe(idea.ko);
    const plain = wrapResult(Check.parse({ id: 'x', shell: { run: 'true' } }), 'en', Date.now(), 'in-band', { pass: true, expected: '', actual: '', message: '' });
    expect(plain.hints).toBeUndefined();
    expect(plain.hint).toBeUndefined();
  });
});

/** Tracks whose every step with a solve must nudge before it tells (issue #16). */
const GRADUATED_TRACKS = ['linux', 'docker', 'k8s-by-hand'];

/** What is wrong with a step's hint, or undefined: at least two levels, each with English and Korean. */
function graduatedHintProblem(hint: Hint | undefined): string | undefined {
  if (hint === undefined) return 'no hint';
  if (!Array.isArray(hint)) return 'a one-level hint';
  if (hint.length < 2) return 'a one-level hint';
  const untranslated = hint.findIndex((level) => typeof level === 'string' || !level.en.trim() || !level.ko?.trim());
  if (untranslated >= 0) return `level ${untranslated + 1} without both en and ko`;
  const en = hint.map((level) => textIn(level, 'en'));
  if (new Set(en).size !== en.length) return 'two identical levels';
  return undefined;
}

describe('the catalog: hints that nudge before they tell', async () => {
  const { labs } = await loadLabs([DEFAULT_LABS_DIR]);

  it('the rule itself tells a graduated hint from one that is not', () => {
    const en = { en: 'e', ko: 'k' };
    expect(graduatedHintProblem(undefined)).toBe('no hint');
    expect(graduatedHintProblem(en)).toBe('a one-level hint');
    expect(graduatedHintProblem([en])).toBe('a one-level hint');
    expect(graduatedHintProblem([{ en: 'idea', ko: '생각' }, { en: 'command' }])).toBe('level 2 without both en and ko');
    expect(graduatedHintProblem([en, en])).toBe('two identical levels');
    expect(graduatedHintProblem([{ en: 'idea', ko: '생각' }, { en: 'command', ko: '명령' }])).toBeUndefined();
  });

  for (const track of GRADUATED_TRACKS) {
    it(`every step with a solve in track ${track} has a hint of at least two levels, each in en and ko`, () => {
      const inTrack = labs.filter((l) => l.lab.track === track);
      expect(inTrack.length, `no labs in track ${track}`).toBeGreaterThan(0);
      // a lab with errors is left out of the catalog: it must not escape the rule that way
      const folders = readdirSync(join(DEFAULT_LABS_DIR, track)).filter((d) => existsSync(join(DEFAULT_LABS_DIR, track, d, 'lab.yaml')));
      expect(inTrack.map((l) => l.lab.id).sort()).toEqual(folders.sort());
      const problems = inTrack.flatMap(({ lab }) =>
        lab.steps.flatMap((step) => {
          const out: string[] = [];
          const problem = step.solve.length ? graduatedHintProblem(step.hint) : undefined;
          if (problem) out.push(`${lab.id}/${step.id}: ${problem}`);
          // a troubleshooting step's faults are its non-trivial parts: the fault's levels, or its checks' own
          for (const fault of step.faults) {
            const own = graduatedHintProblem(fault.hint);
            const checks = fault.checks.map((c) => graduatedHintProblem(c.hint ?? fault.hint)).filter((p) => p !== undefined);
            if (own && checks.length) out.push(`${lab.id}/${step.id} fault ${fault.id}: ${own} (and a check without levels of its own)`);
          }
          return out;
        }),
      );
      expect(problems).toEqual([]);
    });
  }
});

describe('validate --strict: a lab that gives hint levels gives them on every step', () => {
  const file = join(DEFAULT_LABS_DIR, 'linux', 'netns-veth', 'lab.yaml');
  const text = readFileSync(file, 'utf8');
  const advice = (yaml: string): string[] => {
    const lab = parseLab(yaml, file).lab!;
    const lines = new LineCounter();
    const src = new LabSource(file, yaml, parseDocument(yaml, { lineCounter: lines }), lines);
    return hintAdvice(lab, src).map((p) => `${p.line}:${p.col}: ${p.severity}: ${p.message}`);
  };

  it('is quiet for a lab whose steps all give levels', () => {
    expect(advice(text)).toEqual([]);
  });

  it('warns about a step left with one level, or with none', () => {
    const levels = /( {4}hint:\n(?: {6}- en: .*\n {8}ko: .*\n)+)(?= {4}solve:\n {6}- run: \|\n {10}ip netns add red)/;
    expect(text).toMatch(levels);
    const oneLevel = text.replace(levels, '    hint: { en: "`ip netns add red`", ko: "`ip netns add red`" }\n');
    const line = oneLevel.split('\n').findIndex((l) => l.startsWith('    hint: { en: "`ip netns add red`"')) + 1;
    expect(advice(oneLevel)).toEqual([
      `${line}:11: warning: step 'create-namespaces' has a one-level hint, while other steps of this lab give levels: nudge before telling (the idea → where to look → the command; docs/authoring.md#hints)`,
    ]);
    const none = advice(text.replace(levels, ''));
    expect(none).toHaveLength(1);
    expect(none[0]).toMatch(/warning: step 'create-namespaces' has no hint, while other steps/);
  });
});
