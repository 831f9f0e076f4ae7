import { describe, expect, it } from 'vitest';
import { wrapResult } from '../checks/index.js';
import { hintLevels } from './hints.js';
import { Check, Step } from './schema.js';

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
