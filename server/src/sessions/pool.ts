// Warm pool: sandboxes prepared ahead of any learner, so that a session starts without waiting for
// container creation. A pooled sandbox is created exactly as a session's would be (its id is a
// fresh session id, which the session takes over at claim), then gets the lab's setup and its first
// step's setup, and a login shell on its first host is started so that the learner's first
// terminal shows a prompt at once. No learner has ever touched it: a sandbox leaves the pool only
// to one session and never comes back. Each lab has a size (--pool, --pool-labs lab=N, or a class
// an instructor announced through POST /api/pool until its end). The pool is refilled in the
// background a few sandboxes at a time (p-limit, about one per two cores) while the machine has
// memory to spare (limits.ts), drained on shutdown, and its rows in SQLite let a restart re-adopt
// (or remove) what a killed server left behind. A session's restart at a step takes from it too.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { prepareSandbox } from '../steps/lifecycle.js';
import type { ExecOptions, ExecResult, ProbeAccess, ProviderName, Sandbox, SandboxRef, TerminalSize, TerminalStream } from '../sandbox/types.js';
import type { ProviderRegistry } from '../sandbox/registry.js';
import type { Catalog, CatalogEntry } from './catalog.js';
import type { PoolRow, SessionStore } from './store.js';
import { newSessionId } from './tokens.js';
import { machineHeadroom, refillConcurrency } from './limits.js';
import pLimit, { type LimitFunction } from 'p-limit';
import type { PoolLabState } from '../protocol/http.js';

export interface PoolOptions {
  /** sandboxes kept ready per pooled lab (0 = no pool) */
  size: number;
  /** labs to pool; default: every available cheap lab (see isCheap) */
  labs?: string[];
  /** per-lab sizes that replace `size` (`--pool-labs netns-veth=30`); a lab named here is pooled */
  sizes?: Record<string, number>;
  /** sandboxes prepared at once (default: refillConcurrency(), from the machine's cores) */
  concurrency?: number;
  /** why no sandbox may be prepared now (default: machineHeadroom(), memory left); checked before each */
  headroom?: () => string | undefined;
  /** how often ready sandboxes are checked to still run */
  healthIntervalMs?: number;
  /** a lab whose sandbox failed to prepare is retried after this long */
  retryAfterMs?: number;
  createTimeoutMs?: number;
}

export interface PooledItem {
  id: string;
  labId: string;
  labHash: string;
  sandbox: PooledSandbox;
  createdAt: number;
}

/** how long a sandbox prepared for a learner's restart menu waits for the restart */
export const PREWARM_TTL_MS = 120_000;
/** sandboxes prepared for restart menus at once, in all (memory: each is a whole sandbox) */
export const PREWARM_MAX = 8;

/** An announcement the pool cannot take (the route answers 404 / 409 with `code`). */
export class PoolError extends Error {
  constructor(
    readonly code: 'lab_not_found' | 'lab_not_poolable',
    message: string,
  ) {
    super(message);
  }
}

/** Poolable: an available docker lab (kind clusters are too heavy to keep ahead). */
function poolable(entry: CatalogEntry): boolean {
  return entry.available && entry.lab.environment.provider === 'docker';
}

/** Cheap: one docker host without a Docker engine inside (seconds to create, ~MBs idle). */
export function isCheap(entry: CatalogEntry): boolean {
  const env = entry.lab.environment;
  return entry.available && env.provider === 'docker' && env.hosts.length === 1 && !env.hosts.some((h) => h.docker);
}

/** What a pooled sandbox was prepared from: the lab definition and the bytes of its files/. */
export async function labHash(entry: CatalogEntry): Promise<string> {
  const h = createHash('sha256').update(JSON.stringify(entry.lab));
  const walk = async (dir: string, rel: string): Promise<void> => {
    let names: Array<{ name: string; isDirectory(): boolean; isFile(): boolean }>;
    try {
      names = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of names.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, d.name);
      if (d.isDirectory()) await walk(p, `${rel}/${d.name}`);
      else if (d.isFile()) h.update(`\0${rel}/${d.name}\0`).update(await readFile(p));
    }
  };
  await walk(join(entry.dir, 'files'), '');
  return h.digest('hex').slice(0, 32);
}

/**
 * A pooled sandbox: the first attach to a host returns the shell started in advance (resized to the
 * client's size); everything else goes to the real sandbox.
 */
export class PooledSandbox implements Sandbox {
  constructor(
    readonly inner: Sandbox,
    private readonly shells = new Map<string, TerminalStream>(),
  ) {}

  get ref(): SandboxRef {
    return this.inner.ref;
  }

