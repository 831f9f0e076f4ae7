#!/usr/bin/env node
// Fails when a replay report (netdojo replay --json) skipped a lab or replayed none: a green
// kind job must have replayed every lab it was given.
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (!files.length) {
  console.error('usage: no-skip.mjs REPORT.json…');
  process.exit(2);
}
let bad = 0;
for (const file of files) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const labs = report.labs ?? [];
  if (!labs.length) {
    console.error(`${file}: no lab was replayed`);
    bad++;
  }
  for (const lab of labs.filter((l) => l.status === 'skipped')) {
    console.error(`${file}: ${lab.id} was skipped: ${lab.reason ?? '(no reason)'}`);
    bad++;
  }
}
process.exit(bad ? 1 : 0);
