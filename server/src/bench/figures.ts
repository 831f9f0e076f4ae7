// The measurements of DESIGN §8, each beside its baseline taken in the same run (interleaved, so
// that the noise of a shared machine hits both alike).
import { cpus, loadavg } from 'node:os';
import { execa } from 'execa';
import Docker from 'dockerode';
import { readFile } from 'node:fs/promises';
import { DEFAULT_IMAGE } from '../images/catalog.js';
import { api, createSession, endSession, TermClient, type BenchServer, type Session } from './server.js';
import { ms, round, summary } from './stats.js';
import type { Ctx, Figure } from './types.js';

export const BENCH_LAB = 'netns-veth';
const PROMPT = /# $/;
const docker = new Docker();
const load1 = (): number => Number(loadavg()[0]!.toFixed(2));

function ratios(a: Record<string, number>, b: Record<string, number>, keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) if (a[k] !== undefined && b[k] !== undefined && b[k] !== 0) out[k] = round(a[k] / b[k], 2);
  return out;
}

async function containerOf(sessionId: string): Promise<string> {
  const [c] = await docker.listContainers({ filters: { label: [`netdojo.session=${sessionId}`] } });
  if (!c) throw new Error(`no container for session ${sessionId}`);
  return c.Id;
}

/** `docker run -d` + `docker exec true` of the sandbox image: what a sandbox cannot beat */
async function dockerRunBaseline(ctx: Ctx): Promise<number> {
  const t0 = process.hrtime.bigint();
  const id = (await execa('docker', ['run', '-d', '--network', 'none', '--label', `netdojo.scope=${ctx.scopePrefix}-base`, '--label', `netdojo.bench=${ctx.runId}`, DEFAULT_IMAGE])).stdout.trim();
  try {
    await execa('docker', ['exec', id, 'true']);
    return ms(t0);
  } finally {
    await execa('docker', ['rm', '-f', id]).catch(() => undefined);
  }
}

/** API call → first byte of the shell's prompt on the WebSocket */
async function sessionReady(server: BenchServer, lab: string): Promise<{ total: number; api: number; session: Session }> {
  const t0 = process.hrtime.bigint();
  const session = await createSession(server, lab);
  const apiMs = ms(t0);
  let total = 0;
  const term = new TermClient(server, session, session.hosts[0]!, () => (total = ms(t0)));
  await term.ready();
  await term.waitFor(/./s, 60_000);
  await term.waitFor(PROMPT, 60_000);
  term.close();
  return { total, api: apiMs, session };
}

export async function readyFigure(ctx: Ctx, server: BenchServer, mode: 'cold' | 'warm', waitPool?: () => Promise<void>): Promise<Figure> {
  const l0 = load1();
  const n = ctx.counts.ready;
  const totals: number[] = [];
  const apis: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < n; i++) {
    if (waitPool) await waitPool();
    base.push(await dockerRunBaseline(ctx));
    const r = await sessionReady(server, BENCH_LAB);
    totals.push(r.total);
    apis.push(r.api);
    await endSession(server, r.session);
    ctx.say(`session ready (${mode}) ${i + 1}/${n}: ${r.total.toFixed(0)} ms (baseline ${base.at(-1)!.toFixed(0)} ms)`);
  }
  const m = summary(totals);
  const b = summary(base);
  const measured = { p50: m.p50, p95: m.p95, n: m.n };
  const baseline = { p50: b.p50, p95: b.p95, n: b.n };
  const limit = mode === 'warm' ? 150 : 2000;
  const meets = m.p50 <= limit;
  const apiP50 = summary(apis).p50;
  return {
    id: `session-ready-${mode}`,
    what: `session ready, ${mode === 'warm' ? 'from the warm pool' : 'cold (no pool)'}: POST /api/sessions → first prompt byte on the WebSocket (lab ${BENCH_LAB})`,
    unit: 'ms',
    measured,
    baseline: { what: '`docker run -d` + `docker exec true` of the same image', measured: baseline },
    ratio: ratios(measured, baseline, ['p50', 'p95']),
    detail: { apiP50: apiP50, terminalP50: round(m.p50 - apiP50) },
    target: `p50 ≤ ${limit} ms`,
    meets,
    ...(meets
      ? {}
      : {
          why: `p50 ${m.p50} ms = POST ${apiP50} ms + terminal ${round(m.p50 - apiP50)} ms; the plain \`docker run\`+\`exec\` baseline took ${b.p50} ms in the same run (load average ${l0}→${load1()} on ${ctxCpus()} cores)`,
        }),
    load: [l0, load1()],
  };
}

