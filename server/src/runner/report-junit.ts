// JUnit XML: one testsuite per lab, one testcase per check (`<step>/<check>`), so CI shows
// exactly which check of which step broke, with its before/after results in system-out.
import type { CheckResult } from '../checks/types.js';
import type { CheckRun, LabRun, ReplaySummary } from './types.js';

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
