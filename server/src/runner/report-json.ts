// JSON report: the full ReplaySummary plus counts, stable enough for tools to read.
import type { ReplaySummary } from './types.js';

export function toJson(summary: ReplaySummary): string {
  return `${JSON.stringify({ version: 1, ...summary }, null, 2)}\n`;
}
