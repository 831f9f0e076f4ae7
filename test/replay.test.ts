// Replay with real Docker sandboxes: the catalog's netns labs go green with every check failing
// before its solve; broken labs fail with the step and check named; unmet requirements skip;
// nothing is left behind, even when a solve fails.
import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLabs } from '../server/src/labs/loader.js';
import type { LoadedLab } from '../server/src/labs/schema.js';
import { activeSessions, destroyActive } from '../server/src/runner/cleanup.js';
import { replayMany } from '../server/src/runner/replay.js';
import { toJUnit } from '../server/src/runner/report-junit.js';
import type { LabRun, ReplayEvent, ReplaySummary } from '../server/src/runner/types.js';
import { defaultProviders } from '../server/src/sandbox/registry.js';
import type { Provider } from '../server/src/sandbox/types.js';

const FIXTURES = 'test/fixtures/replay';

async function load(...paths: string[]): Promise<LoadedLab[]> {
  const { labs, problems } = await loadLabs(paths);
  const errors = problems.filter((p) => p.severity === 'error');
  expect(errors).toEqual([]);
  return labs;
}

/** Docker objects still labelled with the session (independent of the provider's own leftovers()). */
function dockerObjects(sessionId: string): string[] {
  const filter = `label=netdojo.session=${sessionId}`;
  const ls = (...args: string[]) => execFileSync('docker', [...args, '-q', '--filter', filter], { encoding: 'utf8' }).split('\n').filter(Boolean);
  return [...ls('ps', '-a'), ...ls('network', 'ls'), ...ls('volume', 'ls')];
}

let docker: Provider;
const providers = defaultProviders();
const byId = (s: ReplaySummary, id: string): LabRun => {
  const r = s.labs.find((l) => l.id === id);
  if (!r) throw new Error(`no result for ${id}`);
  return r;
};

beforeAll(async () => {
  docker = await providers.get('docker');
});

afterAll(async () => {
  // a failed assertion must not leak sandboxes
  if (activeSessions().length) await destroyActive();
});