  get hosts(): string[] {
    return this.inner.hosts;
  }

  /** typed checks probe the real sandbox from outside */
  get probeAccess(): ProbeAccess | undefined {
    return this.inner.probeAccess;
  }

  exec(host: string, script: string, opts?: ExecOptions): Promise<ExecResult> {
    return this.inner.exec(host, script, opts);
  }

  async attach(host: string, size: TerminalSize): Promise<TerminalStream> {
    const shell = this.shells.get(host);
    if (!shell) return this.inner.attach(host, size);
    this.shells.delete(host);
    if (shell.stream.destroyed) return this.inner.attach(host, size);
    await shell.resize(size).catch(() => undefined);
    return shell;
  }

  /** starts the login shell the first terminal of `host` will get */
  async preopen(host: string): Promise<void> {
    // the shell's first output (the prompt) waits in the paused stream until the terminal reads it
    this.shells.set(host, await this.inner.attach(host, { cols: 80, rows: 24 }));
  }

  get preopened(): number {
    return this.shells.size;
  }

  dropShells(): void {
    for (const s of this.shells.values()) s.stream.destroy();
    this.shells.clear();
  }
}

/** A class announced by an instructor: `size` ready sandboxes of `lab` until `until` (ms). */
export interface Announcement {
  size: number;
  until: number;
}

export class WarmPool {
  private ready = new Map<string, PooledItem[]>();
  private announced = new Map<string, Announcement & { timer: NodeJS.Timeout }>();
  /** extra sandboxes being removed (trim); drain waits for them */
  private removals = new Set<Promise<void>>();
  /** one extra sandbox of a lab for a learner about to restart (prewarm), by session id */
  private boosts = new Map<string, { labId: string; timer: NodeJS.Timeout }>();
  private readonly limit: LimitFunction;
  private headroomSaid: string | undefined;
  private warming = new Map<string, number>();
  /** ids of pooled sandboxes this process holds or is creating (reconcile leaves them alone) */
  private owned = new Set<string>();
  private hashes = new Map<string, string>();
  private failedAt = new Map<string, number>();
  private loop: Promise<void> | undefined;
  private again = false;
  private closed = false;
  /** cuts short a creation in progress when the pool drains */
  private readonly stopping = new AbortController();
  private healthTimer: NodeJS.Timeout | undefined;
  private readonly opts: Required<Omit<PoolOptions, 'labs' | 'sizes'>> & Pick<PoolOptions, 'labs' | 'sizes'>;

  constructor(
    private readonly store: SessionStore,
    private readonly catalog: Catalog,
    private readonly providers: ProviderRegistry,
    opts: PoolOptions,
    private readonly log: Logger,
  ) {
    this.opts = { healthIntervalMs: 60_000, retryAfterMs: 30_000, createTimeoutMs: 180_000, concurrency: refillConcurrency(), headroom: () => machineHeadroom(), ...opts };
    this.limit = pLimit(Math.max(1, this.opts.concurrency));
  }

  /** how many ready sandboxes of the lab the pool aims at now: an announced class's size, else the configured one */
  sizeOf(labId: string, now = Date.now()): number {
    let boosted = 0;
    for (const b of this.boosts.values()) if (b.labId === labId) boosted++;
    return this.baseSizeOf(labId, now) + boosted;
  }

  private baseSizeOf(labId: string, now: number): number {
    const a = this.announced.get(labId);
    if (a && a.until > now) return a.size;
    const sized = this.opts.sizes?.[labId];
    if (sized !== undefined) return sized;
    if (this.opts.labs) return this.opts.labs.includes(labId) ? this.opts.size : 0;
    const entry = this.catalog.get(labId);
    return entry && isCheap(entry) ? this.opts.size : 0;
  }

  /** the labs this pool keeps sandboxes for */
  labs(): CatalogEntry[] {
    return this.catalog.all().filter((e) => poolable(e) && this.sizeOf(e.lab.id) > 0);
  }

  /**
   * An instructor announces a class: keep `size` ready sandboxes of `labId` until `until`, then go
   * back to the configured size (the extra ready sandboxes are removed then). A new announcement
   * of the same lab replaces the previous one; size 0 ends it. Throws a one-line Error when the
   * lab cannot be pooled here.
   */
  announce(labId: string, size: number, until: number): PoolLabState {
    const entry = this.catalog.get(labId);
    if (!entry) throw new PoolError('lab_not_found', `no lab with id "${labId}"`);
    if (!poolable(entry)) throw new PoolError('lab_not_poolable', `lab "${labId}" cannot be pooled here: ${entry.unavailableReason ?? 'only docker labs are pooled'}`);
    const prev = this.announced.get(labId);
    if (prev) clearTimeout(prev.timer);
    this.announced.delete(labId);
    if (size > 0 && until > Date.now()) {
      // a timer fires at most every ~24.8 days; a longer class is re-armed when it fires
      const timer = setTimeout(() => this.expire(labId), Math.min(until - Date.now(), 2 ** 31 - 1));
      timer.unref();
      this.announced.set(labId, { size, until, timer });
      this.log.info({ lab: labId, size, until: new Date(until).toISOString() }, 'pool: class announced');
    }
    this.trim(labId);
    this.kick();
    return this.stateOf(labId);
  }

