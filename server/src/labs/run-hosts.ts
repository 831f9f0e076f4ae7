// In a lab with more than one host, a click-to-run block must say which host's terminal it is typed
// into (`bash run host=NAME`): without it, the command lands in whichever tab happens to be active.
// Unknown names are reported by lint.ts's fence rules; this adds the missing-host rule.
import { fences, markdownLine, type LintInput } from './lint.js';
import { Lab, Text } from './schema.js';
import { sameSchema, walkSchema, type Path, type Problem } from './source.js';

/** Run blocks without `host=` in a multi-host Docker lab, each at its file:line:col. */
export function runBlockHostRules({ lab, src }: LintInput): Problem[] {
  if (lab.environment.provider !== 'docker') return [];
  const hosts = lab.environment.hosts.map((h) => h.name);
  if (hosts.length < 2) return [];
  const out: Problem[] = [];
  walkSchema(Lab, lab, (schema, value, path) => {
    if (!sameSchema(schema, Text)) return;
    const text = value as Text;
    const variants: Array<{ md: string; path: Path }> =
      typeof text === 'string' ? [{ md: text, path }] : Object.entries(text).flatMap(([loc, md]) => (typeof md === 'string' ? [{ md, path: [...path, loc] }] : []));
    for (const v of variants) {
      const lines = v.md.split('\n');
      for (const f of fences(v.md)) {
        const attrs = f.info.split(/\s+/).filter(Boolean).slice(1);
        if (!attrs.includes('run') || attrs.some((a) => a.startsWith('host='))) continue;
        const { line, col } = markdownLine(v.md, lines, f.line, v.path, src);
        out.push(
          src.problemAtLine(line, col, `run block '${lines[f.line]!.trim()}' names no host, and this lab has ${hosts.length} (${hosts.join(', ')}): add host=NAME so it is typed into that host's terminal`),
        );
      }
    }
    return false;
  });
  return out;
}
