// The restart figure (issue #16): time from "Restart at this step" (POST …/steps/:step/restart) to a
// ready terminal (the first prompt on the new id's WebSocket) at the *last* step of each runnable lab
// of the linux, docker and k8s-by-hand tracks, beside a cold create of the same lab through the same
// API in the same run (interleaved). Each lab is measured as a class would run it: first one restart
// with nothing pooled (a sandbox is created: reported in the details), one more with nothing pooled
// but the confirmation open for CONFIRM_MS (…/restart/prepare, as the web UI calls it: details), then
// the lab is announced to the warm pool (POST /api/pool, size 1, as an instructor would) and the
// restarts take a pooled sandbox, the pool refilled before each. The baseline server has no pool, so its creates are cold.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { api, createSession, endSession, startServer, TermClient, type BenchServer, type Session } from './server.js';
import { ms, round, summary } from './stats.js';
import type { Ctx, Figure } from './types.js';

export const RESTART_TRACKS = ['linux', 'docker', 'k8s-by-hand'];
/** the one lab of a quick run */
export const QUICK_RESTART_LAB = 'netns-veth';
export const RESTART_TARGET_MS = 3000;
/** how long the learner is assumed to read the restart confirmation (the web UI prepares meanwhile) */
export const CONFIRM_MS = 2000;
const PROMPT = /# $/;
const load1 = (): number => Number(loadavg()[0]!.toFixed(2));

/** request → first prompt on the terminal of `host` */
async function toPrompt(server: BenchServer, s: Session, t0: bigint): Promise<number> {
  const term = new TermClient(server, s, s.hosts[0]!);
  try {
    await term.ready();
    await term.waitFor(PROMPT, 60_000);
    return ms(t0);
  } finally {
    term.close();
  }
}

