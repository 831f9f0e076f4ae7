// `netdojo bench`: runs every figure of docs/dev/architecture.md "Targets" against real `netdojo serve` processes on loopback,
// writes bench/results/<date>-<machine>.{json,md} and latest.md, and leaves nothing behind: every
// Docker object it makes carries a netdojo.scope starting with bench-<run id>, swept at the end.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import Docker from 'dockerode';
import { DEFAULT_IMAGE } from '../images/catalog.js';
import { UserError } from '../util/errors.js';
import pLimit from 'p-limit';
import { capacityFigure } from './capacity.js';
import { arrivalsFigure, BENCH_LAB, checkFigure, classFigure, densityFigure, echoFigure, readyFigure, replayFigure, throughputFigure } from './figures.js';
import { describeMachine } from './machine.js';
import { restartFigure } from './restart.js';
import { toMarkdown } from './report.js';
import { api, createSession, endSession, ROOT, startServer, type BenchServer } from './server.js';
import { ms, round } from './stats.js';
import type { BenchResult, Counts, Ctx, Figure } from './types.js';

/** the capacity figure (up to 15 minutes) runs in a full run only when asked for (`--capacity`) */
export const FULL: Counts = { ready: 20, arrivals: 60, echo: 1000, throughputMiB: 200, check: 30, density: 300, class: 30, classWindowS: 5, capacity: [], replay: ['labs'] };
export const FULL_CAPACITY = [300, 400, 500];
export const QUICK: Counts = { ready: 3, arrivals: 10, echo: 100, throughputMiB: 20, check: 5, density: 4, class: 3, classWindowS: 1, capacity: [2, 3], replay: [BENCH_LAB] };

export const FIGURE_IDS = ['session-ready-cold', 'terminal-echo', 'terminal-throughput', 'check', 'host-cost', 'density', 'capacity', 'session-ready-warm', 'session-ready-arrivals', 'class-start', 'class-start-announced', 'restart', 'replay'];

export interface BenchOptions {
  quick: boolean;
  counts: Partial<Counts>;
  /** where the results go */
  out: string;
  /** name of the machine in file names (default: the host name) */
  machine?: string;
  say?: (msg: string) => void;
  /** figure ids to run (default: all) */
  only?: string[];
}

const docker = new Docker();