/** re-attached shells replay old output: ask for a new prompt and wait for it */
async function freshPrompt(term: TermClient): Promise<void> {
  term.tail = '';
  const p = term.waitFor(PROMPT);
  term.type('\x15\r');
  await p;
}

const ctxCpus = (): number => cpus().length;

/** keystroke → echo, over the WebSocket and through a local pty with cat, interleaved in blocks */
export async function echoFigure(ctx: Ctx, server: BenchServer, session: Session): Promise<Figure> {
  const l0 = load1();
  const pty = await import('node-pty');
  const local = pty.spawn('cat', [], { name: 'xterm', cols: 80, rows: 24 });
  const term = new TermClient(server, session, session.hosts[0]!);
  await term.ready();
  await term.waitFor(PROMPT);
  const once = (send: (c: string) => void, on: (fn: (d: string) => void) => () => void, c: string) =>
    new Promise<number>((ok) => {
      const t0 = process.hrtime.bigint();
      const off = on((d) => {
        if (d.includes(c)) {
          off();
          ok(ms(t0));
        }
      });
      send(c);
    });
  const wsOn = (fn: (d: string) => void) => term.onData((b) => fn(b.toString('latin1')));
  const ptyOn = (fn: (d: string) => void) => {
    const sub = local.onData(fn);
    return () => sub.dispose();
  };
  const ws: number[] = [];
  const base: number[] = [];
  const n = ctx.counts.echo;
  const block = 50;
  try {
    for (let i = 0; i < n; ) {
      const k = Math.min(block, n - i);
      for (let j = 0; j < k; j++) {
        const c = String.fromCharCode(97 + ((i + j) % 26));
        ws.push(await once((s) => term.type(s), wsOn, c));
        base.push(await once((s) => local.write(s), ptyOn, c));
      }
      i += k;
      // clear the typed line (^U) in both, and let the redraw pass
      term.type('\x15');
      local.write('\x15');
      await new Promise((r) => setTimeout(r, 30));
      if (i % 250 === 0 || i === n) ctx.say(`terminal echo ${i}/${n}`);
    }
  } finally {
    local.kill();
    term.close();
  }
  const m = summary(ws);
  const b = summary(base);
  const measured = { p50: m.p50, p99: m.p99, n: m.n };
  const baseline = { p50: b.p50, p99: b.p99, n: b.n };
  const meets = m.p50 <= 5 && m.p99 <= 20;
  return {
    id: 'terminal-echo',
    what: 'terminal echo: keystroke → echoed byte over the WebSocket (bash readline in the sandbox)',
    unit: 'ms',
    measured,
    baseline: { what: 'the same through a local pty (node-pty + cat), no network, no Docker', measured: baseline },
    ratio: ratios(measured, baseline, ['p50', 'p99']),
    detail: { max: m.max },
    target: 'p50 ≤ 5 ms, p99 ≤ 20 ms',
    meets,
    ...(meets ? {} : { why: `p50 ${m.p50} ms, p99 ${m.p99} ms (max ${m.max} ms) against ${b.p50}/${b.p99} ms locally; load average ${l0}→${load1()}` }),
    load: [l0, load1()],
  };
}

