// Warm pool: sandboxes prepared ahead of any learner, so that a session starts without waiting for
// container creation. A pooled sandbox is created exactly as a session's would be (its id is a
// fresh session id, which the session takes over at claim), then gets the lab's setup and its first
// step's setup, and a login shell on its first host is started so that the learner's first
// terminal shows a prompt at once. No learner has ever touched it: a sandbox leaves the pool only
// to one session and never comes back. The pool is refilled in the background one sandbox at a
// time (2-core machines), drained on shutdown, and its rows in SQLite let a restart re-adopt
// (or remove) what a killed server left behind.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { prepareSandbox } from '../steps/lifecycle.js';
import type { ExecOptions, ExecResult, ProbeAccess, ProviderName, Sandbox, SandboxRef, TerminalSize, TerminalStream } from '../sandbox/types.js';
import type { Catalog, CatalogEntry, ProviderSource } from './catalog.js';
import type { PoolRow, SessionStore } from './store.js';
import { newSessionId } from './tokens.js';

export interface PoolOptions {
  /** sandboxes kept ready per pooled lab (0 = no pool) */
  size: number;
  /** labs to pool; default: every available cheap lab (see isCheap) */
  labs?: string[];
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

export class WarmPool {
  private ready = new Map<string, PooledItem[]>();
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
  private readonly opts: Required<Omit<PoolOptions, 'labs'>> & { labs?: string[] };

  constructor(
    private readonly store: SessionStore,
    private readonly catalog: Catalog,
    private readonly providers: ProviderSource,
    opts: PoolOptions,
    private readonly log: Logger,
  ) {
    this.opts = { healthIntervalMs: 60_000, retryAfterMs: 30_000, createTimeoutMs: 180_000, ...opts };
  }

  /** the labs this pool keeps sandboxes for */
  labs(): CatalogEntry[] {
    if (this.opts.size <= 0) return [];
    const all = this.catalog.all();
    if (this.opts.labs) return all.filter((e) => this.opts.labs!.includes(e.lab.id) && e.available && e.lab.environment.provider === 'docker');
    return all.filter(isCheap);
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

  take(labId: string): PooledItem | undefined {
    const list = this.ready.get(labId);
    const item = list?.shift();
    if (!item) {
      this.claims.miss++;
      return undefined;
    }
    this.claims.hit++;
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
    if (this.opts.size <= 0) return;
    for (const id of this.opts.labs ?? []) {
      const e = this.catalog.get(id);
      if (!e) this.log.warn({ lab: id }, 'pool: no such lab; not pooled');
      else if (!e.available || e.lab.environment.provider !== 'docker') this.log.warn({ lab: id }, `pool: lab not poolable here (${e.unavailableReason ?? 'not a docker lab'})`);
    }
    this.log.info({ size: this.opts.size, labs: this.labs().map((e) => e.lab.id) }, 'warm pool filling');
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
      (this.ready.get(row.labId)?.length ?? 0) < this.opts.size;
    if (!keep) {
      this.log.info({ pooled: row.id, lab: row.labId, state: row.state }, 'removing a pooled sandbox left by a previous run');
      this.store.poolDelete(row.id);
      return false;
    }
    try {
      const provider = await this.providers(row.provider as ProviderName);
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
    if (this.healthTimer) clearInterval(this.healthTimer);
    await this.loop;
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
    if (this.closed || this.opts.size <= 0) return;
    this.again = true;
    this.loop ??= this.fill().finally(() => {
      this.loop = undefined;
      if (this.again && !this.closed) this.kick();
    });
  }

  private async fill(): Promise<void> {
    while (!this.closed) {
      this.again = false;
      const now = Date.now();
      const entry = this.labs().find(
        (e) =>
          (this.ready.get(e.lab.id)?.length ?? 0) + (this.warming.get(e.lab.id) ?? 0) < this.opts.size &&
          now - (this.failedAt.get(e.lab.id) ?? 0) >= this.opts.retryAfterMs,
      );
      if (!entry) {
        const failing = [...this.failedAt.values()].filter((t) => now - t < this.opts.retryAfterMs);
        if (failing.length) setTimeout(() => this.kick(), this.opts.retryAfterMs).unref();
        return;
      }
      await this.warmOne(entry);
    }
  }

  private async warmOne(entry: CatalogEntry): Promise<void> {
    const lab = entry.lab;
    const id = newSessionId();
    const row: PoolRow = { id, labId: lab.id, labHash: await this.hashOf(entry), provider: lab.environment.provider, state: 'warming', createdAt: Date.now() };
    this.owned.add(id);
    this.store.poolInsert(row);
    this.warming.set(lab.id, (this.warming.get(lab.id) ?? 0) + 1);
    const log = this.log.child({ pooled: id, lab: lab.id });
    const t0 = Date.now();
    try {
      const provider = await this.providers(lab.environment.provider);
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
          const provider = await this.providers(entry.lab.environment.provider);
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
    const provider = await this.providers(entry?.lab.environment.provider ?? 'docker').catch(() => undefined);
    await provider?.destroy({ provider: provider.name, sessionId: id, labId }).catch((err: unknown) =>
      this.log.error({ pooled: id, err: String(err) }, 'cannot remove a pooled sandbox; the next reconcile retries'),
    );
  }
}
