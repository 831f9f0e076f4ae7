// Human output: one progress line per event while replaying, then a summary.
import type { CheckRun, LabRun, ReplayEvent, ReplaySummary, VariantRun } from './types.js';

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
    case 'again':
      return e.again.status === 'passed' ? `[${e.lab}] ${e.step}: solve again: PASS ✓` : `[${e.lab}] ${e.step}: solve again: FAIL ✗ ${e.again.reason}`;
    case 'variant':
      return `[${e.lab}] ${variantLine(e.result)}`;
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

/** `step/id (near-miss): caught by … ✓`, or the reason it failed */
export function variantLine(v: VariantRun): string {
  const name = `${v.step}/${v.id} (${v.kind})`;
  if (v.status === 'passed') return `${name}: ${v.kind === 'near-miss' ? v.reason : 'every check passes'} ✓`;
  return `${name}: FAIL ✗ ${v.reason ?? 'not run'}`;
}

/** e.g. "3 near-misses caught, 1 alternative accepted" */
function variantCounts(r: LabRun): string {
  const count = (kind: string, one: string, many: string, verb: string) => {
    const all = r.variants.filter((v) => v.kind === kind);
    if (!all.length) return [];
    const ok = all.filter((v) => v.status === 'passed').length;
    return [`${ok === all.length ? ok : `${ok}/${all.length}`} ${all.length === 1 ? one : many} ${verb}`];
  };
  const parts = [...count('near-miss', 'near-miss', 'near-misses', 'caught'), ...count('alternative', 'alternative', 'alternatives', 'accepted')];
  return parts.length ? `  (${parts.join(', ')})` : '';
}

function labBlock(r: LabRun): string[] {
  const head = `${r.status === 'passed' ? 'PASS' : r.status === 'failed' ? 'FAIL' : 'SKIP'}  ${r.id}  ${r.status === 'skipped' ? '' : s(r.durationMs)}`.trimEnd();
  if (r.status === 'skipped') return [head, `      skipped: ${r.reason}`];
  const lines = [head + variantCounts(r)];
  if (r.status === 'failed') {
    for (const step of r.steps) {
      lines.push(`    ${step.id}`);
      for (const c of step.checks) lines.push(checkLine(c));
      if (step.again?.status === 'failed') lines.push(`      ✗ solve again: ${step.again.reason}`);
    }
    if (r.variants.length) {
      lines.push('    near-misses and alternatives');
      for (const v of r.variants) lines.push(v.status === 'passed' ? `      ✓ ${variantLine(v).replace(/ ✓$/, '')}` : `      ✗ ${v.reason ?? `${v.step}/${v.id}: not run`}`);
    }
    const shown = new Set([
      ...r.steps.flatMap((st) => [...st.checks.map((c) => c.reason), st.again?.reason]),
      ...r.variants.map((v) => v.reason),
    ]);
    for (const f of r.failures.filter((f) => !shown.has(f))) lines.push(`    ✗ ${f}`);
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
