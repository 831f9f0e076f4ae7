// Warm pool against real Docker and a real `netdojo serve`: a session takes a pooled sandbox and
// works like a fresh one; the pool refills; shutdown drains it; a killed server's pooled sandboxes
// are re-adopted or removed at the next start, never left behind.
import Database from 'better-sqlite3';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Lab } from '../labs/schema.js';
import { ProviderRegistry } from '../sandbox/registry.js';
import type { CreateOptions, Provider, Sandbox, SandboxRef } from '../sandbox/types.js';
import type { Catalog, CatalogEntry } from './catalog.js';
import { PoolError, PREWARM_MAX, WarmPool, type PoolOptions } from './pool.js';
import { machineHeadroom, refillConcurrency } from './limits.js';
import { serverScope } from './scope.js';
import { SessionStore } from './store.js';
import { api, cleanup, createSession, docker, startServer, tempDir, Term, type Server } from '../../../test/api/helpers.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const LABS = resolve(import.meta.dirname, 'testdata/labs');
const servers: Server[] = [];
const dirs: string[] = [];
const scopes: string[] = [];

const scopeOf = serverScope;

/** session ids of every Docker object labelled with this scope */
async function inScope(scope: string): Promise<string[]> {
  const filters = { label: [`netdojo.scope=${scope}`] };
  const [cs, ns, vs] = await Promise.all([docker.listContainers({ all: true, filters }), docker.listNetworks({ filters }), docker.listVolumes({ filters })]);
  const ids = [...cs.map((c) => c.Labels), ...ns.map((n) => n.Labels), ...(vs.Volumes ?? []).map((v) => v.Labels ?? {})].map((l) => l?.['netdojo.session'] ?? '?');
  return [...new Set(ids)].sort();
}

async function removeScope(scope: string): Promise<void> {
  const filters = { label: [`netdojo.scope=${scope}`] };
  for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => {});
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) await docker.getVolume(v.Name).remove({ force: true }).catch(() => {});
}

function poolRows(dir: string): Array<{ id: string; lab_id: string; state: string }> {
  const db = new Database(join(dir, 'netdojo.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT id, lab_id, state FROM pool ORDER BY created_at').all() as Array<{ id: string; lab_id: string; state: string }>;
  } catch {
    return []; // not migrated yet
  } finally {
    db.close();
  }
}

async function until<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, what: string, ms = 240_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const readyIds = (dir: string) => poolRows(dir).filter((r) => r.state === 'ready').map((r) => r.id);

async function serve(dir: string, args: string[]): Promise<Server> {
  const s = await startServer(dir, ['--rate', '0', '--labs', LABS, ...args]);
  servers.push(s);
  return s;
}

afterAll(async () => {
  await cleanup(servers, []);
  for (const s of scopes) await removeScope(s);
  await cleanup([], dirs);
});

