// Session lifecycle: create a lab's sandbox, unlock steps in order, run checks and solutions on
// the live sandbox, record progress and history, end sessions. Transport-free: the HTTP layer
// and the reaper call into this; the sandbox providers and the checks are the shared core.
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { CheckResult } from '../checks/types.js';
import type { Locale, Step } from '../labs/schema.js';
import type { ActionsResult } from '../steps/actions.js';
import { bringToStep, checkStep, runLabSetup, runSolve, runStepSetup } from '../steps/lifecycle.js';
import { runActions } from '../steps/actions.js';
import { drawLab, drawnView, hasFaults, injectsOf, labWithFaults, resolveDraw, type DrawnFaultView } from '../steps/faults.js';
import type { Provider, ProviderName, Sandbox, SandboxRef } from '../sandbox/types.js';
import type { ProviderRegistry } from '../sandbox/registry.js';
import type { Catalog, CatalogEntry } from './catalog.js';
import { RateLimiter } from './limits.js';
import { PooledSandbox, PREWARM_MAX, PREWARM_TTL_MS, type WarmPool } from './pool.js';
import { reconcileSandboxes, type ReconcileReport } from './reconcile.js';
import type { SessionRow, SessionStore } from './store.js';
import { hashToken, newSessionId, newToken, tokenMatches } from './tokens.js';

export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export interface ServiceConfig {
  maxSessions: number;
  ttlMs: number;
  idleMs: number;
  /** session creations per client per minute (0 = unlimited) */
  createPerMinute: number;
  createBurst: number;
  /** live sessions one client may hold at once (0 = unlimited) */
  maxSessionsPerClient?: number;
  createTimeoutMs: number;
  /** returns why sandboxes may not be created on this host, or undefined when they may */
  sandboxGate: () => Promise<string | undefined>;
}

export interface Progress {
  currentStep: string | null;
  completed: string[];
  /** completed once, reopened by a restart at an earlier step: to do again (protocol/http.ts) */
  redo: string[];
}

export interface SessionView {
  id: string;
  lab: string;
  hosts: string[];
  status: SessionRow['status'];
  expiresAt: string;
  idleExpiresAt: string;
  progress: Progress;
  history: Array<{ step: string; at: string; pass: boolean }>;
  endReason?: string;
  /** troubleshooting labs: per step, the faults this session drew (symptoms and checks only) */
  faults?: Record<string, DrawnFaultView[]>;
}

export interface CheckResponse {
  step: string;
  pass: boolean;
  results: CheckResult[];
  progress: Progress;
}

export interface RestartResponse {
  /** the session's id from now on (its new sandbox's id); the token stays the same */
  id: string;
  step: string;
  hosts: string[];
  expiresAt: string;
  progress: Progress;
}

export interface SolveResponse {
  step: string;
  ok: boolean;
  output: string;
  progress: Progress;
}