/** base64 of N MiB of zeros, to a WebSocket client that acks like xterm.js; baseline: docker exec to /dev/null */
export async function throughputFigure(ctx: Ctx, server: BenchServer, session: Session): Promise<Figure> {
  const l0 = load1();
  const mib = ctx.counts.throughputMiB;
  const cmd = `head -c ${mib}M /dev/zero | base64`;
  const raw = Math.ceil((mib * 1024 * 1024) / 3) * 4;
  const bytes = raw + Math.ceil(raw / 76);
  const container = await containerOf(session.id);
  const term = new TermClient(server, session, session.hosts[0]!);
  await term.ready();
  await freshPrompt(term);
  const runs: Array<{ mbs: number; rssMiB: number }> = [];
  const baseRuns: number[] = [];
  const ttyRuns: number[] = [];
  const reps = ctx.quick ? 1 : 2;
  try {
    for (let rep = 0; rep < reps; rep++) {
      // baseline: the same command through `docker exec`, output to /dev/null
      const tb = process.hrtime.bigint();
      await execa('docker', ['exec', container, 'sh', '-c', cmd], { stdout: 'ignore', stderr: 'ignore' });
      baseRuns.push(bytes / 1e6 / (ms(tb) / 1000));
      // the same with a TTY (what a terminal has): tells how much the pty itself costs
      const tt = process.hrtime.bigint();
      await execa('docker', ['exec', '-t', container, 'sh', '-c', cmd], { stdout: 'ignore', stderr: 'ignore', stdin: 'ignore' });
      ttyRuns.push(bytes / 1e6 / (ms(tt) / 1000));

      const rss0 = server.rssKiB();
      let peak = rss0;
      const sampler = setInterval(() => (peak = Math.max(peak, server.rssKiB())), 50);
      const before = term.received;
      const t0 = process.hrtime.bigint();
      const done = term.waitFor(/BENCHDONE/, 600_000);
      term.type(`${cmd}; echo BENCH""DONE\r`);
      await done;
      const secs = ms(t0) / 1000;
      clearInterval(sampler);
      peak = Math.max(peak, server.rssKiB());
      const got = term.received - before;
      runs.push({ mbs: got / 1e6 / secs, rssMiB: (peak - rss0) / 1024 });
      ctx.say(`terminal throughput ${rep + 1}/${reps}: ${(got / 1e6 / secs).toFixed(1)} MB/s over the WebSocket, ${baseRuns.at(-1)!.toFixed(1)} MB/s via docker exec; server RSS +${((peak - rss0) / 1024).toFixed(1)} MiB`);
      await freshPrompt(term);
    }
  } finally {
    term.close();
  }
  const mbs = round(Math.min(...runs.map((r) => r.mbs)), 1);
  const rssGrowth = round(Math.max(...runs.map((r) => r.rssMiB)), 1);
  const baseMbs = round(Math.min(...baseRuns), 1);
  const measured = { MBps: mbs, serverRssGrowthMiB: rssGrowth };
  const meets = mbs >= 50 && rssGrowth <= 64;
  return {
    id: 'terminal-throughput',
    what: `terminal throughput: \`${cmd}\` (${(bytes / 1e6).toFixed(0)} MB of output) to a WebSocket client that acks as it goes (worst of ${reps})`,
    unit: 'MB/s',
    measured,
    baseline: { what: 'the same command with `docker exec`, output to /dev/null', measured: { MBps: baseMbs } },
    ratio: ratios(measured, { MBps: baseMbs }, ['MBps']),
    detail: {
      bestMBps: round(Math.max(...runs.map((r) => r.mbs)), 1),
      bestBaselineMBps: round(Math.max(...baseRuns), 1),
      dockerExecWithTtyMBps: round(Math.min(...ttyRuns), 1),
    },
    target: '≥ 50 MB/s with bounded server memory (RSS growth ≤ 64 MiB)',
    meets,
    ...(meets
      ? {}
      : {
          why: `${mbs} MB/s (server RSS +${rssGrowth} MiB) against ${baseMbs} MB/s for plain docker exec and ${round(Math.min(...ttyRuns), 1)} MB/s for \`docker exec -t\` (through a pty, as a terminal) on the same engine; load average ${l0}→${load1()}`,
        }),
    load: [l0, load1()],
  };
}

/** the equivalent of netns-veth's address-red checks (link + route), as one shell test */
const CHECK_BASELINE = `ip netns exec red sh -c 'ip -o addr show dev veth-red | grep -q "inet 192.168.15.1/24" && ip link show dev veth-red | grep -q "[<,]UP[,>]" && ip route show 192.168.15.0/24 | grep -q "dev veth-red proto kernel"'`;
const CHECK_STEP = 'address-red';