describe('replay of the netns labs', () => {
  let summary: ReplaySummary;
  let declared: { checks: number; steps: number; variants: number };
  const events: ReplayEvent[] = [];

  beforeAll(async () => {
    const labs = await load('labs/linux/netns-veth', 'labs/linux/netns-bridge');
    const steps = labs.flatMap((l) => l.lab.steps);
    declared = {
      checks: steps.reduce((n, st) => n + st.checks.length, 0),
      steps: steps.length,
      variants: steps.reduce((n, st) => n + st.nearMisses.length + st.alternatives.length, 0),
    };
    // their near-misses and alternatives are proven by test/labs/linux-docker.test.ts; here, the base replay
    summary = await replayMany(labs, { provider: providers, jobs: 2, variants: false, onEvent: (e) => events.push(e), handleSignals: false });
  }, 600_000);

  it('both labs pass', () => {
    for (const lab of summary.labs) expect({ id: lab.id, status: lab.status, reason: lab.reason }).toEqual({ id: lab.id, status: 'passed', reason: undefined });
    expect(summary).toMatchObject({ passed: 2, failed: 0, skipped: 0 });
  });

  it('every check failed before its solve and passed after it', () => {
    for (const lab of summary.labs) {
      expect(lab.steps.length).toBeGreaterThan(2);
      for (const step of lab.steps) {
        for (const c of step.checks) {
          // a guard (passesBeforeSolve) may pass before; every other check must fail first
          expect({ check: `${lab.id}/${step.id}/${c.id}`, before: c.before?.pass, after: c.after?.pass, status: c.status }).toEqual({
            check: `${lab.id}/${step.id}/${c.id}`,
            before: c.passesBeforeSolve ? c.before?.pass : false,
            after: true,
            status: 'passed',
          });
        }
      }
    }
  });

  it('every step\'s solve ran twice, and no variant ran when variants are off', () => {
    for (const lab of summary.labs) for (const step of lab.steps) expect([step.id, step.again?.status]).toEqual([step.id, expect.stringMatching(/^(passed|skipped)$/)]);
    expect(declared.variants).toBeGreaterThan(10);
    expect(summary.labs.flatMap((l) => l.variants)).toHaveLength(0);
  });

  it('the JUnit report has a testcase per check showing before=FAIL and after=PASS', () => {
    const xml = toJUnit(summary);
    const checks = summary.labs.flatMap((l) => l.steps.flatMap((s) => s.checks.map((c) => ({ lab: l.id, name: `${s.id}/${c.id}`, guard: c.passesBeforeSolve }))));
    expect(checks.length).toBe(declared.checks);
    expect(checks.length).toBeGreaterThan(15);
    for (const { lab, name, guard } of checks) {
      const m = new RegExp(`<testcase classname="${lab}" name="${name}" time="[\\d.]+"><system-out>([^<]*)</system-out></testcase>`).exec(xml);
      expect(m, `${lab} ${name}`).not.toBeNull();
      // the reasons may span lines (a failing command's output)
      expect(m![1]).toMatch(guard ? /^before solve: (PASS|FAIL) \([\s\S]+\nafter solve: PASS \(/ : /^before solve: FAIL \([\s\S]+\nafter solve: PASS \(/);
    }
    expect(xml).toContain('<testcase classname="netns-bridge" name="forward-policy/red-to-blue"');
    expect(xml).toMatch(/forward-policy\/red-to-blue" time="[\d.]+"><system-out>before solve: FAIL \(no reply from 192\.168\.15\.2 on host \(netns red\)/);
    // a case per check, per second solve (skipped where repeatable: false), per sandbox
    const repeatSkipped = summary.labs.flatMap((l) => l.steps).filter((st) => st.again?.status === 'skipped').length;
    const tests = declared.checks + declared.steps + 2;
    expect(xml).toMatch(new RegExp(`<testsuites name="netdojo replay" tests="${tests}" failures="0" errors="0" skipped="${repeatSkipped}"`));
  });

  it('reported progress and left nothing behind', () => {
    expect(events.filter((e) => e.type === 'lab-end')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'check')).toHaveLength(2 * declared.checks);
    for (const lab of summary.labs) {
      expect(lab.leftovers).toEqual([]);
      expect(dockerObjects(lab.sessionId!)).toEqual([]);
    }
  });
});

describe('replay of broken, unrunnable and multi-host labs', () => {
  let summary: ReplaySummary;

  beforeAll(async () => {
    const labs = await load(FIXTURES);
    expect(labs.map((l) => l.lab.id).sort()).toEqual(['early-pass', 'kind-only', 'needs-kernel', 'solve-fails', 'two-hosts']);
    summary = await replayMany(labs, { provider: providers, jobs: 2, handleSignals: false });
  }, 900_000);

  it('a check that passes before its solve fails the lab, naming the step and the check', () => {
    const r = byId(summary, 'early-pass');
    expect(r.status).toBe('failed');
    expect(r.reason).toMatch(/^step connect, check loopback: passed before the solve — it proves nothing \(host: lo type device state UP/);
    const loopback = r.steps[0]!.checks.find((c) => c.id === 'loopback')!;
    expect(loopback).toMatchObject({ status: 'failed', before: { pass: true }, after: { pass: true } });
    expect(r.steps[0]!.checks.find((c) => c.id === 'red-exists')).toMatchObject({ status: 'passed', before: { pass: false }, after: { pass: true } });
    const xml = toJUnit(summary);
    expect(xml).toMatch(/<testcase classname="early-pass" name="connect\/loopback" time="[\d.]+"><failure message="step connect, check loopback: passed before the solve — it proves nothing/);
  });

  it('labs whose requirements are unmet are skipped with the reason', () => {
    expect(byId(summary, 'needs-kernel')).toMatchObject({ status: 'skipped', steps: [] });
    expect(byId(summary, 'needs-kernel').reason).toMatch(/^requires kernel:nonexistent: .+/);
    expect(byId(summary, 'kind-only').status).toBe('skipped');
    expect(byId(summary, 'kind-only').reason).toMatch(/kind/);
    expect(summary.skipped).toBe(2);
    const xml = toJUnit(summary);
    expect(xml).toMatch(/<testcase classname="needs-kernel" name="replay" time="0.000"><skipped message="requires kernel:nonexistent: [^"]+"\/><\/testcase>/);
  });

  it('a failing solve fails the lab and the sandbox is still torn down', () => {
    const r = byId(summary, 'solve-fails');
    expect(r.status).toBe('failed');
    expect(r.reason).toMatch(/^step broken: solve failed: `ip link add veth-a type veth peer name veth-b … \(\+1 lines\)` on host: exit \d+: Error: argument "no-such-bridge" is wrong: Device does not exist$/);
    expect(r.steps[0]!.checks[0]).toMatchObject({ status: 'not-run', before: { pass: false } });
    expect(r.leftovers).toEqual([]);
    expect(r.sessionId).toMatch(/^replay-[0-9a-f]+$/);
    expect(dockerObjects(r.sessionId!)).toEqual([]);
  });

  it('a two-host, two-network lab replays green with no code change', () => {
    const r = byId(summary, 'two-hosts');
    expect({ status: r.status, reason: r.reason }).toEqual({ status: 'passed', reason: undefined });
    const [route, firewall] = r.steps;
    expect(route!.checks.map((c) => [c.id, c.before?.pass, c.after?.pass])).toEqual([
      ['server-back-address', true, true],
      ['client-route', false, true],
      ['ping-back', false, true],
    ]);
    expect(firewall!.checks.map((c) => [c.id, c.before?.pass, c.after?.pass])).toEqual([
      ['drop-rule', false, true],
      ['no-reply', false, true],
      ['counted', false, true],
    ]);
    expect(dockerObjects(r.sessionId!)).toEqual([]);
  });

  it('counts', () => {
    expect(summary).toMatchObject({ passed: 1, failed: 2, skipped: 2 });
  });
});

describe('netdojo replay on SIGINT', () => {
  it('removes the sandbox it is replaying in before it exits', async () => {
    const child = spawn(process.execPath, ['bin/netdojo.mjs', 'replay', 'labs/linux/netns-veth', '--jobs', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let session: string | undefined;
    try {
      // interrupt once the sandbox exists and a step is under way
      for (let i = 0; i < 720 && !/before solve/.test(out); i++) await new Promise((r) => setTimeout(r, 250));
      session = /sandbox (replay-[0-9a-f]+) ready/.exec(out)?.[1];
      expect(session, out).toBeDefined();
      expect(dockerObjects(session!).length).toBeGreaterThan(0);
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(out).toContain(`removed sandbox ${session}`);
      expect(dockerObjects(session!)).toEqual([]);
    } finally {
      // an interrupted replay removes its sandbox itself; SIGKILL only if it does not exit
      if (child.exitCode === null) child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 160_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      if (session) await docker.destroy({ provider: 'docker', sessionId: session, labId: 'netns-veth' });
    }
  }, 600_000); // sandboxes take minutes to start and stop when the machine is loaded
});
