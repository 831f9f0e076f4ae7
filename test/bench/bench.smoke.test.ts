// Smoke test of `netdojo bench --quick` with tiny counts: it runs to the end, reports every figure
// of docs/dev/architecture.md "Targets" (with its ratio to a baseline where the issue defines one), writes JSON and
// markdown, and leaves no Docker object of its run behind. Timing values are never asserted.
import { execa } from 'execa';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import type { BenchResult } from '../../server/src/bench/types.js';

vi.setConfig({ testTimeout: 1_500_000 });

const ROOT = resolve(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'netdojo-bench-smoke-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it('runs every figure in quick mode and writes JSON and markdown', async () => {
  const r = await execa(
    process.execPath,
    ['bin/netdojo.mjs', 'bench', '--quick', '--ready', '2', '--arrivals', '3', '--echo', '20', '--throughput-mib', '2', '--check', '2', '--density', '2', '--class', '2', '--capacity', '1', '2', '--replay', 'netns-veth', '--out', out, '--machine', 'smoke'],
    { cwd: ROOT, reject: false, all: true },
  );
  expect(r.exitCode, r.all).toBe(0);
  const files = readdirSync(out).sort();
  expect(files).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\d-smoke-quick\.json$/), expect.stringMatching(/^\d{4}-\d\d-\d\d-smoke-quick\.md$/)]);
  const result = JSON.parse(readFileSync(join(out, files[0]!), 'utf8')) as BenchResult;

  expect(result.quick).toBe(true);
  expect(result.leftovers).toEqual([]);
  expect(result.machine.nproc).toBeGreaterThan(0);
  expect(result.machine.loadAverageAtStart).toHaveLength(3);
  expect(result.machine.docker).not.toBe('unavailable');

  const byId = new Map(result.figures.map((f) => [f.id, f]));
  expect([...byId.keys()].sort()).toEqual(['capacity', 'check', 'class-start', 'class-start-announced', 'density', 'host-cost', 'replay', 'restart', 'session-ready-arrivals', 'session-ready-cold', 'session-ready-warm', 'terminal-echo', 'terminal-throughput']);
  const withBaseline: Record<string, string[]> = {
    'session-ready-cold': ['p50', 'p95'],
    'session-ready-warm': ['p50', 'p95'],
    'terminal-echo': ['p50', 'p99'],
    'terminal-throughput': ['MBps'],
    check: ['p50', 'p95'],
    'host-cost': ['pssMiB'],
    'class-start': ['p50'],
    'class-start-announced': ['p50'],
    restart: ['p50'],
    capacity: ['echoP99', 'checkP95', 'healthP99'],
  };
  for (const [id, keys] of Object.entries(withBaseline)) {
    const f = byId.get(id)!;
    expect(f.baseline, id).toBeDefined();
    for (const k of keys) {
      expect(Number.isFinite(f.measured[k]), `${id}.${k}`).toBe(true);
      expect(Number.isFinite(f.baseline!.measured[k]), `${id} baseline ${k}`).toBe(true);
      expect(f.ratio?.[k], `${id} ratio ${k}`).toBeGreaterThan(0);
    }
    // the host-wide cost is reported beside its baseline, with no target of its own
    expect(typeof f.meets, id).toBe(id === 'host-cost' ? 'undefined' : 'boolean');
    if (f.meets === false) expect(f.why, id).toBeTruthy();
  }
  // the sample counts asked for are the sample counts taken
  expect(byId.get('session-ready-cold')!.measured.n).toBe(2);
  expect(byId.get('session-ready-warm')!.measured.n).toBe(2);
  expect(byId.get('terminal-echo')!.measured.n).toBe(20);
  expect(byId.get('check')!.measured.n).toBe(2);
  expect(byId.get('density')!.measured.sessions).toBe(2);
  expect(byId.get('density')!.measured.healthP99ms).toBeGreaterThan(0);
  // every arrival is either a pool hit or a miss, and all of them are counted
  const arrivals = byId.get('session-ready-arrivals')!;
  expect(arrivals.measured.n).toBe(3);
  expect(Number(arrivals.detail!.poolHits) + Number(arrivals.detail!.poolMisses)).toBe(3);
  expect(arrivals.measured.misses).toBe(arrivals.detail!.poolMisses);
  expect(byId.get('density')!.measured.sandboxMiB).toBeGreaterThan(0);
  // host-wide cost: the sessions' processes and their containerd-shims were found and counted, beside as many bare containers
  const host = byId.get('host-cost')!;
  expect(host.measured.sessions).toBe(2);
  expect(host.baseline!.measured.sessions).toBe(2);
  expect(Number(host.detail!.processesMiB)).toBeGreaterThan(0);
  expect(Number(host.detail!.shimMiB)).toBeGreaterThan(0);
  expect(Number.isFinite(host.measured.memAvailableDropMiB)).toBe(true);
  // a class of 2 against the default pool of 1, filled before the class: the first learner is served from it
  const klass = byId.get('class-start')!;
  expect(klass.measured.n).toBe(2);
  expect(klass.measured.fromPool).toBeGreaterThanOrEqual(1);
  expect(Number(klass.detail!.fromPool) + Number(klass.detail!.cold)).toBe(2);
  // announced beforehand (POST /api/pool, size 2), the pool held a sandbox for every learner
  expect(byId.get('class-start-announced')!.measured).toMatchObject({ n: 2, fromPool: 2 });
  // capacity: the target (1) and the count past it (2) were held and measured, and the limit is named
  const cap = byId.get('capacity')!;
  expect(cap.measured.sessions).toBe(1);
  expect(cap.measured.mostHeld).toBe(2);
  expect(cap.detail!.stage1).toMatch(/^1\/1 held: echo p99 [\d.]+ ms, check p95 [\d.]+ ms, health p99 [\d.]+ ms; MemAvailable drop -?[\d.]+ MiB per session; threads \d+\/\d+, kernelKeys /);
  expect(cap.detail!.stage2).toMatch(/^2\/2 held: /);
  expect(cap.detail!.limit).toBe('none up to 2 sessions (the largest count asked for)');
  expect(byId.get('replay')!.detail).toMatchObject({ jobs1: expect.stringMatching(/^1 passed, 0 failed/), jobs2: expect.stringMatching(/^1 passed, 0 failed/) });

  const md = readFileSync(join(out, files[1]!), 'utf8');
  for (const f of result.figures) expect(md).toContain(f.what.replace(/\|/g, '\\|'));
  expect(md).toMatch(/Load average at start: [\d.]+, [\d.]+, [\d.]+/);
  expect(md.match(/×\d/g)?.length).toBeGreaterThanOrEqual(9);
  expect(md).toContain('Left behind after the run (Docker objects of this run): none.');
});