describe('warm pool', () => {
  it('hands a prepared sandbox to a session, refills, drains on shutdown and survives kill -9 without leaks', async () => {
    const dir = tempDir('netdojo-pool-');
    dirs.push(dir);
    const scope = scopeOf(dir);
    scopes.push(scope);
    const pool = ['--pool', '1', '--pool-labs', 'pool-lab'];

    // --- fill, take, use
    const a = await serve(dir, pool);
    const [p1] = await until(() => readyIds(dir), (ids) => ids.length === 1, 'the pool to fill');
    expect(await inScope(scope)).toEqual([p1]);
    const s = await createSession(a, 'pool-lab');
    expect(s.id).toBe(p1); // the session got the pooled sandbox, not a new one
    expect(s.hosts).toEqual(['host']);
    const t = await Term.open(a, s.id, 'host', { token: s.token, autoAck: true, cols: 100, rows: 30 });
    expect(t.ready?.shell).toBe('new');
    // the prompt written before anyone attached is shown to the learner
    await t.expect(/root@host:~# $/);
    // lab setup, first step setup and files are there; nothing of anyone else (no history, no namespaces)
    expect(await t.run('cat /root/lab-setup-ran /root/step1-setup-ran /lab/files/hello.txt')).toMatch(/lab-setup\r?\nstep-setup\r?\ncopied into every sandbox of pool-lab/);
    expect(await t.run('stty size; ls -a /root | grep -c bash_history; ip netns list | wc -l')).toMatch(/30 100\r?\n0\r?\n0\r?\n/);
    // the session behaves as any: the check fails, then passes after the learner's command
    const before = await api(a, 'POST', `/api/sessions/${s.id}/steps/make-ns/check`, { token: s.token, body: {} });
    expect(before.json.pass).toBe(false);
    await t.run('ip netns add red');
    const after = await api(a, 'POST', `/api/sessions/${s.id}/steps/make-ns/check`, { token: s.token, body: {} });
    expect(after.json.pass).toBe(true);
    t.close();

    // --- refill
    const [p2] = await until(() => readyIds(dir), (ids) => ids.length === 1 && ids[0] !== p1, 'the pool to refill');
    expect(await inScope(scope)).toEqual([p1, p2].sort());

    // --- drain on shutdown: the pooled sandbox goes, the learner's session stays (restart keeps sessions)
    await a.stop();
    expect(await inScope(scope)).toEqual([p1]);
    expect(poolRows(dir)).toEqual([]);

    // --- restart: the session is re-adopted, the pool refills; kill -9 leaves a ready pooled sandbox
    const b = await serve(dir, pool);
    expect((await api(b, 'GET', `/api/sessions/${s.id}`, { token: s.token })).json.status).toBe('ready');
    const [p3] = await until(() => readyIds(dir), (ids) => ids.length === 1, 'the pool to refill after a restart');
    await b.kill9();
    expect(await inScope(scope)).toEqual([p1, p3].sort());

    // --- the next start re-adopts it (same sandbox, nothing created or left over) and hands it out
    const c = await serve(dir, pool);
    expect(readyIds(dir)).toEqual([p3]);
    expect(await inScope(scope)).toEqual([p1, p3].sort());
    const s2 = await createSession(c, 'pool-lab');
    expect(s2.id).toBe(p3);
    const t2 = await Term.open(c, s2.id, 'host', { token: s2.token, autoAck: true });
    expect(await t2.run('cat /root/lab-setup-ran')).toContain('lab-setup');
    t2.close();
    const [p4] = await until(() => readyIds(dir), (ids) => ids.length === 1 && ids[0] !== p3, 'the pool to refill');
    await c.kill9();

    // --- a start without a pool removes what the killed server had pooled
    const d = await serve(dir, ['--pool', '0']);
    expect(poolRows(dir)).toEqual([]);
    expect(await inScope(scope)).toEqual([p1, p3].sort());
    expect(await inScope(scope)).not.toContain(p4);
    for (const id of [s.id, s2.id]) {
      const tok = id === s.id ? s.token : s2.token;
      expect((await api(d, 'DELETE', `/api/sessions/${id}`, { token: tok })).status).toBe(204);
    }
    await d.stop();
    expect(await inScope(scope)).toEqual([]);
  });

  it('removes a sandbox that was still being prepared when the server was killed', async () => {
    const dir = tempDir('netdojo-pool-warm-');
    dirs.push(dir);
    const scope = scopeOf(dir);
    scopes.push(scope);
    const a = await serve(dir, ['--pool', '1', '--pool-labs', 'pool-lab']);
    // kill while the sandbox exists in Docker but is not ready yet
    await until(async () => ({ rows: poolRows(dir), objects: await inScope(scope) }), (v) => v.rows.some((r) => r.state === 'warming') && v.objects.length > 0, 'a sandbox being prepared', 120_000);
    await a.kill9();
    const b = await serve(dir, ['--pool', '0']);
    expect(poolRows(dir)).toEqual([]);
    // a create request in flight when the server died may land in the engine a moment later:
    // the next sweep removes it; here we only accept what reconcile saw
    expect(await inScope(scope)).toEqual([]);
    await b.stop();
  });
});

// ---- sizing and refilling for a class, without Docker: a provider whose sandboxes are promises
// the test releases, so that how many are prepared at once can be seen

function labOf(id: string, provider: 'docker' | 'kind' = 'docker'): Lab {
  return Lab.parse({
    apiVersion: 'netdojo/v1',
    kind: 'Lab',
    id,
    title: id,
    track: 'test',
    level: 'beginner',
    minutes: 1,
    environment: { provider, hosts: [{ name: provider === 'docker' ? 'host' : 'control-plane' }] },
    steps: [{ id: 'one', title: 'one', text: 'one', solve: [{ run: 'true' }], checks: [{ id: 'c', shell: { run: 'false' } }] }],
  } as never);
}

class GatedProvider implements Partial<Provider> {
  readonly name = 'docker' as const;
  inFlight = 0;
  maxInFlight = 0;
  created: string[] = [];
  destroyed: string[] = [];
  private waiting: Array<() => void> = [];
  auto = true;

  async create(lab: Lab, opts: CreateOptions): Promise<Sandbox> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise<void>((r) => (this.auto ? setTimeout(r, 5) : this.waiting.push(r)));
    this.inFlight--;
    this.created.push(opts.sessionId);
    return {
      ref: { provider: 'docker', sessionId: opts.sessionId, labId: lab.id },
      hosts: ['host'],
      exec: async () => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false, durationMs: 1 }),
      attach: async () => ({ stream: new PassThrough(), resize: async () => {}, close: async () => {} }),
    };
  }

  release(): void {
    for (const r of this.waiting.splice(0)) r();
  }

  async destroy(ref: SandboxRef): Promise<void> {
    this.destroyed.push(ref.sessionId);
  }
}

