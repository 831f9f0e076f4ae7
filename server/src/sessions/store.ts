// Sessions in SQLite (better-sqlite3, synchronous): state, expiry, progress, check history.
// Every mutation is one statement or one transaction, so a `kill -9` at any point leaves a
// consistent file (WAL journal). Schema changes are numbered migrations tracked in user_version.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type SessionStatus = 'starting' | 'ready' | 'failed' | 'ended';

export interface SessionRow {
  id: string;
  tokenHash: string;
  labId: string;
  provider: string;
  hosts: string[];
  status: SessionStatus;
  locale: string;
  client: string;
  createdAt: number;
  expiresAt: number;
  lastActiveAt: number;
  endedAt: number | null;
  endReason: string | null;
  /** troubleshooting labs: step id → the fault ids drawn for this session (kept across restarts) */
  faults?: Record<string, string[]>;
}

export interface StepProgressRow {
  stepId: string;
  setupDoneAt: number | null;
  completedAt: number | null;
}

export interface PoolRow {
  id: string;
  labId: string;
  /** hash of the lab definition and files the sandbox was prepared from */
  labHash: string;
  provider: string;
  /** warming: being created by this process; ready: prepared, waiting for a learner */
  state: 'warming' | 'ready';
  createdAt: number;
}

export interface HistoryRow {
  stepId: string;
  action: 'check' | 'solve';
  at: number;
  pass: boolean;
  detail: unknown;
}

export const MIGRATIONS: string[] = [
  `CREATE TABLE sessions (
     id TEXT PRIMARY KEY,
     token_hash TEXT NOT NULL,
     lab_id TEXT NOT NULL,
     provider TEXT NOT NULL,
     hosts TEXT NOT NULL,
     status TEXT NOT NULL,
     locale TEXT NOT NULL,
     client TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     last_active_at INTEGER NOT NULL,
     ended_at INTEGER,
     end_reason TEXT
   );
   CREATE INDEX sessions_status ON sessions(status);
   CREATE TABLE step_progress (
     session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
     step_id TEXT NOT NULL,
     setup_done_at INTEGER,
     completed_at INTEGER,
     PRIMARY KEY (session_id, step_id)
   );
   CREATE TABLE history (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
     step_id TEXT NOT NULL,
     action TEXT NOT NULL,
     at INTEGER NOT NULL,
     pass INTEGER NOT NULL,
     detail TEXT NOT NULL
   );
   CREATE INDEX history_session ON history(session_id, id);`,
  // warm pool: sandboxes prepared ahead of any session (their id becomes the session id at claim)
  `CREATE TABLE pool (
     id TEXT PRIMARY KEY,
     lab_id TEXT NOT NULL,
     lab_hash TEXT NOT NULL,
     provider TEXT NOT NULL,
     state TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );`,
  // the faults drawn for a session (JSON: step id → fault ids); a restarted session's row copies them
  `ALTER TABLE sessions ADD COLUMN faults TEXT NOT NULL DEFAULT '{}';`,
];

interface RawSession {
  id: string;
  token_hash: string;
  lab_id: string;
  provider: string;
  hosts: string;
  status: SessionStatus;
  locale: string;
  client: string;
  created_at: number;
  expires_at: number;
  last_active_at: number;
  ended_at: number | null;
  end_reason: string | null;
  faults: string;
}

function toRow(r: RawSession): SessionRow {
  return {
    id: r.id,
    tokenHash: r.token_hash,
    labId: r.lab_id,
    provider: r.provider,
    hosts: JSON.parse(r.hosts) as string[],
    status: r.status,
    locale: r.locale,
    client: r.client,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastActiveAt: r.last_active_at,
    endedAt: r.ended_at,
    endReason: r.end_reason,
    faults: JSON.parse(r.faults) as Record<string, string[]>,
  };
}