interface Live {
  sandbox: Sandbox;
  entry: CatalogEntry;
  /** serialises check/solve/setup on one session */
  queue: Promise<unknown>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export class SessionService {
  private live = new Map<string, Live>();
  private lastActive = new Map<string, { at: number; flushed: number }>();
  private readonly limiter: RateLimiter;
  private readonly endHooks: Array<(sessionId: string, reason: string) => Promise<void> | void> = [];

  constructor(
    readonly store: SessionStore,
    readonly catalog: Catalog,
    readonly providers: ProviderRegistry,
    readonly config: ServiceConfig,
    readonly log: Logger,
    /** ready sandboxes to hand out before creating one */
    readonly pool?: WarmPool,
  ) {
    this.limiter = new RateLimiter(config.createBurst, config.createPerMinute);
  }

  get liveCount(): number {
    return this.store.countLive();
  }

  refOf(row: SessionRow): SandboxRef {
    return { provider: row.provider as ProviderName, sessionId: row.id, labId: row.labId };
  }

  /** runs `hook` whenever a session ends, before its sandbox is destroyed (in the order added): its terminals close, metrics count it */
  onEnd(hook: (sessionId: string, reason: string) => Promise<void> | void): void {
    this.endHooks.push(hook);
  }

  /** every hook runs, even after one failed; the first failure is thrown at the end */
  private async ended(sessionId: string, reason: string): Promise<void> {
    const failures: unknown[] = [];
    for (const hook of this.endHooks) await (async () => hook(sessionId, reason))().catch((err: unknown) => failures.push(err));
    if (failures.length) throw failures[0];
  }

  /**
   * Makes the providers' sandboxes and the session database agree (at start, and now and then from
   * the reaper): sandboxes of live sessions are re-adopted, orphans removed (reconcile.ts).
   */
  reconcile(opts: { startup: boolean }): Promise<ReconcileReport> {
    return reconcileSandboxes(
      {
        store: this.store,
        catalog: this.catalog,
        providers: this.providers,
        pool: this.pool,
        log: this.log,
        lapsed: (row, now) => (now >= row.expiresAt ? 'expired' : now >= this.lastActiveAt(row) + this.config.idleMs ? 'idle' : undefined),
        isLive: (id) => this.live.has(id),
        adopt: (row, sandbox, entry) => void this.live.set(row.id, { sandbox, entry: withDraw(entry, row), queue: Promise.resolve() }),
      },
      opts,
    );
  }

  async create(labId: string, locale: Locale, client: string): Promise<{ row: SessionRow; token: string }> {
    await this.catalog.refresh();
    const entry = this.catalog.get(labId);
    if (!entry) throw new ServiceError(404, 'lab_not_found', `no lab with id "${labId}"`);
    if (!entry.available) throw new ServiceError(503, 'lab_unavailable', `lab "${labId}" cannot run on this server: ${entry.unavailableReason}`);
    const gate = await this.config.sandboxGate();
    if (gate) throw new ServiceError(503, 'sandboxes_disabled', gate);
    const perClient = this.config.maxSessionsPerClient ?? 0;
    if (perClient > 0 && this.store.countLiveOf(client) >= perClient) {
      throw new ServiceError(429, 'too_many_sessions', `${client} already has ${perClient} live sessions; end one first (DELETE /api/sessions/:id)`, 30);
    }
    const wait = this.limiter.take(client);
    if (wait > 0) {
      throw new ServiceError(429, 'rate_limited', `too many sessions created from ${client}; try again in ${wait} s`, wait);
    }
    if (this.store.countLive() >= this.config.maxSessions) {
      throw new ServiceError(503, 'server_full', `the server is at its limit of ${this.config.maxSessions} concurrent sessions; try again later`, 30);
    }
    const now = Date.now();
    const token = newToken();
    const row: SessionRow = {
      id: newSessionId(),
      tokenHash: hashToken(token),
      labId,
      provider: entry.lab.environment.provider,
      hosts: entry.lab.environment.hosts.map((h) => h.name),
      status: 'starting',
      locale,
      client,
      createdAt: now,
      expiresAt: now + this.config.ttlMs,
      lastActiveAt: now,
      endedAt: null,
      endReason: null,
    };
    // troubleshooting labs: the faults this session sees, drawn from its id and kept with its row
    row.faults = drawLab(entry.lab, row.id);
    const pooled = this.pool?.take(labId);
    if (pooled) {
      // the session takes the pooled sandbox's id (its Docker objects are labelled with it)
      const claimed: SessionRow = { ...row, id: pooled.id, status: 'ready', hosts: [...pooled.sandbox.hosts], faults: drawLab(entry.lab, pooled.id) };
      if (this.store.claimPooled(pooled.id, claimed, entry.lab.steps[0]?.id, now)) {
        const live: Live = { sandbox: pooled.sandbox, entry: withDraw(entry, claimed), queue: Promise.resolve() };
        this.live.set(claimed.id, live);
        // a pooled sandbox was prepared before any draw: the first step's faults are injected now
        const inject = injectsOf(live.entry.lab.steps[0]!);
        const r = inject.length ? await runActions(inject, live.sandbox, live.entry.lab) : undefined;
        if (r && !r.ok) {
          await this.end(claimed.id, `fault injection failed: ${r.error}`);
          throw new ServiceError(500, 'sandbox_failed', `the lab environment could not start: fault injection failed: ${r.error}`);
        }
        this.log.info({ session: claimed.id, lab: labId, pooled: true }, 'session ready');
        return { row: claimed, token };
      }
      await this.pool!.discard(pooled);
    }
    this.store.insert(row);
    const log = this.log.child({ session: row.id, lab: labId });
    const provider = await this.providers.get(entry.lab.environment.provider);
    const signal = AbortSignal.timeout(this.config.createTimeoutMs);
    let sandbox: Sandbox | undefined;
    try {
      sandbox = await provider.create(entry.lab, { sessionId: row.id, labDir: entry.dir, signal, onProgress: (m) => log.debug(m) });
      const live: Live = { sandbox, entry: withDraw(entry, row), queue: Promise.resolve() };
      this.live.set(row.id, live);
      if (entry.lab.setup.length) {
        const r = await runLabSetup({ lab: entry.lab, sandbox, signal });
        if (!r.ok) throw new Error(`lab setup failed: ${r.error}`);
      }
      await this.setupStep(row.id, live, live.entry.lab.steps[0]!);
      // the row may have been ended (DELETE) while the sandbox was starting
      if (this.store.get(row.id)?.status !== 'starting') throw new Error('the session was ended while it started');
      this.store.setStatus(row.id, 'ready');
      row.status = 'ready';
      if (sandbox.hosts.length) row.hosts = [...sandbox.hosts];
      log.info({ hosts: row.hosts }, 'session ready');
      return { row, token };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      log.error({ err: why }, 'session failed to start');
      this.live.delete(row.id);
      this.store.setStatus(row.id, 'failed', why);
      await provider.destroy(this.refOf(row)).catch((e: unknown) => log.error({ err: String(e) }, 'cleanup after failed start'));
      throw new ServiceError(500, 'sandbox_failed', `the lab environment could not start: ${why}`);
    }
  }

  /** the session if `token` opens it; 404 for unknown ids, 401 for a wrong or missing token */
  authorize(id: string, token: string | undefined): SessionRow {
    const row = this.store.get(id);
    if (!row) throw new ServiceError(404, 'session_not_found', `no session with id "${id}"`);
    if (!token) throw new ServiceError(401, 'unauthorized', 'this session needs its token (Authorization: Bearer <token>)');
    if (!tokenMatches(token, row.tokenHash)) throw new ServiceError(401, 'unauthorized', 'the token does not open this session');
    return row;
  }

  touch(id: string, now = Date.now()): void {
    const a = this.lastActive.get(id) ?? { at: 0, flushed: 0 };
    a.at = Math.max(a.at, now);
    // keystrokes touch often: write through to SQLite at most every 10 s
    if (a.at - a.flushed >= 10_000) {
      this.store.touch(id, a.at);
      a.flushed = a.at;
    }
    this.lastActive.set(id, a);
  }

  lastActiveAt(row: SessionRow): number {
    return Math.max(row.lastActiveAt, this.lastActive.get(row.id)?.at ?? 0);
  }

  view(row: SessionRow): SessionView {
    const entry = this.catalog.get(row.labId);
    return {
      id: row.id,
      lab: row.labId,
      hosts: row.hosts,
      status: row.status,
      expiresAt: iso(row.expiresAt),
      idleExpiresAt: iso(Math.min(row.expiresAt, this.lastActiveAt(row) + this.config.idleMs)),
      progress: this.progress(row, entry),
      history: this.store
        .history(row.id)
        .filter((h) => h.action === 'check')
        .map((h) => ({ step: h.stepId, at: iso(h.at), pass: h.pass })),
      ...(row.endReason ? { endReason: row.endReason } : {}),
      ...(entry && hasFaults(entry.lab) ? { faults: drawnView(entry.lab, resolveDraw(entry.lab, row.faults, row.id)) } : {}),
    };
  }

  progress(row: SessionRow, entry = this.catalog.get(row.labId)): Progress {
    const done = new Set(this.store.progress(row.id).filter((p) => p.completedAt !== null).map((p) => p.stepId));
    const passed = this.store.passedSteps(row.id);
    const steps = entry?.lab.steps ?? [];
    return {
      currentStep: steps.find((s) => !done.has(s.id))?.id ?? null,
      completed: steps.filter((s) => done.has(s.id)).map((s) => s.id),
      redo: steps.filter((s) => !done.has(s.id) && passed.has(s.id)).map((s) => s.id),
    };
  }

  /** the live sandbox of a ready session */
  sandboxOf(row: SessionRow): Sandbox {
    return this.requireLive(row).sandbox;
  }

  async check(row: SessionRow, stepId: string, locale: Locale): Promise<CheckResponse> {
    const { live, step } = this.unlockedStep(row, stepId);
    return this.serial(live, async () => {
      const results = await checkStep({ lab: live.entry.lab, sandbox: live.sandbox, locale }, step);
      const pass = results.every((r) => r.pass);
      // a check that failed may have failed on a dead sandbox: say so instead of Docker's 409
      if (!pass) await this.requireRunning(row);
      const at = Date.now();
      this.store.addHistory(row.id, { stepId, action: 'check', at, pass, detail: results.map((r) => ({ id: r.id, pass: r.pass, actual: r.actual })) });
      if (pass) {
        this.store.markCompleted(row.id, stepId, at);
        const steps = live.entry.lab.steps;
        const next = steps[steps.findIndex((s) => s.id === stepId) + 1];
        if (next) await this.setupStep(row.id, live, next);
      }
      return { step: stepId, pass, results, progress: this.progress(row, live.entry) };
    });
  }

  async solve(row: SessionRow, stepId: string): Promise<SolveResponse> {
    const { live, step } = this.unlockedStep(row, stepId);
    return this.serial(live, async () => {
      const r = await runSolve({ lab: live.entry.lab, sandbox: live.sandbox }, step);
      this.store.addHistory(row.id, { stepId, action: 'solve', at: Date.now(), pass: r.ok, detail: { error: r.error ?? null } });
      return { step: stepId, ok: r.ok, output: outputOf(r), progress: this.progress(row, live.entry) };
    });
  }

  /**
   * Replaces the session's sandbox with a fresh one brought to the start of `stepId` (lab setup, then
   * setup + solve of each earlier step, then the step's setup). When the restart menu prepared one
   * for this step (prepareRestart), that one is used, as soon as it is ready. Otherwise a ready
   * sandbox of the lab's warm pool is taken when there is one (its lab setup and first setup
   * already ran, its first shell is open), else one is created. The fast-forward runs batched,
   * without check polling, but the last solved step's checks must pass (bringToStep's `verify`): a
   * solve that did not land is an error, not a silently broken sandbox. The session continues under
   * the new sandbox's id with the same token; steps before `stepId` count as completed, it and the
   * steps after it are reopened ("redo" in the progress; the history keeps their passing checks).
   * The old sandbox is removed in the background after the swap; when the new one cannot be
   * prepared, it is removed and the old one stays.
   */
  async restart(row: SessionRow, stepId: string): Promise<RestartResponse> {
    const { live, step } = this.unlockedStep(row, stepId, true);
    const lab = live.entry.lab;
    const index = lab.steps.indexOf(step);
    return this.serial(live, async () => {
      const t0 = Date.now();
      const log = this.log.child({ session: row.id, lab: row.labId, step: stepId });
      const provider = await this.providers.get(row.provider as ProviderName);
      const spare = this.spares.get(row.id);
      if (spare) this.spares.delete(row.id);
      if (spare) clearTimeout(spare.timer);
      let got: { id: string; sandbox: Sandbox } | undefined;
      try {
        if (spare?.stepId === stepId) got = await spare.ready.catch((err: unknown) => void log.warn({ err: String(err) }, 'the prepared sandbox failed; preparing another'));
        else if (spare) this.dropSpare(spare);
        got ??= await this.sandboxAtStep(row, live, index);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        log.error({ err: why }, 'restart failed; the old sandbox stays');
        throw new ServiceError(500, 'restart_failed', `the sandbox could not be restarted at step "${stepId}" (your current sandbox is untouched): ${why}`);
      }
      const { id, sandbox } = got;
      // the learner may have ended the session meanwhile
      if (this.store.get(row.id)?.status !== 'ready') {
        this.dropSpare({ ready: Promise.resolve(got) });
        throw new ServiceError(410, 'session_ended', `session "${row.id}" has ended`);
      }
      const reason = `restarted at step ${index + 1} (${stepId}) as session ${id}`;
      const ids = lab.steps.map((s) => s.id);
      this.store.moveSession(row.id, id, ids.slice(0, index + 1), reason, Date.now(), { solved: ids.slice(0, index), reopened: ids.slice(index) });
      this.live.delete(row.id);
      this.live.set(id, { sandbox, entry: live.entry, queue: Promise.resolve() });
      const last = this.lastActive.get(row.id);
      this.lastActive.delete(row.id);
      if (last) this.lastActive.set(id, last);
      await this.ended(row.id, reason).catch((err: unknown) => log.warn({ err: String(err) }, 'closing terminals'));
      // the learner waits for the new sandbox, not for the removal of the old one (settled() awaits it at shutdown)
      this.track(provider.destroy(this.refOf(row)).catch((err: unknown) => log.error({ err: String(err) }, 'destroy of the old sandbox failed; the next reconcile retries')));
      const moved = this.store.get(id)!;
      log.info({ restart: id, hosts: sandbox.hosts, ms: Date.now() - t0, prepared: spare?.stepId === stepId }, 'session restarted');
      return { id, step: stepId, hosts: [...sandbox.hosts], expiresAt: iso(moved.expiresAt), progress: this.progress(moved, live.entry) };
    });
  }

  /**
   * A sandbox at the start of step `index` for the session, under a new id whose row is `starting`
   * meanwhile (so that a reconcile leaves it alone): from the warm pool when it has one, else
   * created. On failure it is removed and the error (one line) thrown.
   */
  private async sandboxAtStep(row: SessionRow, live: Live, index: number): Promise<{ id: string; sandbox: Sandbox }> {
    const lab = live.entry.lab;
    const { endedAt: _endedAt, endReason: _endReason, ...current } = this.store.get(row.id) ?? row;
    const starting = (id: string): Omit<SessionRow, 'endedAt' | 'endReason'> => ({ ...current, id, status: 'starting', lastActiveAt: Date.now() });
    let pooled = this.pool?.take(row.labId, 'restart', row.id);
    if (pooled && !this.store.claimPooled(pooled.id, starting(pooled.id), undefined)) {
      await this.pool!.discard(pooled);
      pooled = undefined;
    }
    const id = pooled?.id ?? newSessionId();
    if (!pooled) this.store.insert(starting(id));
    const log = this.log.child({ session: row.id, lab: row.labId, restart: id, step: lab.steps[index]!.id, pooled: pooled !== undefined });
    const provider = await this.providers.get(row.provider as ProviderName);
    const signal = AbortSignal.timeout(this.config.createTimeoutMs);
    try {
      const t0 = Date.now();
      const sandbox = pooled?.sandbox ?? (await provider.create(lab, { sessionId: id, labDir: live.entry.dir, signal, onProgress: (m) => log.debug(m) }));
      // a pooled sandbox ran the plain first setup: this session's faults of step 1 go in now, before its solve
      const inject = pooled ? injectsOf(lab.steps[0]!) : [];
      const injected = inject.length ? await runActions(inject, sandbox, lab, signal) : undefined;
      if (injected && !injected.ok) throw new Error(`fault injection failed: ${injected.error}`);
      const t1 = Date.now();
      const ff = await bringToStep({ lab, sandbox, signal }, index, { prepared: pooled !== undefined, verify: true });
      if (!ff.ok) throw new Error(ff.error);
      log.debug({ createMs: t1 - t0, fastForwardMs: Date.now() - t1 }, 'restart: sandbox at the step');
      return { id, sandbox };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.store.setStatus(id, 'failed', `restart failed: ${why}`);
      pooled?.sandbox.dropShells();
      await provider.destroy({ ...this.refOf(row), sessionId: id }).catch((e: unknown) => log.error({ err: String(e) }, 'cleanup after failed restart'));
      throw new Error(why);
    }
  }

  /**
   * The learner opened the restart menu of `stepId` (the confirmation is on screen): a sandbox is
   * brought to that step meanwhile, so that the restart, once confirmed, only swaps it in. One per
   * session (another step replaces it), PREWARM_MAX on the server (beyond, the warm pool is only
   * asked for one more sandbox of the lab); unused, it is removed after PREWARM_TTL_MS.
   */
  prepareRestart(row: SessionRow, stepId: string): { preparing: boolean } {
    const { live, step } = this.unlockedStep(row, stepId, true);
    const had = this.spares.get(row.id);
    if (had?.stepId === stepId) {
      clearTimeout(had.timer);
      had.timer = this.spareTimer(row.id);
      return { preparing: true };
    }
    if (had) {
      this.spares.delete(row.id);
      clearTimeout(had.timer);
      this.dropSpare(had);
    }
    if (this.spares.size >= PREWARM_MAX) return { preparing: this.pool?.prewarm(row.labId, row.id) ?? false };
    const ready = this.sandboxAtStep(row, live, live.entry.lab.steps.indexOf(step));
    ready.catch(() => undefined); // restart() reports it, or the timer drops it
    this.spares.set(row.id, { stepId, ready, timer: this.spareTimer(row.id) });
    return { preparing: true };
  }

  /** sandboxes prepared by restart menus, by session id */
  private readonly spares = new Map<string, { stepId: string; ready: Promise<{ id: string; sandbox: Sandbox }>; timer: NodeJS.Timeout }>();

  private spareTimer(session: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const spare = this.spares.get(session);
      if (!spare) return;
      this.spares.delete(session);
      this.dropSpare(spare);
    }, PREWARM_TTL_MS);
    timer.unref();
    return timer;
  }

  /** removes a prepared sandbox nobody will use */
  private dropSpare(spare: { ready: Promise<{ id: string; sandbox: Sandbox }> }): void {
    this.track(
      spare.ready.then(
        async ({ id, sandbox }) => {
          this.store.setStatus(id, 'ended', 'prepared for a restart that did not come');
          if (sandbox instanceof PooledSandbox) sandbox.dropShells();
          const provider = await this.providers.get(sandbox.ref.provider);
          await provider.destroy(sandbox.ref).catch((err: unknown) => this.log.error({ restart: id, err: String(err) }, 'cannot remove a prepared sandbox; the next reconcile retries'));
        },
        () => undefined,
      ),
    );
  }

  /** old sandboxes of restarted sessions and unused prepared ones still being removed */
  private readonly removals = new Set<Promise<void>>();

  private track(removal: Promise<void>): void {
    this.removals.add(removal);
    void removal.finally(() => this.removals.delete(removal));
  }

  /** resolves when the old sandboxes of restarts and unused prepared ones are removed (shutdown waits for it) */
  async settled(): Promise<void> {
    for (const [session, spare] of this.spares) {
      this.spares.delete(session);
      clearTimeout(spare.timer);
      this.dropSpare(spare);
    }
    await Promise.all([...this.removals]);
  }

  /** ends a session: no more access, terminals closed, sandbox destroyed (idempotent) */
  async end(id: string, reason: string): Promise<void> {
    const row = this.store.get(id);
    if (!row) return;
    if (row.status === 'starting' || row.status === 'ready') this.store.setStatus(id, 'ended', reason);
    const live = this.live.get(id);
    this.live.delete(id);
    this.lastActive.delete(id);
    const spare = this.spares.get(id);
    if (spare) {
      this.spares.delete(id);
      clearTimeout(spare.timer);
      this.dropSpare(spare);
    }
    await this.ended(id, reason).catch((err: unknown) => this.log.warn({ session: id, err: String(err) }, 'closing terminals'));
    if (live || row.status === 'starting' || row.status === 'ready') {
      const provider = await this.providers.get(row.provider as ProviderName);
      await provider.destroy(this.refOf(row)).catch((err: unknown) => this.log.error({ session: id, err: String(err) }, 'destroy failed; the next reconcile retries'));
    }
    this.log.info({ session: id, reason }, 'session ended');
  }

  /** a live session's sandbox stopped on its own: end the session, saying why */
  async sandboxStopped(id: string, reason: string): Promise<void> {
    const row = this.store.get(id);
    if (!row || row.status !== 'ready') return; // ended already (its own destroy), or still starting (creation fails by itself)
    this.log.warn({ session: id, reason }, 'sandbox stopped');
    await this.end(id, `your sandbox stopped: ${reason}`);
  }

  /** throws 410 with the reason when the session's sandbox has stopped (and ends the session) */
  async requireRunning(row: SessionRow): Promise<void> {
    const now = this.store.get(row.id);
    if (now && (now.status === 'ended' || now.status === 'failed')) this.requireLive(now); // 410 with its reason
    const live = this.live.get(row.id);
    if (!live) return;
    const provider = await this.providers.get(row.provider as ProviderName);
    const [stopped] = (await provider.stopped?.(new Map([[row.id, live.sandbox.hosts]])).catch(() => [])) ?? [];
    if (!stopped) return;
    await this.sandboxStopped(row.id, stopped.reason);
    throw new ServiceError(410, 'session_ended', `session "${row.id}" has ended (your sandbox stopped: ${stopped.reason})`);
  }

  /** asks the providers which live sessions' sandboxes stopped (events can be missed) and ends them; with `disk`, also which use too much disk */
  async sweepStopped(opts: { disk?: boolean } = {}): Promise<void> {
    const byProvider = new Map<ProviderName, Map<string, string[]>>();
    for (const row of this.store.live()) {
      if (row.status !== 'ready' || !this.live.has(row.id)) continue;
      const p = row.provider as ProviderName;
      if (!byProvider.has(p)) byProvider.set(p, new Map());
      byProvider.get(p)!.set(row.id, this.live.get(row.id)!.sandbox.hosts);
    }
    for (const [name, sessions] of byProvider) {
      const provider = await this.providers.get(name);
      for (const e of (await provider.stopped?.(sessions)) ?? []) await this.sandboxStopped(e.sessionId, e.reason);
      if (opts.disk) for (const e of (await provider.overQuota?.(sessions)) ?? []) await this.sandboxStopped(e.sessionId, e.reason);
    }
  }

  /** sessions past their TTL or idle timeout */
  due(now = Date.now()): Array<{ row: SessionRow; reason: string }> {
    const out: Array<{ row: SessionRow; reason: string }> = [];
    for (const row of this.store.live()) {
      if (row.status !== 'ready') continue;
      if (now >= row.expiresAt) out.push({ row, reason: 'expired' });
      else if (now >= this.lastActiveAt(row) + this.config.idleMs) out.push({ row, reason: 'idle' });
    }
    return out;
  }

  private requireLive(row: SessionRow): Live {
    if (row.status === 'ended' || row.status === 'failed') {
      throw new ServiceError(410, 'session_ended', `session "${row.id}" has ended${row.endReason ? ` (${row.endReason})` : ''}`);
    }
    const live = this.live.get(row.id);
    if (row.status !== 'ready' || !live) throw new ServiceError(409, 'session_not_ready', `session "${row.id}" is still starting`);
    return live;
  }

  /** `reached`: a step to do again counts as done (restart may fast-forward through it; check and solve may not) */
  private unlockedStep(row: SessionRow, stepId: string, reached = false): { live: Live; step: Step } {
    const live = this.requireLive(row);
    const steps = live.entry.lab.steps;
    const i = steps.findIndex((s) => s.id === stepId);
    if (i < 0) throw new ServiceError(404, 'step_not_found', `lab "${row.labId}" has no step "${stepId}"`);
    const p = this.progress(row, live.entry);
    const done = new Set([...p.completed, ...(reached ? p.redo : [])]);
    const blocking = steps.slice(0, i).find((s) => !done.has(s.id));
    if (blocking) throw new ServiceError(409, 'step_locked', `step "${stepId}" is locked: complete "${blocking.id}" first`);
    return { live, step: steps[i]! };
  }

  private async setupStep(id: string, live: Live, step: Step): Promise<void> {
    if (this.store.progress(id).some((p) => p.stepId === step.id && p.setupDoneAt !== null)) return;
    if (step.setup.length) {
      const r = await runStepSetup({ lab: live.entry.lab, sandbox: live.sandbox }, step);
      if (!r.ok) throw new ServiceError(500, 'setup_failed', `the setup of step "${step.id}" failed: ${r.error}`);
    }
    this.store.markSetupDone(id, step.id);
  }

  private serial<T>(live: Live, fn: () => Promise<T>): Promise<T> {
    const run = live.queue.then(fn, fn);
    live.queue = run.catch(() => undefined);
    return run;
  }
}

/** the catalog entry as this session sees it: its drawn faults, and only those, in the lab's steps */
function withDraw(entry: CatalogEntry, row: SessionRow): CatalogEntry {
  return hasFaults(entry.lab) ? { ...entry, lab: labWithFaults(entry.lab, resolveDraw(entry.lab, row.faults, row.id)) } : entry;
}

function outputOf(r: ActionsResult): string {
  const parts = r.actions.map((a) => [`$ ${a.command}`, a.stdout, a.stderr].filter(Boolean).join('\n'));
  if (r.error) parts.push(`error: ${r.error}`);
  return parts.join('\n');
}

export type { Provider };
