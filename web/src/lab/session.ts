// The session controller: starts or resumes the lab's sandbox, polls its state, runs Check and
// Solve, and ends it. Progress lives on the server; this keeps only what LabState holds.
import { api, ApiError, type SessionInfo } from '../api.js';
import { announce } from '../dom.js';
import { locale, t } from '../i18n.js';
import { navigate } from '../nav.js';
import { forgetSession, saveSession, type StoredSession } from '../store.js';
import { checkHintKey, revealNext } from './hints.js';
import { currentIndex, type LabState } from './state.js';

const POLL_MS = 30_000;
const CLOCK_MS = 10_000;

/** what the page does when the controller changed the state */
export interface SessionEvents {
  /** everything may have changed */
  render(): void;
  /** the step list and the shown step changed (progress, results) */
  renderSteps(): void;
  /** only the shown step changed (busy, notice) */
  renderStep(): void;
  /** the remaining time may have changed */
  tick(): void;
  openTerminals(hosts: string[], session: StoredSession, banner?: string): void;
  closeTerminals(): void;
}

export class SessionController {
  private disposed = false;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private clockTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly state: LabState,
    private readonly autostart: boolean,
    private readonly events: SessionEvents,
  ) {}

  async init(): Promise<void> {
    const s = this.state;
    try {
      s.lab = await api.lab(s.labId);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) s.phase = 'missing';
      else this.setError(err);
      return this.events.render();
    }
    if (s.session) {
      await this.resume();
    } else if (this.autostart && s.lab.available) {
      await this.start();
    } else {
      s.phase = 'idle';
      this.events.render();
    }
  }

  async start(): Promise<void> {
    const s = this.state;
    if (!s.lab || this.disposed) return;
    s.phase = 'starting';
    s.results.clear();
    s.solveOutput.clear();
    this.events.render();
    try {
      const created = await api.createSession(s.labId, locale());
      s.session = { id: created.id, token: created.token, expiresAt: created.expiresAt };
      saveSession(s.labId, s.session);
      await this.waitReady(await api.session(created.id, created.token));
    } catch (err) {
      s.errorText = t('startFailed', { msg: err instanceof Error ? err.message : String(err) });
      s.phase = 'error';
      this.events.render();
    }
  }

  async poll(): Promise<void> {
    const s = this.state;
    if (!s.session || s.phase !== 'ready' || s.busy === 'restart') return;
    try {
      const info = await api.session(s.session.id, s.session.token);
      if (this.restartedElsewhere(info)) {
        this.events.closeTerminals();
        return await this.waitReady(await api.session(s.session.id, s.session.token));
      }
      this.apply(info);
      if (info.status === 'ended' || info.status === 'failed') this.ended();
      else this.events.tick();
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 401 || err.status === 403)) this.ended();
      // A network blip: the terminals reconnect on their own and the next poll retries.
    }
  }

  async end(): Promise<void> {
    const s = this.state;
    if (!s.session || !window.confirm(t('endConfirm'))) return;
    const session = s.session;
    try {
      await api.deleteSession(session.id, session.token);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) {
        this.setError(err);
        return this.events.render();
      }
    }
    forgetSession(s.labId);
    navigate('/');
  }

  async check(): Promise<void> {
    const s = this.state;
    const step = s.lab?.steps[s.viewIndex];
    if (!step || !s.session || s.busy) return;
    s.busy = 'check';
    s.stepNotice = null;
    s.sandboxNotice = null;
    this.events.renderStep();
    try {
      const res = await api.check(s.session.id, s.session.token, step.id, locale());
      s.results.set(step.id, res);
      s.progress = res.progress ?? s.progress;
      // each failure of a check offers the next level of its hint (the first shows level 1)
      for (const r of res.results) {
        const total = r.hints?.length ?? (r.hint ? 1 : 0);
        if (!r.pass && total) revealNext(s.hintsShown, checkHintKey(step.id, r.id), total);
      }
      const failed = res.results.filter((r) => !r.pass).length;
      announce(failed === 0 ? t('allPassed', { n: res.results.length }) : t('someFailed', { failed, n: res.results.length }));
    } catch (err) {
      s.stepNotice = this.noticeFor(err);
    } finally {
      s.busy = null;
    }
    this.events.renderSteps();
  }

  async solve(): Promise<void> {
    const s = this.state;
    const step = s.lab?.steps[s.viewIndex];
    if (!step || !s.session || s.busy || !window.confirm(t('solveConfirm'))) return;
    s.busy = 'solve';
    s.stepNotice = null;
    this.events.renderStep();
    try {
      const res = await api.solve(s.session.id, s.session.token, step.id);
      s.solveOutput.set(step.id, { ok: res.ok, output: res.output ?? '' });
      s.progress = res.progress ?? s.progress;
    } catch (err) {
      s.stepNotice = this.noticeFor(err);
      s.busy = null;
      return this.events.renderStep();
    }
    s.busy = null;
    await this.check();
  }

  /**
   * A fresh sandbox at the start of step `index` replaces the current one (progress is kept). The
   * terminals close first and reopen on the new sandbox saying so; on failure they reopen on the
   * old one, which the server left running.
   */
  async restart(index: number): Promise<void> {
    const s = this.state;
    const step = s.lab?.steps[index];
    if (!step || !s.session || s.busy) return;
    const n = index + 1;
    // while the learner reads the confirmation, the server prepares a sandbox (best effort)
    void api.prepareRestart(s.session.id, s.session.token, step.id).catch(() => undefined);
    if (!window.confirm(t('restartConfirm', { n }))) return;
    const old = s.session;
    s.busy = 'restart';
    s.stepNotice = null;
    s.sandboxNotice = t('restarting', { n });
    s.viewIndex = index;
    this.events.closeTerminals();
    this.events.renderSteps();
    announce(s.sandboxNotice);
    try {
      const res = await api.restart(old.id, old.token, step.id);
      s.session = { id: res.id, token: old.token, expiresAt: res.expiresAt };
      saveSession(s.labId, s.session);
      s.progress = res.progress;
      // results and solutions of this step and later ones describe the old sandbox
      for (const later of s.lab!.steps.slice(index)) {
        s.results.delete(later.id);
        s.solveOutput.delete(later.id);
      }
      s.sandboxNotice = t('restartedAt', { n });
      this.events.openTerminals(res.hosts, s.session, s.sandboxNotice);
    } catch (err) {
      s.sandboxNotice = null;
      const gone = err instanceof ApiError && [401, 403, 404, 410].includes(err.status);
      // gone: noticeFor ends the page's session; otherwise the old sandbox is still there
      s.stepNotice = gone ? this.noticeFor(err) : t('restartFailed', { msg: err instanceof Error ? err.message : String(err) });
      if (!gone) this.events.openTerminals(s.info?.hosts.length ? s.info.hosts : (s.lab?.hosts ?? []), old);
    } finally {
      s.busy = null;
    }
    announce(s.sandboxNotice ?? s.stepNotice ?? '');
    this.events.renderSteps();
  }

  dispose(): void {
    this.disposed = true;
    this.stopTimers();
  }

  private async resume(): Promise<void> {
    const s = this.state;
    if (!s.session) return;
    s.phase = 'starting';
    this.events.render();
    try {
      await this.waitReady(await api.session(s.session.id, s.session.token));
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 401 || err.status === 403)) {
        forgetSession(s.labId);
        s.session = null;
        s.phase = this.autostart && s.lab?.available ? 'idle' : 'ended';
        if (s.phase === 'idle') return this.start();
        this.events.render();
        return;
      }
      this.setError(err);
      this.events.render();
    }
  }

  private async waitReady(first: SessionInfo): Promise<void> {
    const s = this.state;
    let info = first;
    for (let i = 0; info.status === 'starting' && !this.disposed; i++) {
      await sleep(Math.min(2000, 300 + i * 200));
      info = await api.session(info.id, s.session!.token);
    }
    if (this.disposed) return;
    if (this.restartedElsewhere(info)) return this.waitReady(await api.session(s.session!.id, s.session!.token));
    this.apply(info);
    if (info.status === 'failed') {
      s.errorText = t('startFailed', { msg: info.status });
      s.phase = 'error';
    } else if (info.status === 'ended') {
      this.ended();
      return;
    } else {
      s.phase = 'ready';
      s.viewIndex = currentIndex(s);
      if (s.session) this.events.openTerminals(info.hosts.length ? info.hosts : (s.lab?.hosts ?? []), s.session, s.sandboxNotice ?? undefined);
      this.startTimers();
    }
    this.events.render();
  }

  /**
   * The session was restarted from elsewhere (another tab, the API): it goes on under its new
   * sandbox's id with the same token, so this page follows it. True when it switched.
   */
  private restartedElsewhere(info: SessionInfo): boolean {
    const s = this.state;
    const m = /^restarted at step (\d+) \([^)]*\) as session ([a-z0-9]+)$/.exec(info.endReason ?? '');
    if (info.status !== 'ended' || !m || !s.session || m[2] === s.session.id) return false;
    s.session = { ...s.session, id: m[2]! };
    saveSession(s.labId, s.session);
    s.sandboxNotice = t('restartedAt', { n: Number(m[1]) });
    announce(s.sandboxNotice);
    return true;
  }

  private apply(info: SessionInfo): void {
    this.state.info = info;
    this.state.progress = info.progress ?? this.state.progress;
  }

  private ended(): void {
    const s = this.state;
    forgetSession(s.labId);
    s.session = null;
    s.phase = 'ended';
    this.stopTimers();
    this.events.closeTerminals();
    this.events.render();
    announce(t('sessionEnded'));
  }

  private noticeFor(err: unknown): string {
    if (err instanceof ApiError && err.status === 409) return t('stepLockedError');
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return t('unauthorized');
    if (err instanceof ApiError && err.status === 404) {
      queueMicrotask(() => this.ended());
      return t('sessionEnded');
    }
    if (err instanceof ApiError && err.status === 410) {
      // ended meanwhile (e.g. its sandbox stopped): the poll fetches the reason and shows the start button
      queueMicrotask(() => void this.poll());
      return err.message;
    }
    return t('error', { msg: err instanceof Error ? err.message : String(err) });
  }

  private setError(err: unknown): void {
    this.state.errorText = t('error', { msg: err instanceof Error ? err.message : String(err) });
    this.state.phase = 'error';
  }

  private startTimers(): void {
    this.stopTimers();
    this.pollTimer = setInterval(() => void this.poll(), POLL_MS);
    this.clockTimer = setInterval(() => this.events.tick(), CLOCK_MS);
    this.events.tick();
  }

  private stopTimers(): void {
    clearInterval(this.pollTimer);
    clearInterval(this.clockTimer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