export class SessionStore {
  readonly db: Database.Database;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new Error(`the session database has schema version ${current}, newer than this netdojo (${MIGRATIONS.length})`);
    }
    for (let v = current; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  insert(s: Omit<SessionRow, 'endedAt' | 'endReason'>): void {
    this.db
      .prepare(
        `INSERT INTO sessions (id, token_hash, lab_id, provider, hosts, status, locale, client, created_at, expires_at, last_active_at, faults)
         VALUES (@id, @tokenHash, @labId, @provider, @hosts, @status, @locale, @client, @createdAt, @expiresAt, @lastActiveAt, @faults)`,
      )
      .run({ ...s, hosts: JSON.stringify(s.hosts), faults: JSON.stringify(s.faults ?? {}) });
  }

  get(id: string): SessionRow | undefined {
    const r = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as RawSession | undefined;
    return r && toRow(r);
  }

  /** sessions that hold (or are getting) a sandbox */
  live(): SessionRow[] {
    return (this.db.prepare(`SELECT * FROM sessions WHERE status IN ('starting', 'ready') ORDER BY created_at`).all() as RawSession[]).map(toRow);
  }

  countLiveOf(client: string): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM sessions WHERE status IN ('starting', 'ready') AND client = ?`).get(client) as { n: number }).n;
  }

  countLive(): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM sessions WHERE status IN ('starting', 'ready')`).get() as { n: number }).n;
  }

  setStatus(id: string, status: SessionStatus, endReason?: string, at = Date.now()): void {
    if (status === 'ended' || status === 'failed') {
      this.db.prepare('UPDATE sessions SET status = ?, ended_at = ?, end_reason = ? WHERE id = ?').run(status, at, endReason ?? null, id);
    } else {
      this.db.prepare('UPDATE sessions SET status = ? WHERE id = ?').run(status, id);
    }
  }

  touch(id: string, at: number): void {
    this.db.prepare('UPDATE sessions SET last_active_at = max(last_active_at, ?) WHERE id = ?').run(at, id);
  }

  progress(id: string): StepProgressRow[] {
    return (
      this.db.prepare('SELECT step_id, setup_done_at, completed_at FROM step_progress WHERE session_id = ?').all(id) as Array<{
        step_id: string;
        setup_done_at: number | null;
        completed_at: number | null;
      }>
    ).map((r) => ({ stepId: r.step_id, setupDoneAt: r.setup_done_at, completedAt: r.completed_at }));
  }

  markSetupDone(id: string, stepId: string, at = Date.now()): void {
    this.db
      .prepare(
        `INSERT INTO step_progress (session_id, step_id, setup_done_at) VALUES (?, ?, ?)
         ON CONFLICT (session_id, step_id) DO UPDATE SET setup_done_at = excluded.setup_done_at`,
      )
      .run(id, stepId, at);
  }

  markCompleted(id: string, stepId: string, at = Date.now()): void {
    this.db
      .prepare(
        `INSERT INTO step_progress (session_id, step_id, completed_at) VALUES (?, ?, ?)
         ON CONFLICT (session_id, step_id) DO UPDATE SET completed_at = coalesce(completed_at, excluded.completed_at)`,
      )
      .run(id, stepId, at);
  }

  addHistory(id: string, h: HistoryRow): void {
    this.db
      .prepare('INSERT INTO history (session_id, step_id, action, at, pass, detail) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, h.stepId, h.action, h.at, h.pass ? 1 : 0, JSON.stringify(h.detail));
  }

  history(id: string, limit = 200): HistoryRow[] {
    return (
      this.db
        .prepare('SELECT step_id, action, at, pass, detail FROM history WHERE session_id = ? ORDER BY id DESC LIMIT ?')
        .all(id, limit) as Array<{ step_id: string; action: 'check' | 'solve'; at: number; pass: number; detail: string }>
    )
      .reverse()
      .map((r) => ({ stepId: r.step_id, action: r.action, at: r.at, pass: r.pass === 1, detail: JSON.parse(r.detail) as unknown }));
  }

  /** steps whose checks passed at least once in this session (completed once, whatever restarts came after) */
  passedSteps(id: string): Set<string> {
    const rows = this.db.prepare(`SELECT DISTINCT step_id FROM history WHERE session_id = ? AND action = 'check' AND pass = 1`).all(id) as Array<{ step_id: string }>;
    return new Set(rows.map((r) => r.step_id));
  }

  /** ended/failed sessions older than `before` are deleted with their progress (retention) */
  purgeEndedBefore(before: number): number {
    return this.db.prepare(`DELETE FROM sessions WHERE status IN ('ended', 'failed') AND ended_at < ?`).run(before).changes;
  }

  poolInsert(p: PoolRow): void {
    this.db
      .prepare('INSERT INTO pool (id, lab_id, lab_hash, provider, state, created_at) VALUES (@id, @labId, @labHash, @provider, @state, @createdAt)')
      .run(p);
  }

  poolSetState(id: string, state: PoolRow['state']): void {
    this.db.prepare('UPDATE pool SET state = ? WHERE id = ?').run(state, id);
  }

  poolGet(id: string): PoolRow | undefined {
    const r = this.db.prepare('SELECT * FROM pool WHERE id = ?').get(id) as
      | { id: string; lab_id: string; lab_hash: string; provider: string; state: PoolRow['state']; created_at: number }
      | undefined;
    return r && { id: r.id, labId: r.lab_id, labHash: r.lab_hash, provider: r.provider, state: r.state, createdAt: r.created_at };
  }

  poolAll(): PoolRow[] {
    return (this.db.prepare('SELECT id FROM pool ORDER BY created_at').all() as Array<{ id: string }>).map((r) => this.poolGet(r.id)!);
  }

  poolDelete(id: string): void {
    this.db.prepare('DELETE FROM pool WHERE id = ?').run(id);
  }

  /**
   * Hands a pooled sandbox to a new session in one transaction: the pool row goes, the session row
   * (whose id is the pooled sandbox's id) comes with its first step's setup recorded as done.
   * False when the pool row was already gone.
   */
  claimPooled(poolId: string, s: Omit<SessionRow, 'endedAt' | 'endReason'>, firstStep: string | undefined, at = Date.now()): boolean {
    return this.db.transaction(() => {
      if (this.db.prepare(`DELETE FROM pool WHERE id = ? AND state = 'ready'`).run(poolId).changes !== 1) return false;
      this.insert(s);
      if (firstStep) this.markSetupDone(s.id, firstStep, at);
      return true;
    })();
  }

  /**
   * A restarted session continues under `newId`, the row of its new sandbox (inserted as `starting`
   * while that sandbox was prepared), in one transaction: progress and history move to it, only the
   * steps in `setupDone` (those the new sandbox was brought through) count as set up, it becomes
   * ready, and the old row ends with `reason`. Steps in `solved` (fast-forwarded: their solution is
   * in the new sandbox) count as completed; steps in `reopened` (the restart step and those after
   * it) no longer do: their state is not in the new sandbox. That they were completed once stays in
   * the history (their passing checks).
   */
  moveSession(oldId: string, newId: string, setupDone: readonly string[], reason: string, at = Date.now(), steps: { solved?: readonly string[]; reopened?: readonly string[] } = {}): void {
    this.db.transaction(() => {
      if (this.get(newId)?.status !== 'starting') throw new Error(`session ${newId} is not being prepared`);
      this.setStatus(newId, 'ready');
      this.db.prepare('UPDATE step_progress SET session_id = ?, setup_done_at = NULL WHERE session_id = ?').run(newId, oldId);
      this.db.prepare('UPDATE history SET session_id = ? WHERE session_id = ?').run(newId, oldId);
      for (const step of setupDone) this.markSetupDone(newId, step, at);
      for (const step of steps.solved ?? []) this.markCompleted(newId, step, at);
      const reopen = this.db.prepare('UPDATE step_progress SET completed_at = NULL WHERE session_id = ? AND step_id = ?');
      for (const step of steps.reopened ?? []) reopen.run(newId, step);
      this.setStatus(oldId, 'ended', reason, at);
    })();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