describe('warm pool sizes for a class (no Docker)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'netdojo-pool-unit-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let n = 0;

  function setup(opts: Partial<PoolOptions>, labs = ['a', 'b', 'heavy']) {
    const entries: CatalogEntry[] = labs.map((id) => ({ lab: labOf(id, id === 'heavy' ? 'kind' : 'docker'), dir: join(tmp, 'labs', id), file: join(tmp, 'labs', id, 'lab.yaml'), available: true }));
    const catalog = { all: () => entries, get: (id: string) => entries.find((e) => e.lab.id === id) } as unknown as Catalog;
    const provider = new GatedProvider();
    const store = new SessionStore(join(tmp, `pool-${n++}.sqlite`));
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void warnings.push(l) }) as unknown as Logger;
    const pool = new WarmPool(store, catalog, ProviderRegistry.of(provider as unknown as Provider), { size: 1, retryAfterMs: 50, ...opts }, log);
    return { pool, provider, store, warnings };
  }
  const level = (pool: WarmPool) => Object.fromEntries(pool.state().map((s) => [s.lab, `${s.ready}/${s.size}`]));
  const settled = (pool: WarmPool, want: Record<string, string>) => until(() => level(pool), (v) => JSON.stringify(v) === JSON.stringify(want), `pool ${JSON.stringify(want)}`, 10_000);

  it('keeps each lab at its own size, preparing at most `concurrency` sandboxes at once', async () => {
    const { pool, provider, store } = setup({ labs: ['a', 'b'], sizes: { a: 5 }, concurrency: 2 });
    provider.auto = false;
    pool.start();
    await until(() => provider.inFlight, (v) => v === 2, 'two creations at once', 5_000);
    for (let i = 0; i < 10 && provider.created.length < 6; i++) {
      provider.release();
      await new Promise((r) => setTimeout(r, 20));
    }
    await settled(pool, { a: '5/5', b: '1/1' });
    expect(provider.maxInFlight).toBe(2);
    expect(provider.created).toHaveLength(6);
    expect(store.poolAll().filter((r) => r.state === 'ready')).toHaveLength(6);
    // a restart takes from the pool without counting as a session's claim; the pool refills
    const forRestart = pool.take('a', 'restart')!;
    expect(forRestart).toBeDefined();
    expect(pool.claims).toEqual({ hit: 0, miss: 0 });
    provider.auto = true;
    provider.release();
    await settled(pool, { a: '5/5', b: '1/1' });
    const forSession = pool.take('b')!;
    expect(forSession).toBeDefined();
    expect(pool.take('nope')).toBeUndefined();
    expect(pool.claims).toEqual({ hit: 1, miss: 1 });
    // taken sandboxes are the takers' (a session's claim removes their rows); here nobody claims them
    for (const item of [forRestart, forSession]) await pool.discard(item);
    await pool.drain();
    expect(store.poolAll()).toEqual([]);
  });

  it('an announced class raises a lab to its size until its end, then the extra sandboxes go', async () => {
    const { pool, provider } = setup({ labs: ['a'] });
    pool.start();
    await settled(pool, { a: '1/1' });
    const until1 = Date.now() + 60_000;
    expect(pool.announce('b', 3, until1)).toMatchObject({ lab: 'b', size: 3, until: new Date(until1).toISOString() });
    await settled(pool, { a: '1/1', b: '3/3' });
    // a new announcement replaces the previous one; size 0 ends it (b is not configured: it leaves the pool)
    pool.announce('b', 0, until1);
    expect(level(pool)).toEqual({ a: '1/1' });
    await until(() => provider.destroyed.length, (v) => v === 3, 'the extra sandboxes to be removed', 5_000);
    // a short class: back to the configured size when it ends
    pool.announce('a', 4, Date.now() + 400);
    await settled(pool, { a: '4/4' });
    await settled(pool, { a: '1/1' });
    expect(provider.destroyed).toHaveLength(6);
    expect(() => pool.announce('nope', 2, until1)).toThrow(PoolError);
    expect(() => pool.announce('heavy', 2, until1)).toThrow(/cannot be pooled here/);
    await pool.drain();
    expect(provider.destroyed).toHaveLength(7);
  });

  it('prepares one more sandbox for a learner about to restart; used up, or dropped when unused', async () => {
    const { pool, provider } = setup({ labs: ['a'] });
    pool.start();
    await settled(pool, { a: '1/1' });
    expect(pool.prewarm('a', 'learner-1')).toBe(true);
    expect(pool.prewarm('a', 'learner-1')).toBe(true); // the same learner again: still one
    await settled(pool, { a: '2/2' });
    // the restart takes one: the prewarm is used up, the lab is back to its size, nothing refills
    expect(pool.take('a', 'restart', 'learner-1')).toBeDefined();
    expect(level(pool)).toEqual({ a: '1/1' });
    await new Promise((r) => setTimeout(r, 100));
    expect(provider.created).toHaveLength(2);
    // an unused prewarm goes when it expires; a lab outside the pool can be prewarmed too
    expect(pool.prewarm('b', 'learner-2', 300)).toBe(true);
    await settled(pool, { a: '1/1', b: '1/1' });
    await settled(pool, { a: '1/1' });
    expect(provider.destroyed).toHaveLength(1);
    expect(pool.prewarm('heavy', 'learner-3')).toBe(false);
    for (let i = 0; i < PREWARM_MAX; i++) expect(pool.prewarm('b', `many-${i}`, 60_000)).toBe(true);
    expect(pool.prewarm('b', 'one-too-many')).toBe(false);
    await pool.drain();
  });

  it("the machine's limits: memory left for live sessions, one preparation per two cores", () => {
    expect(machineHeadroom(1024 ** 3, 512 * 1024 ** 2)).toBe('only 512 MiB of memory available (the pool keeps 1024 MiB free for live sessions)');
    expect(machineHeadroom(1024 ** 3, 2 * 1024 ** 3)).toBeUndefined();
    expect([1, 2, 3, 8, 64].map((c) => refillConcurrency(c))).toEqual([1, 1, 1, 4, 4]);
  });

  it('prepares nothing while the machine has no room, and resumes when it has', async () => {
    let full: string | undefined = 'only 100 MiB of memory available';
    const { pool, provider, warnings } = setup({ labs: ['a'], sizes: { a: 2 }, headroom: () => full });
    pool.start();
    await until(() => warnings.join(''), (w) => w.includes('not preparing more sandboxes'), 'the warning', 5_000);
    expect(warnings.join('')).toContain('only 100 MiB of memory available');
    await new Promise((r) => setTimeout(r, 200));
    expect(provider.created).toEqual([]);
    full = undefined;
    await settled(pool, { a: '2/2' });
    await pool.drain();
  });
});