export async function checkFigure(ctx: Ctx, server: BenchServer, session: Session): Promise<Figure> {
  const l0 = load1();
  const post = (step: string, what: 'check' | 'solve') => api(server, 'POST', `/api/sessions/${session.id}/steps/${step}/${what}`, { token: session.token, body: {} });
  for (const step of ['create-namespaces', 'veth-pair', CHECK_STEP]) {
    const s = await post(step, 'solve');
    if (s.status !== 200 || !s.json.ok) throw new Error(`solving ${step} failed: ${JSON.stringify(s.json).slice(0, 300)}`);
    const c = await post(step, 'check');
    if (c.status !== 200 || !c.json.pass) throw new Error(`checking ${step} after its solve failed: ${JSON.stringify(c.json).slice(0, 300)}`);
  }
  const container = await containerOf(session.id);
  const kinds = ((await post(CHECK_STEP, 'check')).json.results as Array<{ kind: string }>).map((r) => r.kind);
  const times: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < ctx.counts.check; i++) {
    const tb = process.hrtime.bigint();
    const b = await execa('docker', ['exec', container, 'bash', '-c', CHECK_BASELINE], { reject: false });
    base.push(ms(tb));
    if (b.exitCode !== 0) throw new Error(`the baseline shell test failed (exit ${b.exitCode}): ${b.stderr}`);
    const t0 = process.hrtime.bigint();
    const r = await post(CHECK_STEP, 'check');
    times.push(ms(t0));
    if (r.status !== 200 || !r.json.pass) throw new Error(`the check of ${CHECK_STEP} did not pass: ${JSON.stringify(r.json).slice(0, 300)}`);
    if ((i + 1) % 10 === 0 || i + 1 === ctx.counts.check) ctx.say(`check ${i + 1}/${ctx.counts.check}: ${times.at(-1)!.toFixed(0)} ms (baseline ${base.at(-1)!.toFixed(0)} ms)`);
  }
  const m = summary(times);
  const b = summary(base);
  const measured = { p50: m.p50, p95: m.p95, n: m.n };
  const baseline = { p50: b.p50, p95: b.p95, n: b.n };
  const meets = m.p50 <= 250;
  return {
    id: 'check',
    what: `Check of a typed-check step: POST …/steps/${CHECK_STEP}/check (${kinds.join(' + ')}, lab ${BENCH_LAB}), over HTTP`,
    unit: 'ms',
    measured,
    baseline: { what: '`docker exec` of the equivalent shell test', measured: baseline },
    ratio: ratios(measured, baseline, ['p50', 'p95']),
    target: 'p50 ≤ 250 ms',
    meets,
    ...(meets ? {} : { why: `p50 ${m.p50} ms for ${kinds.length} checks against ${b.p50} ms for one \`docker exec\`; load average ${l0}→${load1()}` }),
    load: [l0, load1()],
  };
}

/** memory of one container: [docker-stats style usage (usage − inactive file), anonymous RSS] in bytes */
async function containerMemory(id: string): Promise<[number, number]> {
  const v1 = `/sys/fs/cgroup/memory/docker/${id}`;
  try {
    const usage = Number(await readFile(`${v1}/memory.usage_in_bytes`, 'utf8'));
    const stat = Object.fromEntries((await readFile(`${v1}/memory.stat`, 'utf8')).trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k, Number(v)]));
    return [usage - (stat.total_inactive_file ?? 0), stat.total_rss ?? 0];
  } catch {
    const s = (await docker.getContainer(id).stats({ stream: false })) as unknown as { memory_stats: { usage?: number; stats?: Record<string, number> } };
    const st = s.memory_stats.stats ?? {};
    const usage = s.memory_stats.usage ?? 0;
    return [usage - (st.total_inactive_file ?? st.inactive_file ?? 0), st.total_rss ?? st.anon ?? 0];
  }
}