/** every Docker object whose netdojo.scope starts with `prefix` or that is labelled netdojo.bench=<run> */
async function objectsOf(prefix: string, runId: string): Promise<Array<{ kind: 'container' | 'network' | 'volume'; id: string; name: string }>> {
  const mine = (l: Record<string, string> | null | undefined) => (l?.['netdojo.scope'] ?? '').startsWith(prefix) || l?.['netdojo.bench'] === runId;
  const [cs, ns, vs] = await Promise.all([
    docker.listContainers({ all: true, filters: { label: ['netdojo.scope'] } }).then(async (a) => [...a, ...(await docker.listContainers({ all: true, filters: { label: [`netdojo.bench=${runId}`] } }))]),
    docker.listNetworks({ filters: { label: ['netdojo.scope'] } }),
    docker.listVolumes({ filters: { label: ['netdojo.scope'] } }),
  ]);
  const seen = new Set<string>();
  const out: Array<{ kind: 'container' | 'network' | 'volume'; id: string; name: string }> = [];
  for (const c of cs) if (mine(c.Labels) && !seen.has(c.Id) && seen.add(c.Id)) out.push({ kind: 'container', id: c.Id, name: c.Names[0]?.replace(/^\//, '') ?? c.Id });
  for (const n of ns) if (mine(n.Labels)) out.push({ kind: 'network', id: n.Id, name: n.Name });
  for (const v of vs.Volumes ?? []) if (mine(v.Labels)) out.push({ kind: 'volume', id: v.Name, name: v.Name });
  return out;
}

/** removes what this run left (only its own objects) and returns their names */
async function sweep(prefix: string, runId: string): Promise<string[]> {
  const left = await objectsOf(prefix, runId);
  const four = pLimit(4);
  await Promise.all(left.filter((o) => o.kind === 'container').map((o) => four(() => docker.getContainer(o.id).remove({ force: true, v: true }).catch(() => undefined))));
  for (const o of left.filter((o) => o.kind === 'network')) await docker.getNetwork(o.id).remove().catch(() => undefined);
  for (const o of left.filter((o) => o.kind === 'volume')) await docker.getVolume(o.id).remove({ force: true }).catch(() => undefined);
  return left.map((o) => `${o.kind}:${o.name}`);
}

function poolReady(dataDir: string, lab: string): number {
  let db: Database.Database | undefined;
  try {
    db = new Database(join(dataDir, 'netdojo.sqlite'), { readonly: true, fileMustExist: true });
    return (db.prepare(`SELECT count(*) AS n FROM pool WHERE lab_id = ? AND state = 'ready'`).get(lab) as { n: number }).n;
  } catch {
    return 0;
  } finally {
    db?.close();
  }
}

/** ids of every pooled sandbox (warming or ready): a session with one of these came from the pool */
function poolIds(dataDir: string): Set<string> {
  let db: Database.Database | undefined;
  try {
    db = new Database(join(dataDir, 'netdojo.sqlite'), { readonly: true, fileMustExist: true });
    return new Set((db.prepare('SELECT id FROM pool').all() as Array<{ id: string }>).map((r) => r.id));
  } catch {
    return new Set();
  } finally {
    db?.close();
  }
}

async function waitPool(dataDir: string, lab: string, ms = 300_000, n = 1): Promise<void> {
  const deadline = Date.now() + ms;
  while (poolReady(dataDir, lab) < n) {
    if (Date.now() > deadline) throw new Error(`the warm pool had ${poolReady(dataDir, lab)} of ${n} ready ${lab} sandboxes after ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function runBench(opts: BenchOptions): Promise<{ result: BenchResult; files: string[] }> {
  const say = opts.say ?? ((m: string) => process.stderr.write(`bench: ${m}\n`));
  const counts: Counts = { ...(opts.quick ? QUICK : FULL), ...opts.counts };
  const unknown = (opts.only ?? []).filter((id) => !FIGURE_IDS.includes(id));
  if (unknown.length) throw new UserError(`no figure ${unknown.join(', ')}; the figures are ${FIGURE_IDS.join(', ')}`);
  try {
    await docker.getImage(DEFAULT_IMAGE).inspect();
  } catch {
    throw new UserError(`image ${DEFAULT_IMAGE} is missing or the Docker engine does not answer: run \`netdojo images build\` (see the README's setup)`);
  }
  const started = new Date();
  const runId = randomBytes(4).toString('hex');
  const ctx: Ctx = {
    runId,
    quick: opts.quick,
    counts,
    scopePrefix: `bench-${runId}`,
    tmp: await mkdtemp(join(tmpdir(), 'netdojo-bench-')),
    labsDir: join(ROOT, 'labs'),
    say,
  };
  const machine = await describeMachine();
  say(`run ${runId} on ${machine.hostname}: ${machine.nproc} cores, load average ${machine.loadAverageAtStart.join(' ')}, counts ${JSON.stringify(counts)}`);
  const servers: BenchServer[] = [];
  const figures: Figure[] = [];
  let leftovers: string[] = [];
  const interrupted = async () => {
    say('interrupted: stopping the servers and removing what this run made');
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    await sweep(ctx.scopePrefix, runId);
    await rm(ctx.tmp, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const wanted = (...ids: string[]) => !opts.only || ids.some((id) => opts.only!.includes(id));
  try {
    const later: Figure[] = [];
    // server A: no pool (cold starts, terminal, checks, density, capacity)
    if (wanted('session-ready-cold', 'terminal-echo', 'terminal-throughput', 'check', 'density', 'host-cost', 'capacity')) {
      say('starting a server without a pool');
      // room for the capacity figure's largest count and its probe
      const maxSessions = String(Math.max(500, ...counts.capacity.map((n) => n + 10)));
      const a = await startServer({ dataDir: join(ctx.tmp, 'cold'), labs: [ctx.labsDir], scope: `${ctx.scopePrefix}-cold`, args: ['--pool', '0', '--max-sessions', maxSessions] });
      servers.push(a);
      if (wanted('session-ready-cold')) figures.push(await readyFigure(ctx, a, 'cold'));
      if (wanted('terminal-echo', 'terminal-throughput', 'check')) {
        const s = await createSession(a, BENCH_LAB);
        if (wanted('terminal-echo')) later.push(await echoFigure(ctx, a, s));
        if (wanted('terminal-throughput')) later.push(await throughputFigure(ctx, a, s));
        if (wanted('check')) later.push(await checkFigure(ctx, a, s));
        await endSession(a, s);
      }
      if (wanted('density', 'host-cost')) later.push(...(await densityFigure(ctx, a)).filter((f) => wanted(f.id)));
      if (counts.capacity.length && wanted('capacity')) later.push(await capacityFigure(ctx, a, BENCH_LAB));
      await a.stop();
    }

    // server B: warm pool of the same lab
    if (wanted('session-ready-warm', 'session-ready-arrivals', 'class-start', 'class-start-announced')) {
      say(`starting a server with a warm pool of ${BENCH_LAB}`);
      const bDir = join(ctx.tmp, 'warm');
      // the operator token lets the class figure announce the class (POST /api/pool), as an instructor would
      const operator = randomBytes(16).toString('hex');
      process.env.NETDOJO_OPERATOR_TOKEN = operator;
      const b = await startServer({ dataDir: bDir, labs: [ctx.labsDir], scope: `${ctx.scopePrefix}-warm`, args: ['--pool', '1', '--pool-labs', BENCH_LAB] }).finally(
        () => delete process.env.NETDOJO_OPERATOR_TOKEN,
      );
      servers.push(b);
      if (wanted('session-ready-warm')) figures.push(await readyFigure(ctx, b, 'warm', () => waitPool(bDir, BENCH_LAB)));
      if (wanted('session-ready-arrivals')) figures.push(await arrivalsFigure(ctx, b, () => poolIds(bDir)));
      const lone: number[] = [];
      if (wanted('class-start')) figures.push(await classFigure(ctx, b, () => poolIds(bDir), { id: 'class-start', describe: 'warm pool of the default size (1)', waitPool: () => waitPool(bDir, BENCH_LAB), lone }));
      if (wanted('class-start-announced')) {
        const announce = (size: number) => api(b, 'POST', '/api/pool', { token: operator, body: { lab: BENCH_LAB, size, until: new Date(Date.now() + 3_600_000).toISOString() } });
        const r = await announce(counts.class);
        if (r.status !== 200) throw new Error(`announcing the class (POST /api/pool) failed: ${r.status} ${JSON.stringify(r.json)}`);
        say(`class announced: waiting for ${counts.class} ready ${BENCH_LAB} sandboxes in the pool`);
        const fill = process.hrtime.bigint();
        await waitPool(bDir, BENCH_LAB, 900_000, counts.class);
        const filledS = round(ms(fill) / 1000, 1);
        figures.push(
          await classFigure(ctx, b, () => poolIds(bDir), {
            id: 'class-start-announced',
            describe: `the pool announced for the class beforehand (POST /api/pool, size ${counts.class}, filled before the first press)`,
            waitPool: () => waitPool(bDir, BENCH_LAB, 900_000, counts.class),
            lone,
          }),
        );
        figures.at(-1)!.detail!.poolFilledInS = filledS;
        await announce(0);
      }
      say('stopping the server (drains its pool)');
      await b.stop();
    }

    figures.push(...later);
    if (wanted('restart')) figures.push(await restartFigure(ctx));
    if (wanted('replay')) figures.push(await replayFigure(ctx));
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    leftovers = await sweep(ctx.scopePrefix, runId);
    await rm(ctx.tmp, { recursive: true, force: true });
  }
  if (leftovers.length) say(`LEAK: the run left ${leftovers.join(', ')} (removed now)`);
  else say('nothing left behind');

  const result: BenchResult = {
    netdojo: '0.1.0',
    startedAt: started.toISOString(),
    durationS: Math.round((Date.now() - started.getTime()) / 1000),
    quick: opts.quick,
    machine,
    counts,
    figures,
    leftovers,
  };
  const name = `${started.toISOString().slice(0, 10)}-${(opts.machine ?? machine.hostname).replace(/[^A-Za-z0-9._-]+/g, '-')}${opts.quick ? '-quick' : ''}${opts.only ? `-only-${started.toISOString().slice(11, 16).replace(':', '')}` : ''}`;
  const out = resolve(opts.out);
  await mkdir(out, { recursive: true });
  const md = toMarkdown(result);
  const files = [join(out, `${name}.json`), join(out, `${name}.md`)];
  await writeFile(files[0]!, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(files[1]!, md);
  // a partial run (--only) never stands for the whole table
  if (!opts.quick && !opts.only) {
    await copyFile(files[1]!, join(out, 'latest.md'));
    files.push(join(out, 'latest.md'));
  }
  return { result, files };
}
