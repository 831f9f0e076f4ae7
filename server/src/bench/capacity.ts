// How many sessions one machine holds, and what breaks first: idle sessions (a terminal open each)
// are added up to each count of `counts.capacity` in turn while one probe learner's keystroke echo,
// Check and GET /api/health are measured; the probe's figures before the crowd are the baseline.
// The first count is the target; past it the figure goes on until a session cannot be made (that
// error is the limit met), a probe target is missed, or the time budget is spent. Every session it
// made is ended on the way out, failure included (run.ts sweeps what an interrupt leaves).
import pLimit from 'p-limit';
import { hostLimits, limitOf, memAvailableKiB } from './host.js';
import { api, createSession, endSession, TermClient, type BenchServer, type Session } from './server.js';
import { ms, round, summary } from './stats.js';
import type { Ctx, Figure } from './types.js';

const PROMPT = /# $/;
const STEPS = ['create-namespaces', 'veth-pair', 'address-red'];
const CHECK_STEP = 'address-red';

interface Probe {
  echoP99: number;
  checkP95: number;
  healthP99: number;
}

async function echoOnce(term: TermClient, c: string): Promise<number> {
  return new Promise((ok) => {
    const t0 = process.hrtime.bigint();
    const off = term.onData((b) => {
      if (b.toString('latin1').includes(c)) {
        off();
        ok(ms(t0));
      }
    });
    term.type(c);
  });
}

async function measureProbe(ctx: Ctx, server: BenchServer, probe: Session, term: TermClient): Promise<Probe> {
  const echo: number[] = [];
  const n = ctx.quick ? 20 : 200;
  for (let i = 0; i < n; i++) {
    echo.push(await echoOnce(term, String.fromCharCode(97 + (i % 26))));
    if (i % 40 === 39) term.type('\x15');
  }
  term.type('\x15');
  const check: number[] = [];
  for (let i = 0; i < (ctx.quick ? 3 : 20); i++) {
    const t0 = process.hrtime.bigint();
    const r = await api(server, 'POST', `/api/sessions/${probe.id}/steps/${CHECK_STEP}/check`, { token: probe.token, body: {} });
    check.push(ms(t0));
    if (r.status !== 200 || !r.json.pass) throw new Error(`the probe's check of ${CHECK_STEP} did not pass: ${JSON.stringify(r.json).slice(0, 300)}`);
  }
  const health: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const h = await api(server, 'GET', '/api/health');
    health.push(ms(t0));
    if (h.status !== 200) throw new Error(`GET /api/health answered ${h.status}`);
  }
  return { echoP99: summary(echo).p99, checkP95: summary(check).p95, healthP99: summary(health).p99 };
}