async function pool<T>(items: T[], width: number, fn: (t: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

export async function densityFigure(ctx: Ctx, server: BenchServer): Promise<Figure> {
  const l0 = load1();
  const want = ctx.counts.density;
  const rss0 = server.rssKiB();
  const held: Array<{ s: Session; term: TermClient }> = [];
  const errors: string[] = [];
  let prompted = 0;
  const t0 = process.hrtime.bigint();
  try {
    await pool(
      Array.from({ length: want }, (_, i) => i),
      2,
      async () => {
        if (errors.length) return;
        try {
          const s = await createSession(server, BENCH_LAB);
          const term = new TermClient(server, s, s.hosts[0]!);
          held.push({ s, term });
          await term.ready();
          await term.waitFor(PROMPT);
          if (++prompted % 10 === 0) ctx.say(`density: ${prompted}/${want} idle sessions with a terminal open`);
        } catch (err) {
          errors.push(err instanceof Error ? err.message : String(err));
        }
      },
    );
    const createS = ms(t0) / 1000;
    await new Promise((r) => setTimeout(r, ctx.quick ? 1000 : 5000));
    const serverMiB = (server.rssKiB() - rss0) / 1024;
    const mem = await Promise.all(held.map(async (h) => containerMemory(await containerOf(h.s.id))));
    const usage = mem.map((m) => m[0] / 2 ** 20);
    const rss = mem.map((m) => m[1] / 2 ** 20);
    const n = held.length;
    const perSandbox = usage.reduce((a, b) => a + b, 0) / Math.max(1, n);
    const perServer = serverMiB / Math.max(1, n);
    const measured = { sessions: n, perSessionMiB: round(perSandbox + perServer, 1), sandboxMiB: round(perSandbox, 1), serverMiB: round(perServer, 2) };
    const meets = n >= 100 && perSandbox <= 15;
    const why: string[] = [];
    if (n < 100) why.push(errors.length ? `held ${n} of ${want} (first failure: ${errors[0]})` : `this run held ${n} sessions (count set to ${want}; the target is 100)`);
    if (perSandbox > 15) why.push(`an idle sandbox uses ${round(perSandbox, 1)} MiB (anonymous RSS ${round(rss.reduce((a, b) => a + b, 0) / Math.max(1, n), 1)} MiB)`);
    return {
      id: 'density',
      what: `density: ${want} idle ${BENCH_LAB} sessions requested at once, each with its terminal open; memory per session = sandbox (cgroup usage − inactive file, as \`docker stats\`) + server RSS growth ÷ sessions`,
      unit: 'MiB',
      measured,
      detail: { sandboxRssMiB: round(rss.reduce((a, b) => a + b, 0) / Math.max(1, n), 1), serverRssGrowthMiB: round(serverMiB, 1), createSeconds: round(createS, 1), failures: errors.length },
      target: '≤ 15 MB per idle sandbox; 100 concurrent sessions',
      meets,
      ...(meets ? {} : { why: why.join('; ') }),
      load: [l0, load1()],
    };
  } finally {
    ctx.say(`density: ending ${held.length} sessions`);
    await pool(held, 4, async (h) => {
      h.term.close();
      await endSession(server, h.s).catch(() => undefined);
    });
  }
}

export async function replayFigure(ctx: Ctx): Promise<Figure> {
  const l0 = load1();
  const out: Record<string, number> = {};
  const detail: Record<string, number | string> = {};
  for (const jobs of [1, 2]) {
    const json = `${ctx.tmp}/replay-${jobs}.json`;
    ctx.say(`replay --jobs ${jobs} of ${ctx.counts.replay.join(' ')} …`);
    const t0 = process.hrtime.bigint();
    const r = await execa(process.execPath, ['bin/netdojo.mjs', 'replay', ...ctx.counts.replay, '--jobs', String(jobs), '--json', json, '--quiet'], {
      reject: false,
      env: { NETDOJO_SCOPE: `${ctx.scopePrefix}-replay` },
      cwd: (await import('./server.js')).ROOT,
    });
    const secs = ms(t0) / 1000;
    let summary: { passed: number; failed: number; skipped: number; labs: Array<{ id?: string; lab?: string; status: string; reason?: string }> };
    try {
      summary = JSON.parse(await readFile(json, 'utf8'));
    } catch {
      throw new Error(`replay --jobs ${jobs} wrote no report (exit ${r.exitCode}): ${r.stderr.slice(-500)}`);
    }
    out[`jobs${jobs}Seconds`] = round(secs, 1);
    detail[`jobs${jobs}`] = `${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped (exit ${r.exitCode})`;
    if (summary.failed) detail[`jobs${jobs}Failed`] = summary.labs.filter((l) => l.status === 'failed').map((l) => l.id ?? l.lab).join(', ');
    ctx.say(`replay --jobs ${jobs}: ${secs.toFixed(1)} s, ${detail[`jobs${jobs}`]}`);
  }
  const meets = (out.jobs2Seconds ?? Infinity) <= 600;
  return {
    id: 'replay',
    what: `replay of the runnable catalog (${ctx.counts.replay.join(', ')}): wall time`,
    unit: 's',
    measured: out,
    detail,
    target: '≤ 10 min',
    meets,
    ...(meets ? {} : { why: `--jobs 2 took ${out.jobs2Seconds} s; load average ${l0}→${load1()}` }),
    load: [l0, load1()],
  };
}