  /**
   * A learner opened the restart menu: one more sandbox of the lab is prepared for them (on top of
   * the lab's size), so that the restart they are about to confirm does not wait for a creation.
   * At most one per session and PREWARM_MAX in all; unused, it goes after `ttlMs`. False when the
   * lab cannot be pooled or the limit is reached.
   */
  prewarm(labId: string, session: string, ttlMs = PREWARM_TTL_MS): boolean {
    const entry = this.catalog.get(labId);
    if (this.closed || !entry || !poolable(entry)) return false;
    const had = this.boosts.get(session);
    if (had) clearTimeout(had.timer);
    else if (this.boosts.size >= PREWARM_MAX) return false;
    const timer = setTimeout(() => this.unboost(session), ttlMs);
    timer.unref();
    this.boosts.set(session, { labId, timer });
    if (had && had.labId !== labId) this.trim(had.labId);
    this.kick();
    return true;
  }

  /** the session's prewarm is over (used or expired): its lab goes back to its size */
  private unboost(session: string, trim = true): void {
    const b = this.boosts.get(session);
    if (!b) return;
    clearTimeout(b.timer);
    this.boosts.delete(session);
    if (trim) this.trim(b.labId);
  }

  private expire(labId: string): void {
    const a = this.announced.get(labId);
    if (!a) return;
    if (a.until > Date.now()) {
      this.announce(labId, a.size, a.until);
      return;
    }
    this.announced.delete(labId);
    this.log.info({ lab: labId }, 'pool: announced class over; back to the configured size');
    this.trim(labId);
    this.kick();
  }

  /** removes ready sandboxes above the lab's size (a class is over, a size was lowered) */
  private trim(labId: string): void {
    const list = this.ready.get(labId) ?? [];
    while (list.length > this.sizeOf(labId)) {
      const item = list.pop()!;
      item.sandbox.dropShells();
      this.store.poolDelete(item.id);
      const removal = this.destroy(item.id, labId);
      this.removals.add(removal);
      void removal.finally(() => this.removals.delete(removal));
    }
  }

  stateOf(labId: string): PoolLabState {
    const a = this.announced.get(labId);
    return {
      lab: labId,
      size: this.sizeOf(labId),
      ready: this.ready.get(labId)?.length ?? 0,
      warming: this.warming.get(labId) ?? 0,
      ...(a ? { until: new Date(a.until).toISOString() } : {}),
    };
  }

  /** every pooled lab's size and level (GET /api/pool) */
  state(): PoolLabState[] {
    return this.labs().map((e) => this.stateOf(e.lab.id));
  }

  private async hashOf(entry: CatalogEntry): Promise<string> {
    let h = this.hashes.get(entry.lab.id);
    if (!h) {
      h = await labHash(entry);
      this.hashes.set(entry.lab.id, h);
    }
    return h;
  }

  stats(): Record<string, { ready: number; warming: number }> {
    const out: Record<string, { ready: number; warming: number }> = {};
    for (const e of this.labs()) out[e.lab.id] = { ready: this.ready.get(e.lab.id)?.length ?? 0, warming: this.warming.get(e.lab.id) ?? 0 };
    return out;
  }

  /** a ready sandbox for `labId`, removed from the pool (a refill starts), or undefined */
  /** sessions created since start that found a ready sandbox (hit) or not (miss) */
  readonly claims = { hit: 0, miss: 0 };

  /**
   * `restart`: for a session's restart (fast-forwarded from there), not counted as a session's
   * claim; `session` names it, so that its prewarm, if any, is used up rather than refilled
   */
  take(labId: string, purpose: 'session' | 'restart' = 'session', session?: string): PooledItem | undefined {
    const list = this.ready.get(labId);
    const item = list?.shift();
    if (session) this.unboost(session, false);
    if (purpose === 'session') this.claims[item ? 'hit' : 'miss']++;
    if (!item) return undefined;
    this.owned.delete(item.id);
    this.kick();
    return item;
  }