export async function capacityFigure(ctx: Ctx, server: BenchServer, lab: string): Promise<Figure> {
  const counts = ctx.counts.capacity;
  const budgetMs = ctx.quick ? 180_000 : 15 * 60_000;
  const started = Date.now();
  // stop adding sessions with time left to measure and to end them all within the budget
  const stopAddingAt = started + budgetMs * (ctx.quick ? 0.8 : 0.68);
  const l0 = Number((await import('node:os')).loadavg()[0]!.toFixed(2));
  const held: Array<{ s: Session; term: TermClient }> = [];
  const stages: string[] = [];
  let limit: string | undefined;
  let firstMiss: string | undefined;
  let prompted = 0;
  let atTarget: (Probe & { sessions: number }) | undefined;
  let probe: Session | undefined;
  let probeTerm: TermClient | undefined;
  // the host's available memory before the crowd: its drop per session at each count (a larger-N view of host-cost)
  const mem0 = await memAvailableKiB();
  try {
    probe = await createSession(server, lab);
    for (const step of STEPS) {
      // a step is complete (and the next one open) once its check passes
      const r = await api(server, 'POST', `/api/sessions/${probe.id}/steps/${step}/solve`, { token: probe.token });
      if (r.status !== 200 || !r.json.ok) throw new Error(`solving ${step} in the probe session failed: ${JSON.stringify(r.json).slice(0, 300)}`);
      const c = await api(server, 'POST', `/api/sessions/${probe.id}/steps/${step}/check`, { token: probe.token, body: {} });
      if (c.status !== 200 || !c.json.pass) throw new Error(`checking ${step} in the probe session after its solve failed: ${JSON.stringify(c.json).slice(0, 300)}`);
    }
    probeTerm = new TermClient(server, probe, probe.hosts[0]!);
    await probeTerm.ready();
    await probeTerm.waitFor(PROMPT);
    const idle = await measureProbe(ctx, server, probe, probeTerm);
    ctx.say(`capacity: idle probe echo p99 ${idle.echoP99} ms, check p95 ${idle.checkP95} ms, health p99 ${idle.healthP99} ms`);
    // three at a time: the engine, not the CPU, is what a creation waits on most of its time
    const three = pLimit(3);
    for (const want of counts) {
      let failure: string | undefined;
      await Promise.all(
        Array.from({ length: Math.max(0, want - held.length) }, () =>
          three(async () => {
            if (failure || Date.now() > stopAddingAt) return;
            try {
              const s = await createSession(server, lab);
              const term = new TermClient(server, s, s.hosts[0]!);
              held.push({ s, term });
              await term.ready();
              await term.waitFor(PROMPT);
              if (++prompted % 50 === 0) ctx.say(`capacity: ${prompted} idle sessions with a terminal open (${Math.round((Date.now() - started) / 1000)} s)`);
            } catch (err) {
              failure ??= err instanceof Error ? err.message : String(err);
            }
          }),
        ),
      );
      const p = await measureProbe(ctx, server, probe, probeTerm);
      const host = await hostLimits();
      const dropPerSession = (mem0 - (await memAvailableKiB())) / 1024 / Math.max(1, held.length + 1);
      const misses: string[] = [];
      if (p.echoP99 > 10) misses.push(`echo p99 ${p.echoP99} ms > 10 ms`);
      if (p.checkP95 > 2 * idle.checkP95) misses.push(`check p95 ${p.checkP95} ms > 2× idle (${idle.checkP95} ms)`);
      if (p.healthP99 > 100) misses.push(`health p99 ${p.healthP99} ms > 100 ms`);
      stages.push(
        `${held.length}/${want} held: echo p99 ${p.echoP99} ms, check p95 ${p.checkP95} ms, health p99 ${p.healthP99} ms; MemAvailable drop ${round(dropPerSession, 1)} MiB per session; ${Object.entries(host).map(([k, v]) => `${k} ${v}`).join(', ')}${misses.length ? ` — MISSED ${misses.join(', ')}` : ''}`,
      );
      ctx.say(`capacity: ${stages.at(-1)}`);
      if (want === counts[0]) atTarget = { ...p, sessions: held.length };
      if (failure) {
        limit = `${limitOf(failure)} at ${held.length + 1} sessions: ${failure}`;
        break;
      }
      if (held.length < want) {
        limit = `time budget (${budgetMs / 60_000} min for the figure) spent at ${held.length} sessions; no limit met before it`;
        break;
      }
      // a missed probe target is reported, and the count goes on to find the limit that stops sessions
      if (misses.length) firstMiss ??= `at ${held.length} sessions: ${misses.join(', ')}`;
    }
    limit ??= `none up to ${held.length} sessions (the largest count asked for)`;
    const t = atTarget ?? { echoP99: NaN, checkP95: NaN, healthP99: NaN, sessions: held.length };
    const measured = { sessions: t.sessions, echoP99: t.echoP99, checkP95: t.checkP95, healthP99: t.healthP99, mostHeld: held.length };
    const baseline = { echoP99: idle.echoP99, checkP95: idle.checkP95, healthP99: idle.healthP99 };
    const meets = t.sessions >= counts[0]! && t.echoP99 <= 10 && t.checkP95 <= 2 * idle.checkP95 && t.healthP99 <= 100;
    return {
      id: 'capacity',
      what: `capacity: idle ${lab} sessions (a terminal open each) held at ${counts.join(', then ')} while a probe learner's echo, Check (${CHECK_STEP}) and GET /api/health are measured; the first limit met past the target`,
      unit: 'ms',
      measured,
      baseline: { what: 'the same probe before the crowd (one session)', measured: baseline },
      ratio: Object.fromEntries((['echoP99', 'checkP95', 'healthP99'] as const).filter((k) => baseline[k] > 0 && Number.isFinite(t[k])).map((k) => [k, round(t[k] / baseline[k], 2)])),
      detail: { limit, firstProbeMiss: firstMiss ?? 'none', ...Object.fromEntries(stages.map((s, i) => [`stage${i + 1}`, s])), seconds: Math.round((Date.now() - started) / 1000) },
      target: `${counts[0]} sessions with echo p99 ≤ 10 ms, Check p95 ≤ 2× idle, health p99 ≤ 100 ms`,
      meets,
      ...(meets ? {} : { why: `at the target: ${stages[0] ?? 'not reached'}; limit: ${limit}` }),
      load: [l0, Number((await import('node:os')).loadavg()[0]!.toFixed(2))],
    };
  } finally {
    ctx.say(`capacity: ending ${held.length + (probe ? 1 : 0)} sessions`);
    probeTerm?.close();
    const four = pLimit(4);
    await Promise.all(
      [...held.map((h) => ({ s: h.s, term: h.term as TermClient | undefined })), ...(probe ? [{ s: probe, term: undefined }] : [])].map((h) =>
        four(async () => {
          h.term?.close();
          await endSession(server, h.s).catch(() => undefined);
        }),
      ),
    );
  }
}
