// Human output: one progress line per event while replaying, then a summary.
import type { CheckRun, LabRun, ReplayEvent, ReplaySummary } from './types.js';

const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** A line for a progress event, or undefined for events not worth a line. */
export function progressLine(e: ReplayEvent): string | undefined {
  switch (e.type) {
    case 'lab-start':
      return `[${e.lab}] starting`;
    case 'sandbox-ready':
      return `[${e.lab}] sandbox ${e.sessionId} ready in ${s(e.ms)}`;
    case 'phase':
      return e.phase === 'solve' ? `[${e.lab}] ${e.step}: solve` : undefined;
    case 'check': {
      const r = e.result;
      if (e.phase === 'before') {
        const bad = r.pass && !e.check.passesBeforeSolve;
        return `[${e.lab}] ${e.step}/${e.check.id} before solve: ${r.pass ? 'PASS' : 'FAIL'}${bad ? ' ✗ (must fail before the solve)' : ' ✓'}`;
      }
      const tries = e.check.attempts > 1 ? ` after ${e.check.attempts} attempts` : '';
      return `[${e.lab}] ${e.step}/${e.check.id} after solve: ${r.pass ? 'PASS ✓' : `FAIL ✗ ${r.message}`}${tries}`;
    }
    case 'lab-end': {
      const r = e.result;
      if (r.status === 'skipped') return `[${r.id}] SKIPPED: ${r.reason}`;
      return `[${r.id}] ${r.status.toUpperCase()} in ${s(r.durationMs)}${r.status === 'failed' ? `: ${r.reason}` : ''}`;
    }
    default:
      return undefined;
  }
}

function checkLine(c: CheckRun): string {
  const mark = c.status === 'passed' ? '✓' : c.status === 'failed' ? '✗' : '·';
  return `      ${mark} ${c.id}: ${c.status === 'failed' ? (c.reason ?? 'failed') : c.status === 'not-run' ? 'not run' : (c.after?.message ?? '')}`;
}

function labBlock(r: LabRun): string[] {
  const head = `${r.status === 'passed' ? 'PASS' : r.status === 'failed' ? 'FAIL' : 'SKIP'}  ${r.id}  ${r.status === 'skipped' ? '' : s(r.durationMs)}`.trimEnd();
  if (r.status === 'skipped') return [head, `      skipped: ${r.reason}`];
  const lines = [head];
  if (r.status === 'failed') {
    for (const step of r.steps) {
      lines.push(`    ${step.id}`);
      for (const c of step.checks) lines.push(checkLine(c));
    }
    const checkReasons = new Set(r.steps.flatMap((st) => st.checks.map((c) => c.reason)));
    for (const f of r.failures.filter((f) => !checkReasons.has(f))) lines.push(`    ✗ ${f}`);
  }
  return lines;
}

export function consoleSummary(summary: ReplaySummary): string {
  const lines = ['', ...summary.labs.flatMap(labBlock), ''];
  const parts = [`${summary.passed} passed`, `${summary.failed} failed`];
  if (summary.skipped) parts.push(`${summary.skipped} skipped`);
  lines.push(`labs: ${parts.join(', ')} (${s(summary.durationMs)})`);
  return `${lines.join('\n')}\n`;
}