  /** the claim failed after take(): the sandbox is removed */
  async discard(item: PooledItem): Promise<void> {
    this.store.poolDelete(item.id);
    await this.destroy(item.id, item.labId);
  }

  /** startup (after reconcile): forget rows of sandboxes that are gone, start filling */
  start(): void {
    for (const row of this.store.poolAll()) if (!this.owned.has(row.id)) this.store.poolDelete(row.id);
    for (const id of new Set([...(this.opts.labs ?? []), ...Object.keys(this.opts.sizes ?? {})])) {
      const e = this.catalog.get(id);
      if (!e) this.log.warn({ lab: id }, 'pool: no such lab; not pooled');
      else if (!e.available || e.lab.environment.provider !== 'docker') this.log.warn({ lab: id }, `pool: lab not poolable here (${e.unavailableReason ?? 'not a docker lab'})`);
    }
    this.log.info({ labs: Object.fromEntries(this.labs().map((e) => [e.lab.id, this.sizeOf(e.lab.id)])), concurrency: this.opts.concurrency }, 'warm pool filling');
    this.kick();
    this.healthTimer = setInterval(() => void this.health(), this.opts.healthIntervalMs);
    this.healthTimer.unref();
  }

  /**
   * Reconcile found a sandbox with no session: true when it belongs to the pool (held by this
   * process, or — at startup — a ready one left by a previous run that is re-adopted); false when
   * it is an orphan the caller removes.
   */
  async claimOrphan(ref: SandboxRef, startup: boolean): Promise<boolean> {
    if (this.owned.has(ref.sessionId)) return true;
    const row = this.store.poolGet(ref.sessionId);
    if (!row) return false;
    if (!startup || this.closed) {
      this.store.poolDelete(row.id);
      return false;
    }
    const entry = this.labs().find((e) => e.lab.id === row.labId);
    const keep =
      row.state === 'ready' &&
      entry !== undefined &&
      row.labHash === (await this.hashOf(entry)) &&
      (this.ready.get(row.labId)?.length ?? 0) < this.sizeOf(row.labId);
    if (!keep) {
      this.log.info({ pooled: row.id, lab: row.labId, state: row.state }, 'removing a pooled sandbox left by a previous run');
      this.store.poolDelete(row.id);
      return false;
    }
    try {
      const provider = await this.providers.get(row.provider as ProviderName);
      const sandbox = new PooledSandbox(await provider.adopt(ref, entry.lab));
      await sandbox.preopen(entry.lab.environment.hosts[0]!.name);
      this.push({ id: row.id, labId: row.labId, labHash: row.labHash, sandbox, createdAt: row.createdAt });
      this.log.info({ pooled: row.id, lab: row.labId }, 're-adopted a pooled sandbox');
      return true;
    } catch (err) {
      this.log.warn({ pooled: row.id, err: String(err) }, 'cannot re-adopt a pooled sandbox; removing it');
      this.store.poolDelete(row.id);
      return false;
    }
  }

  /** stops refilling and removes every pooled sandbox (shutdown) */
  async drain(): Promise<void> {
    this.closed = true;
    this.stopping.abort();
    for (const a of this.announced.values()) clearTimeout(a.timer);
    for (const b of this.boosts.values()) clearTimeout(b.timer);
    if (this.healthTimer) clearInterval(this.healthTimer);
    await this.loop;
    await Promise.all([...this.removals]);
    const items = [...this.ready.values()].flat();
    this.ready.clear();
    await Promise.all(
      items.map(async (i) => {
        i.sandbox.dropShells();
        await this.destroy(i.id, i.labId);
        this.store.poolDelete(i.id);
      }),
    );
  }

  private push(item: PooledItem): void {
    this.owned.add(item.id);
    const list = this.ready.get(item.labId) ?? [];
    list.push(item);
    this.ready.set(item.labId, list);
  }

  /** starts the refill loop, or makes the running one look again */
  private kick(): void {
    if (this.closed) return;
    this.again = true;
    this.loop ??= this.fill().finally(() => {
      this.loop = undefined;
      if (this.again && !this.closed) this.kick();
    });
  }

  /** the next lab short of its size (ready + warming), unless the machine has no room for one more */
  private nextToWarm(now: number): CatalogEntry | undefined {
    const entry = this.labs().find(
      (e) =>
        (this.ready.get(e.lab.id)?.length ?? 0) + (this.warming.get(e.lab.id) ?? 0) < this.sizeOf(e.lab.id, now) &&
        now - (this.failedAt.get(e.lab.id) ?? 0) >= this.opts.retryAfterMs,
    );
    if (!entry) return undefined;
    const full = this.opts.headroom();
    if (full) {
      if (this.headroomSaid !== full) this.log.warn({ lab: entry.lab.id, why: full }, 'pool: not preparing more sandboxes for now');
      this.headroomSaid = full;
      this.failedAt.set(entry.lab.id, now);
      return undefined;
    }
    this.headroomSaid = undefined;
    return entry;
  }

