// The markdown the README includes: one row per figure, its baseline and the ratio between them.
import type { BenchResult, Figure } from './types.js';

const fmt = (rec: Record<string, number> | undefined, unit: string): string =>
  rec
    ? Object.entries(rec)
        .filter(([k]) => k !== 'n')
        .map(([k, v]) => `${k} ${v}${/MiB|MBps|Seconds|sessions|Held|fromPool|misses|ms$/.test(k) ? '' : ` ${unit}`}`)
        .join(', ') + (rec.n !== undefined ? ` (n=${rec.n})` : '')
    : '—';

const ratio = (f: Figure): string =>
  f.ratio && Object.keys(f.ratio).length
    ? Object.entries(f.ratio)
        .map(([k, v]) => `${k} ×${v}`)
        .join(', ')
    : '—';

export function toMarkdown(r: BenchResult): string {
  const m = r.machine;
  const lines = [
    `# netdojo benchmark — ${r.startedAt.slice(0, 10)} on ${m.hostname}${r.quick ? ' (quick mode: small counts, not comparable)' : ''}`,
    '',
    `Machine: ${m.nproc} cores (${m.cpuModel}), ${m.memoryGiB} GiB memory (${m.freeMemoryGiB} GiB free at start), ${m.os}, kernel ${m.kernel},`,
    `Docker ${m.docker} (cgroup ${m.dockerCgroup}, storage ${m.dockerStorage ?? '?'}), Node ${m.node}. Load average at start: ${m.loadAverageAtStart.join(', ')};`,
    `${m.runningContainersAtStart} containers were running on the engine (other engineers' test suites share this machine).`,
    `Run: \`npm run bench${r.quick ? ' -- --quick' : ''}\`, ${Math.round(r.durationS)} s. Ratio = figure ÷ baseline measured in the same run (interleaved):`,
    'for times lower is better, for MB/s higher is better.',
    '',
    '| figure | measured | baseline (same run) | ratio | target | met | load 1-min (start→end) |',
    '|---|---|---|---|---|---|---|',
    ...r.figures.map(
      (f) =>
        `| ${f.what.replace(/\|/g, '\\|')} | ${fmt(f.measured, f.unit)} | ${f.baseline ? `${f.baseline.what}: ${fmt(f.baseline.measured, f.unit)}` : '—'} | ${ratio(f)} | ${f.target ?? '—'} | ${f.meets === undefined ? '—' : f.meets ? 'yes' : '**no**'} | ${f.load[0]}→${f.load[1]} |`,
    ),
    '',
  ];
  const missed = r.figures.filter((f) => f.meets === false);
  lines.push(missed.length ? '## Targets not met, and why (from the measurements)' : '## All targets met in this run', '');
  for (const f of missed) lines.push(`- **${f.id}**: ${f.why ?? 'see the figures'}`);
  const details = r.figures.filter((f) => f.detail && Object.keys(f.detail).length);
  if (details.length) {
    lines.push('', '## Details', '');
    for (const f of details) lines.push(`- ${f.id}: ${Object.entries(f.detail!).map(([k, v]) => `${k} ${v}`).join('; ')}`);
  }
  lines.push('', `Left behind after the run (Docker objects of this run): ${r.leftovers.length ? r.leftovers.join(', ') : 'none'}.`, '');
  return lines.join('\n');
}