/** the step's checks pass (a solve may need its retry window: polled like a learner pressing Check) */
async function complete(server: BenchServer, s: Session, step: string): Promise<void> {
  const solve = await api<{ ok: boolean; output: string }>(server, 'POST', `/api/sessions/${s.id}/steps/${step}/solve`, { token: s.token });
  if (solve.status !== 200 || !solve.json.ok) throw new Error(`solve of ${step} failed: ${solve.status} ${solve.json?.output?.slice(-300) ?? ''}`);
  const deadline = Date.now() + 90_000;
  for (;;) {
    const c = await api<{ pass: boolean; results: Array<{ id: string; pass: boolean; message: string }> }>(server, 'POST', `/api/sessions/${s.id}/steps/${step}/check`, { token: s.token, body: {} });
    if (c.status === 200 && c.json.pass) return;
    if (Date.now() > deadline) throw new Error(`step ${step} does not pass after its solve: ${JSON.stringify(c.json).slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** the lab's pool has a ready sandbox again (as a learner restarting now and then finds it); false after 3 minutes */
async function poolSettled(server: BenchServer, lab: string, token: string): Promise<boolean> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const r = await api<{ labs: Array<{ lab: string; ready: number }> }>(server, 'GET', '/api/pool', { token });
    if ((r.json.labs.find((l) => l.lab === lab)?.ready ?? 0) > 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** an instructor's announcement: `size` ready sandboxes of `lab` for the next hour (0 ends it) */
async function announce(server: BenchServer, token: string, lab: string, size: number): Promise<void> {
  const r = await api<{ message?: string }>(server, 'POST', '/api/pool', { token, body: { lab, size, until: new Date(Date.now() + 3_600_000).toISOString() } });
  if (r.status !== 200) throw new Error(`announcing ${lab} to the pool failed: ${r.status} ${r.json?.message ?? ''}`);
}

/** POST …/restart at `step` → first prompt on the new id; the session goes on under the new id */
async function restartOnce(server: BenchServer, s: Session, step: string): Promise<{ ms: number; session: Session }> {
  const t0 = process.hrtime.bigint();
  const r: { status: number; json: { id: string; hosts: string[]; message?: string } } = await api(server, 'POST', `/api/sessions/${s.id}/steps/${step}/restart`, { token: s.token });
  if (r.status !== 200) throw new Error(`restart at ${step} failed: ${r.status} ${r.json?.message ?? ''}`);
  const session = { ...s, id: r.json.id, hosts: r.json.hosts };
  return { ms: await toPrompt(server, session, t0), session };
}

/** `only`: these lab ids instead of the tracks' (a targeted re-run) */
export async function restartFigure(ctx: Ctx, only?: string[]): Promise<Figure> {
  const l0 = load1();
  const samples = ctx.quick ? 2 : 3;
  ctx.say('restart: starting a server whose pool fills by announcement only, and one without a pool (baseline)');
  const servers: BenchServer[] = [];
  const token = randomBytes(16).toString('hex');
  try {
    process.env.NETDOJO_OPERATOR_TOKEN = token;
    const srv = await startServer({ dataDir: join(ctx.tmp, 'restart'), labs: [ctx.labsDir], scope: `${ctx.scopePrefix}-restart`, args: ['--pool', '0'] }).finally(
      () => delete process.env.NETDOJO_OPERATOR_TOKEN,
    );
    servers.push(srv);
    const cold = await startServer({ dataDir: join(ctx.tmp, 'restart-cold'), labs: [ctx.labsDir], scope: `${ctx.scopePrefix}-restart-cold`, args: ['--pool', '0'] });
    servers.push(cold);
    const all = (await api<Array<{ id: string; track: string; available: boolean; unavailableReason?: string }>>(srv, 'GET', '/api/labs')).json;
    const inTracks = all.filter((l) => RESTART_TRACKS.includes(l.track));
    const labs = only ? all.filter((l) => only.includes(l.id)) : ctx.quick ? inTracks.filter((l) => l.id === QUICK_RESTART_LAB) : inTracks;
    const skipped = labs.filter((l) => !l.available).map((l) => `${l.id} (${l.unavailableReason ?? 'unavailable'})`);
    const restarts: number[] = [];
    const unpooled: number[] = [];
    const prepared: number[] = [];
    const base: number[] = [];
    const perLab: Record<string, string> = {};
    const failed: string[] = [];
    let pooledRestarts = 0;
    for (const lab of labs.filter((l) => l.available)) {
      const steps = (await api<{ steps: Array<{ id: string }> }>(srv, 'GET', `/api/labs/${lab.id}`)).json.steps.map((s) => s.id);
      const last = steps.at(-1)!;
      let s: Session | undefined;
      const mine: number[] = [];
      const theirs: number[] = [];
      try {
        s = await createSession(srv, lab.id);
        for (const step of steps.slice(0, -1)) await complete(srv, s, step);
        // nothing pooled: the restart creates its sandbox
        const first = await restartOnce(srv, s, last);
        s = first.session;
        unpooled.push(first.ms);
        // still nothing pooled, but the confirmation was open for CONFIRM_MS (…/restart/prepare, as the web UI does)
        const prep = await api(srv, 'POST', `/api/sessions/${s.id}/steps/${last}/restart/prepare`, { token: s.token });
        if (prep.status !== 202) throw new Error(`prepare at ${last} failed: ${prep.status}`);
        await new Promise((r) => setTimeout(r, CONFIRM_MS));
        const confirmed = await restartOnce(srv, s, last);
        s = confirmed.session;
        prepared.push(confirmed.ms);
        await announce(srv, token, lab.id, 1);
        for (let i = 0; i < samples; i++) {
          if (await poolSettled(srv, lab.id, token)) pooledRestarts++;
          const r = await restartOnce(srv, s, last);
          s = r.session;
          mine.push(r.ms);
          const t1 = process.hrtime.bigint();
          const c = await createSession(cold, lab.id);
          theirs.push(await toPrompt(cold, c, t1));
          await endSession(cold, c);
          ctx.say(`restart ${lab.id} at ${last} ${i + 1}/${samples}: ${mine.at(-1)!.toFixed(0)} ms (cold create ${theirs.at(-1)!.toFixed(0)} ms; unpooled restart ${first.ms.toFixed(0)} ms)`);
        }
        const m = summary(mine);
        const b = summary(theirs);
        perLab[lab.id] = `p50 ${m.p50} ms, max ${m.max} ms (unpooled restart ${round(first.ms)} ms; unpooled, prepared during a ${CONFIRM_MS / 1000} s confirmation ${round(confirmed.ms)} ms; cold create p50 ${b.p50} ms)`;
        restarts.push(...mine);
        base.push(...theirs);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        failed.push(`${lab.id}: ${why}`);
        perLab[lab.id] = `failed: ${why.slice(0, 200)}`;
        ctx.say(`restart ${lab.id}: FAILED: ${why}`);
      } finally {
        if (s) await endSession(srv, s).catch(() => undefined);
        await announce(srv, token, lab.id, 0).catch(() => undefined);
      }
    }
    const m = summary(restarts);
    const b = summary(base);
    const u = summary(unpooled);
    const p = summary(prepared);
    const measured = { p50: m.p50, max: m.max, n: m.n };
    const baseline = { p50: b.p50, max: b.max, n: b.n };
    const slow = Object.entries(perLab).filter(([, v]) => /max (\d+(\.\d+)?) ms/.test(v) && Number(/max (\d+(?:\.\d+)?) ms/.exec(v)![1]) > RESTART_TARGET_MS);
    const meets = restarts.length > 0 && failed.length === 0 && m.max <= RESTART_TARGET_MS;
    return {
      id: 'restart',
      what: `restart at the last step (POST …/steps/:last/restart → first prompt on the new id's WebSocket), ${ctx.quick ? `lab ${QUICK_RESTART_LAB}` : `every runnable lab of ${RESTART_TRACKS.join(', ')}`}, ${samples} each, the lab announced to the warm pool (size 1, refilled before each)`,
      unit: 'ms',
      measured,
      baseline: { what: 'cold create of the same lab through the same API (POST /api/sessions → first prompt), server without a pool, interleaved', measured: baseline },
      ratio: b.p50 ? { p50: round(m.p50 / b.p50, 2) } : {},
      detail: {
        ...perLab,
        restartsFromPool: pooledRestarts,
        unpooledRestartP50: u.p50,
        unpooledRestartMax: u.max,
        preparedRestartP50: p.p50,
        preparedRestartMax: p.max,
        ...(skipped.length ? { skipped: skipped.join('; ') } : {}),
      },
      target: `≤ ${RESTART_TARGET_MS} ms for every lab of ${RESTART_TRACKS.join(', ')}`,
      meets,
      ...(meets
        ? {}
        : {
            why: [
              failed.length ? `failed: ${failed.join('; ')}` : '',
              slow.length ? `over ${RESTART_TARGET_MS} ms: ${slow.map(([lab, v]) => `${lab} (${v})`).join('; ')}` : '',
              pooledRestarts < restarts.length ? `${restarts.length - pooledRestarts} restart(s) found the pool not refilled within 3 minutes and created a sandbox` : '',
              `load average ${l0}→${load1()}`,
            ]
              .filter(Boolean)
              .join('; '),
          }),
      load: [l0, load1()],
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  }
}