  /** prepares sandboxes until every lab has its size, at most `concurrency` at once (p-limit) */
  private async fill(): Promise<void> {
    const running = new Set<Promise<void>>();
    while (!this.closed) {
      this.again = false;
      const room = this.limit.activeCount + this.limit.pendingCount < this.limit.concurrency;
      const entry = room ? this.nextToWarm(Date.now()) : undefined;
      if (!entry) {
        if (!running.size) break;
        await Promise.race(running);
        continue;
      }
      // counted as warming now, so that the next pick sees it
      this.warming.set(entry.lab.id, (this.warming.get(entry.lab.id) ?? 0) + 1);
      const p: Promise<void> = this.limit(() => this.warmOne(entry)).finally(() => running.delete(p));
      running.add(p);
    }
    await Promise.all(running);
    const now = Date.now();
    if ([...this.failedAt.values()].some((t) => now - t < this.opts.retryAfterMs)) setTimeout(() => this.kick(), this.opts.retryAfterMs).unref();
  }

  private async warmOne(entry: CatalogEntry): Promise<void> {
    const lab = entry.lab;
    const id = newSessionId();
    // counted as warming by fill() already; the finally below uncounts it
    const hash = await this.hashOf(entry).catch(() => 'unreadable');
    const row: PoolRow = { id, labId: lab.id, labHash: hash, provider: lab.environment.provider, state: 'warming', createdAt: Date.now() };
    this.owned.add(id);
    this.store.poolInsert(row);
    const log = this.log.child({ pooled: id, lab: lab.id });
    const t0 = Date.now();
    try {
      const provider = await this.providers.get(lab.environment.provider);
      const signal = AbortSignal.any([AbortSignal.timeout(this.opts.createTimeoutMs), this.stopping.signal]);
      const sandbox = new PooledSandbox(await provider.create(lab, { sessionId: id, labDir: entry.dir, signal, onProgress: (m) => log.debug(m) }));
      const r = await prepareSandbox({ lab, sandbox, signal });
      if (!r.ok) throw new Error(`lab setup failed: ${r.error}`);
      await sandbox.preopen(lab.environment.hosts[0]!.name);
      if (this.closed) throw new Error('the pool is draining');
      this.store.poolSetState(id, 'ready');
      this.failedAt.delete(lab.id);
      this.push({ ...row, state: 'ready', sandbox } as PooledItem);
      log.info({ ms: Date.now() - t0 }, 'pooled sandbox ready');
      // the size may have dropped while it was prepared (a class ended, a prewarm was used up)
      this.trim(lab.id);
    } catch (err) {
      if (!this.closed) {
        this.failedAt.set(lab.id, Date.now());
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'pooled sandbox failed to prepare');
      }
      this.store.poolDelete(id);
      await this.destroy(id, lab.id);
    } finally {
      this.warming.set(lab.id, (this.warming.get(lab.id) ?? 1) - 1);
    }
  }

  /** drops ready sandboxes whose containers stopped (out of memory, removed by hand …) */
  private async health(): Promise<void> {
    for (const [labId, list] of this.ready) {
      const entry = this.catalog.get(labId);
      for (const item of [...list]) {
        if (this.closed || !entry) return;
        try {
          const provider = await this.providers.get(entry.lab.environment.provider);
          await provider.adopt(item.sandbox.ref, entry.lab);
        } catch (err) {
          if (!list.includes(item)) continue; // taken meanwhile
          list.splice(list.indexOf(item), 1);
          this.log.warn({ pooled: item.id, err: String(err) }, 'pooled sandbox is broken; replacing it');
          item.sandbox.dropShells();
          this.store.poolDelete(item.id);
          await this.destroy(item.id, labId);
          this.kick();
        }
      }
    }
  }

  private async destroy(id: string, labId: string): Promise<void> {
    this.owned.delete(id);
    const entry = this.catalog.get(labId);
    const provider = await this.providers.get(entry?.lab.environment.provider ?? 'docker').catch(() => undefined);
    await provider?.destroy({ provider: provider.name, sessionId: id, labId }).catch((err: unknown) =>
      this.log.error({ pooled: id, err: String(err) }, 'cannot remove a pooled sandbox; the next reconcile retries'),
    );
  }
}
