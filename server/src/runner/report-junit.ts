// JUnit XML: one testsuite per lab, one testcase per check (`<step>/<check>`), per second solve
// (`<step>/solve-again`) and per variant (`<step>/near-miss/<id>`, `<step>/alternative/<id>`), so CI
// shows exactly what broke, with the check results in system-out.
import type { CheckResult } from '../checks/types.js';
import type { CheckRun, LabRun, ReplaySummary, StepRun, VariantRun } from './types.js';

export function xmlEscape(s: string): string {
  return (
    s
      // XML 1.0 forbids most control characters even when escaped
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
  );
}

const secs = (ms: number) => (ms / 1000).toFixed(3);

function phase(label: string, r: CheckResult | undefined): string {
  if (!r) return `${label}: not run`;
  return `${label}: ${r.pass ? 'PASS' : 'FAIL'} (${r.message})`;
}

function checkOut(c: CheckRun): string {
  const lines = [
    phase('before solve', c.before) + (c.passesBeforeSolve ? ' [passesBeforeSolve]' : ''),
    phase('after solve', c.after) + (c.attempts > 1 ? ` after ${c.attempts} attempts` : ''),
  ];
  if (c.after && !c.after.pass) lines.push(`expected: ${c.after.expected}`, `actual: ${c.after.actual}`);
  else if (c.before?.pass && !c.passesBeforeSolve) lines.push(`expected (before): ${c.before.expected}`, `actual (before): ${c.before.actual}`);
  return lines.join('\n');
}

function resultLines(results: CheckResult[]): string[] {
  return results.map((r) => `${r.id}: ${r.pass ? 'PASS' : 'FAIL'} (${r.message})`);
}

/** The second solve of a step, or undefined when it did not get that far. */
function againCase(step: StepRun): { body: string; failed: boolean; skipped: boolean } | undefined {
  const a = step.again;
  if (!a) return undefined;
  if (a.status === 'skipped') return { body: `<skipped message="${xmlEscape(`not run: ${a.reason ?? 'repeatable: false'}`)}"/>`, failed: false, skipped: true };
  const out = [`second solve: ${a.solve?.ok ? 'ok' : `failed (${a.solve?.error ?? 'unknown error'})`}`, ...resultLines(a.checks ?? [])];
  const failure = a.status === 'failed' ? `<failure message="${xmlEscape(a.reason ?? 'failed')}"/>` : '';
  return { body: `${failure}<system-out>${xmlEscape(out.join('\n'))}</system-out>`, failed: a.status === 'failed', skipped: false };
}

function variantBody(v: VariantRun): string {
  const out = [`session ${v.sessionId ?? '-'}`];
  if (v.why) out.push(`why: ${v.why}`);
  if (v.fails) out.push(`must fail: ${v.fails}`);
  if (v.solve) out.push(`actions: ${v.solve.ok ? 'ok' : `failed (${v.solve.error ?? 'unknown error'})`}`);
  out.push(...resultLines(v.checks));
  if (v.status === 'passed' && v.reason) out.push(v.reason);
  const failure = v.status === 'passed' ? '' : `<failure message="${xmlEscape(v.reason ?? 'not run')}"/>`;
  return `${failure}<system-out>${xmlEscape(out.join('\n'))}</system-out>`;
}

function testcase(classname: string, name: string, ms: number, body: string): string {
  return `    <testcase classname="${xmlEscape(classname)}" name="${xmlEscape(name)}" time="${secs(ms)}">${body}</testcase>`;
}

function suite(lab: LabRun): string {
  const cases: string[] = [];
  let failures = 0;
  let skipped = 0;
  if (lab.status === 'skipped') {
    skipped++;
    cases.push(testcase(lab.id, 'replay', 0, `<skipped message="${xmlEscape(lab.reason ?? 'skipped')}"/>`));
  } else {
    const attributed = new Set<string>();
    for (const step of lab.steps) {
      for (const c of step.checks) {
        const ms = (c.before?.durationMs ?? 0) + (c.after?.durationMs ?? 0);
        let body = `<system-out>${xmlEscape(checkOut(c))}</system-out>`;
        if (c.status === 'failed') {
          failures++;
          attributed.add(c.reason ?? '');
          body = `<failure message="${xmlEscape(c.reason ?? 'failed')}"/>${body}`;
        } else if (c.status === 'not-run') {
          skipped++;
          body = `<skipped message="not run: an earlier part of the lab failed"/>${body}`;
        }
        cases.push(testcase(lab.id, `${step.id}/${c.id}`, ms, body));
      }
      const again = againCase(step);
      if (again) {
        if (again.failed) {
          failures++;
          attributed.add(step.again!.reason ?? '');
        }
        if (again.skipped) skipped++;
        const ms = (step.again?.solve?.durationMs ?? 0) + (step.again?.checks ?? []).reduce((n, r) => n + r.durationMs, 0);
        cases.push(testcase(lab.id, `${step.id}/solve-again`, ms, again.body));
      }
    }
    for (const v of lab.variants) {
      if (v.status !== 'passed') {
        failures++;
        attributed.add(v.reason ?? '');
      }
      cases.push(testcase(lab.id, `${v.step}/${v.kind}/${v.id}`, v.durationMs, variantBody(v)));
    }
    // failures that belong to no check: setup/solve errors, teardown, leftovers
    const other = lab.failures.filter((f) => !attributed.has(f));
    const out = [`session ${lab.sessionId ?? '-'}`, `create ${lab.timings.createMs ?? '-'} ms, teardown ${lab.timings.teardownMs ?? '-'} ms`];
    if (lab.leftovers.length) out.push(`leftovers: ${lab.leftovers.join(', ')}`);
    let body = `<system-out>${xmlEscape(out.join('\n'))}</system-out>`;
    if (other.length) {
      failures++;
      body = `<failure message="${xmlEscape(other.join('; '))}"/>${body}`;
    }
    cases.push(testcase(lab.id, 'sandbox', (lab.timings.createMs ?? 0) + (lab.timings.teardownMs ?? 0), body));
  }
  return [
    `  <testsuite name="${xmlEscape(lab.id)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${secs(lab.durationMs)}" file="${xmlEscape(lab.file)}">`,
    ...cases,
    '  </testsuite>',
  ].join('\n');
}

export function toJUnit(summary: ReplaySummary): string {
  const suites = summary.labs.map(suite);
  const tests = (s: string, attr: string) => Number(new RegExp(`${attr}="(\\d+)"`).exec(s)?.[1] ?? 0);
  const sum = (attr: string) => suites.reduce((n, s) => n + tests(s, attr), 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="netdojo replay" tests="${sum('tests')}" failures="${sum('failures')}" errors="0" skipped="${sum('skipped')}" time="${secs(summary.durationMs)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
