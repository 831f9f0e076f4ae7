// The lab page: steps on one side, one terminal per host on the other.
// Progress lives on the server; this page keeps only the session id and token
// (localStorage, per lab) so that a reload resumes the same sandbox and shell.
import { api, ApiError, type CheckResponse, type CheckResultItem, type LabDetail, type Progress, type SessionInfo } from './api.js';
import { announce, clear, h } from './dom.js';
import { levelLabel, locale, onLocaleChange, t, tx, formatRemaining } from './i18n.js';
import { renderMarkdown } from './markdown.js';
import { navigate } from './nav.js';
import { forgetSession, loadSession, saveSession, type StoredSession } from './store.js';
import { icon } from './icons.js';
import { HostTerminal, type TermStatus } from './terminal.js';
import type { View } from './view.js';

type Phase = 'loading' | 'missing' | 'idle' | 'starting' | 'ready' | 'ended' | 'error';

const POLL_MS = 30_000;
const WARN_MS = 5 * 60_000;

interface HostTab {
  host: string;
  tab: HTMLButtonElement;
  label: HTMLSpanElement;
  state: HTMLSpanElement;
  panel: HTMLDivElement;
  term: HostTerminal | null;
  status: TermStatus;
  detail?: string;
}

export function labView(root: HTMLElement, labId: string, autostart: boolean): View {
  let lab: LabDetail | null = null;
  let phase: Phase = 'loading';
  let errorText = '';
  let session: StoredSession | null = loadSession(labId);
  let info: SessionInfo | null = null;
  let progress: Progress = { currentStep: null, completed: [] };
  let viewIndex = 0;
  let busy: 'check' | 'solve' | null = null;
  const results = new Map<string, CheckResponse>();
  const solveOutput = new Map<string, { ok: boolean; output: string }>();
  let stepNotice: string | null = null;
  let disposed = false;
  let pollTimer: ReturnType<typeof setInterval> | undefined;
  let clockTimer: ReturnType<typeof setInterval> | undefined;

  // Two long-lived panes: the steps pane is re-rendered freely, the terminal pane
  // keeps its xterm instances for the whole visit.
  const stepsPane = h('section', { class: 'pane steps-pane', 'aria-labelledby': 'lab-title' });
  const tablist = h('div', { class: 'tabs', role: 'tablist' });
  const panels = h('div', { class: 'term-panels' });
  const termPlaceholder = h('div', { class: 'term-placeholder' });
  const termHelp = h('p', { id: 'term-help', class: 'visually-hidden' });
  const termPane = h('section', { class: 'pane term-pane' }, tablist, panels, termPlaceholder, termHelp);
  const layout = h('div', { class: 'lab-layout' }, stepsPane, termPane);
  const timer = h('span', { class: 'timer', role: 'timer', hidden: true });
  const endButton = h('button', { type: 'button', class: 'btn small ghost', hidden: true, onclick: () => void endLab() });
  const topMiddle = document.getElementById('topbar-middle');
  let tabs: HostTab[] = [];
  let active = 0;

  clear(root);
  root.append(layout);
  if (topMiddle) {
    clear(topMiddle);
    topMiddle.append(timer, endButton);
  }

  // ---- data ---------------------------------------------------------------

  async function init(): Promise<void> {
    try {
      lab = await api.lab(labId);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) phase = 'missing';
      else setError(err);
      return render();
    }
    if (session) {
      await resume();
    } else if (autostart && lab.available) {
      await start();
    } else {
      phase = 'idle';
      render();
    }
  }

  async function resume(): Promise<void> {
    if (!session) return;
    phase = 'starting';
    render();
    try {
      await waitReady(await api.session(session.id, session.token));
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 401 || err.status === 403)) {
        forgetSession(labId);
        session = null;
        phase = autostart && lab?.available ? 'idle' : 'ended';
        if (phase === 'idle') return start();
        render();
        return;
      }
      setError(err);
      render();
    }
  }

  async function start(): Promise<void> {
    if (!lab || disposed) return;
    phase = 'starting';
    results.clear();
    solveOutput.clear();
    render();
    try {
      const created = await api.createSession(labId, locale());
      session = { id: created.id, token: created.token, expiresAt: created.expiresAt };
      saveSession(labId, session);
      await waitReady(await api.session(created.id, created.token));
    } catch (err) {
      errorText = t('startFailed', { msg: err instanceof Error ? err.message : String(err) });
      phase = 'error';
      render();
    }
  }

  async function waitReady(first: SessionInfo): Promise<void> {
    let s = first;
    for (let i = 0; s.status === 'starting' && !disposed; i++) {
      await sleep(Math.min(2000, 300 + i * 200));
      s = await api.session(s.id, session!.token);
    }
    if (disposed) return;
    applySession(s);
    if (s.status === 'failed') {
      errorText = t('startFailed', { msg: s.status });
      phase = 'error';
    } else if (s.status === 'ended') {
      sessionEnded();
      return;
    } else {
      phase = 'ready';
      viewIndex = currentIndex();
      openTerminals(s.hosts.length ? s.hosts : (lab?.hosts ?? []));
      startTimers();
    }
    render();
  }

  function applySession(s: SessionInfo): void {
    info = s;
    progress = s.progress ?? progress;
  }

  async function poll(): Promise<void> {
    if (!session || phase !== 'ready') return;
    try {
      const s = await api.session(session.id, session.token);
      applySession(s);
      if (s.status === 'ended' || s.status === 'failed') sessionEnded();
      else updateClock();
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 401 || err.status === 403)) sessionEnded();
      // A network blip: the terminals reconnect on their own and the next poll retries.
    }
  }

  function sessionEnded(): void {
    forgetSession(labId);
    session = null;
    phase = 'ended';
    stopTimers();
    closeTerminals();
    render();
    announce(t('sessionEnded'));
  }

  async function endLab(): Promise<void> {
    if (!session || !window.confirm(t('endConfirm'))) return;
    const s = session;
    try {
      await api.deleteSession(s.id, s.token);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) {
        setError(err);
        return render();
      }
    }
    forgetSession(labId);
    navigate('/');
  }

  async function runCheck(): Promise<void> {
    const step = lab?.steps[viewIndex];
    if (!step || !session || busy) return;
    busy = 'check';
    stepNotice = null;
    renderStep();
    try {
      const res = await api.check(session.id, session.token, step.id, locale());
      results.set(step.id, res);
      progress = res.progress ?? progress;
      const failed = res.results.filter((r) => !r.pass).length;
      announce(failed === 0 ? t('allPassed', { n: res.results.length }) : t('someFailed', { failed, n: res.results.length }));
    } catch (err) {
      stepNotice = noticeFor(err);
    } finally {
      busy = null;
    }
    renderStepList();
    renderStep();
  }

  async function runSolve(): Promise<void> {
    const step = lab?.steps[viewIndex];
    if (!step || !session || busy || !window.confirm(t('solveConfirm'))) return;
    busy = 'solve';
    stepNotice = null;
    renderStep();
    try {
      const res = await api.solve(session.id, session.token, step.id, locale());
      solveOutput.set(step.id, { ok: res.ok, output: res.output ?? '' });
      progress = res.progress ?? progress;
    } catch (err) {
      stepNotice = noticeFor(err);
      busy = null;
      return renderStep();
    }
    busy = null;
    await runCheck();
  }

  function noticeFor(err: unknown): string {
    if (err instanceof ApiError && err.status === 409) return t('stepLockedError');
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return t('unauthorized');
    if (err instanceof ApiError && err.status === 404) {
      queueMicrotask(sessionEnded);
      return t('sessionEnded');
    }
    return t('error', { msg: err instanceof Error ? err.message : String(err) });
  }

  function setError(err: unknown): void {
    errorText = t('error', { msg: err instanceof Error ? err.message : String(err) });
    phase = 'error';
  }

  // ---- progress -------------------------------------------------------------

  /** Index of the first step not yet completed (steps.length when all are done). */
  function currentIndex(): number {
    if (!lab) return 0;
    if (progress.currentStep) {
      const i = lab.steps.findIndex((s) => s.id === progress.currentStep);
      if (i >= 0) return i;
    }
    const done = new Set(progress.completed);
    const i = lab.steps.findIndex((s) => !done.has(s.id));
    return i === -1 ? lab.steps.length : i;
  }

  const isDone = (id: string) => progress.completed.includes(id);

  // ---- timers ---------------------------------------------------------------

  function startTimers(): void {
    stopTimers();
    pollTimer = setInterval(() => void poll(), POLL_MS);
    clockTimer = setInterval(updateClock, 10_000);
    updateClock();
  }

  function stopTimers(): void {
    clearInterval(pollTimer);
    clearInterval(clockTimer);
  }

  let warned = false;
  function updateClock(): void {
    if (phase !== 'ready' || !session) {
      timer.hidden = true;
      endButton.hidden = true;
      return;
    }
    const ends = [info?.expiresAt ?? session.expiresAt, info?.idleExpiresAt]
      .map((s) => (s ? Date.parse(s) : NaN))
      .filter((n) => Number.isFinite(n));
    endButton.hidden = false;
    endButton.textContent = t('endLab');
    if (ends.length === 0) {
      timer.hidden = true;
      return;
    }
    const left = Math.min(...ends) - Date.now();
    if (left <= 0) {
      void poll();
    }
    timer.hidden = false;
    timer.setAttribute('aria-label', t('sessionTimer'));
    timer.title = t('sessionTimer');
    timer.classList.toggle('soon', left < WARN_MS);
    clear(timer);
    timer.append(icon('clock'), t('expiresIn', { time: formatRemaining(Math.max(0, left)) }));
    if (left < WARN_MS && left > 0 && !warned) {
      warned = true;
      announce(t('expiresSoon', { time: formatRemaining(left) }));
    }
  }

  // ---- terminals ------------------------------------------------------------

  function openTerminals(hosts: string[]): void {
    closeTerminals();
    if (!session) return;
    const s = session;
    tabs = hosts.map((host, i) => {
      const tabId = `tab-${host}`;
      const panelId = `panel-${host}`;
      const label = h('span', { class: 'tab-label' });
      const state = h('span', { class: 'tab-state' });
      const tab = h(
        'button',
        { type: 'button', role: 'tab', id: tabId, 'aria-controls': panelId, class: 'tab', onclick: () => select(i, true) },
        h('span', { class: 'dot', 'aria-hidden': 'true' }),
        label,
        state,
      );
      tab.addEventListener('keydown', (ev) => onTabKey(ev, i));
      const panel = h('div', { class: 'term-panel', role: 'tabpanel', id: panelId, 'aria-labelledby': tabId });
      tablist.append(tab);
      panels.append(panel);
      const entry: HostTab = { host, tab, label, state, panel, term: null, status: 'connecting' };
      return entry;
    });
    select(0, false);
    for (const entry of tabs) {
      entry.term = new HostTerminal(entry.panel, {
        sessionId: s.id,
        token: s.token,
        host: entry.host,
        onStatus: (status, detail) => {
          entry.status = status;
          entry.detail = detail;
          renderTab(entry);
        },
        label: t('terminalFor', { host: entry.host }),
        describedBy: 'term-help',
        onEscape: (backwards) => {
          if (backwards) entry.tab.focus();
          else firstOf('.step-actions .check:not(:disabled)', '.start-box .btn', '#step-title', '#lab-title')?.focus();
        },
        onFatal: () => void poll().then(() => {
          if (phase === 'ready') {
            for (const e of tabs) renderTab(e);
          }
        }),
      });
      renderTab(entry);
    }
    renderTabs();
  }

  function closeTerminals(): void {
    for (const e of tabs) e.term?.dispose();
    tabs = [];
    clear(tablist);
    clear(panels);
  }

  function select(i: number, focus: boolean): void {
    active = i;
    tabs.forEach((e, j) => {
      const on = j === i;
      e.tab.setAttribute('aria-selected', String(on));
      e.tab.tabIndex = on ? 0 : -1;
      e.panel.hidden = !on;
    });
    const e = tabs[i];
    if (e?.term) {
      requestAnimationFrame(() => {
        e.term?.fit();
        if (focus) e.term?.focus();
      });
    }
  }

  function onTabKey(ev: KeyboardEvent, i: number): void {
    const n = tabs.length;
    let next = -1;
    if (ev.key === 'ArrowRight') next = (i + 1) % n;
    else if (ev.key === 'ArrowLeft') next = (i - 1 + n) % n;
    else if (ev.key === 'Home') next = 0;
    else if (ev.key === 'End') next = n - 1;
    if (next < 0) return;
    ev.preventDefault();
    select(next, false);
    tabs[next]?.tab.focus();
  }

  function renderTabs(): void {
    tablist.setAttribute('aria-label', t('terminals'));
    termHelp.textContent = t('terminalHelp');
    for (const e of tabs) renderTab(e);
  }

  function renderTab(e: HostTab): void {
    e.label.textContent = e.host;
    e.tab.dataset.status = e.status;
    e.tab.title = t('terminalFor', { host: e.host });
    const text =
      e.status === 'exited'
        ? e.detail
          ? t('shellExited', { code: e.detail })
          : t('shellEnded')
        : e.status === 'closed'
          ? t('disconnected')
          : t(e.status);
    e.state.textContent = text;
    e.panel.setAttribute('aria-label', t('terminalFor', { host: e.host }));
    let bar = e.panel.querySelector<HTMLDivElement>('.term-banner');
    const needBar = e.status === 'exited' || e.status === 'closed' || e.status === 'reconnecting';
    if (!needBar) {
      bar?.remove();
      return;
    }
    if (!bar) {
      bar = h('div', { class: 'term-banner', role: 'status' });
      e.panel.append(bar);
    }
    clear(bar);
    bar.append(h('span', {}, `${e.host}: ${text}`));
    if (e.status !== 'closed') {
      bar.append(' ', h('button', { type: 'button', class: 'btn small', onclick: () => e.term?.reconnectNow() }, t('reconnect')));
    }
  }

  function firstOf(...selectors: string[]): HTMLElement | null {
    for (const sel of selectors) {
      const el = stepsPane.querySelector<HTMLElement>(sel);
      if (el) return el;
    }
    return null;
  }

  function runInTerminal(command: string, host: string | null): void {
    let i = host ? tabs.findIndex((e) => e.host === host) : active;
    if (i < 0) i = active;
    const e = tabs[i];
    if (!e?.term) return;
    if (i !== active) select(i, false);
    e.term.type(command.replace(/\r?\n/g, '\r') + '\r');
  }

  // ---- rendering ------------------------------------------------------------

  function render(): void {
    if (disposed) return;
    const title = lab ? tx(lab.title) : labId;
    document.title = `${title} · netdojo`;
    updateClock();
    renderStepsPane();
    renderTabs();
    const showTerms = phase === 'ready';
    tablist.hidden = !showTerms;
    panels.hidden = !showTerms;
    termPlaceholder.hidden = showTerms;
    clear(termPlaceholder);
    termPlaceholder.append(
      h(
        'p',
        {},
        phase === 'starting' ? t('starting') : phase === 'ended' ? t('sessionEnded') : phase === 'loading' ? t('loading') : t('terminalHere'),
      ),
    );
    if (showTerms) select(active, false);
  }

  function renderStepsPane(): void {
    clear(stepsPane);
    stepsPane.append(h('nav', { class: 'crumbs' }, h('a', { href: '/' }, h('span', { 'aria-hidden': 'true' }, '← '), t('backToCatalog'))));
    if (phase === 'missing') {
      stepsPane.append(h('h1', { id: 'lab-title' }, labId), h('p', { class: 'error', role: 'alert' }, t('labNotFound', { id: labId })));
      return;
    }
    if (!lab) {
      stepsPane.append(h('h1', { id: 'lab-title' }, labId));
      if (phase === 'error') stepsPane.append(h('p', { class: 'error', role: 'alert' }, errorText));
      else stepsPane.append(h('p', { class: 'muted' }, t('loading')));
      return;
    }
    const total = lab.steps.length;
    const doneCount = lab.steps.filter((s) => isDone(s.id)).length;
    stepsPane.append(
      h('h1', { id: 'lab-title', tabindex: -1 }, tx(lab.title)),
      h(
        'p',
        { class: 'meta' },
        h('span', { class: `level level-${lab.level}` }, levelLabel(lab.level)),
        h('span', {}, t('minutes', { n: lab.minutes })),
      ),
    );
    if (phase !== 'ready') {
      if (lab.description) stepsPane.append(h('p', { class: 'desc' }, tx(lab.description)));
    }
    const bar = h('div', {
      class: 'progress',
      role: 'progressbar',
      'aria-valuemin': 0,
      'aria-valuemax': total,
      'aria-valuenow': doneCount,
      'aria-valuetext': t('progressLabel', { done: doneCount, total }),
      'aria-label': t('steps'),
    });
    bar.style.setProperty('--done', String(total ? doneCount / total : 0));
    stepsPane.append(
      h('div', { class: 'progress-row' }, bar, h('span', { class: 'progress-text' }, t('progressLabel', { done: doneCount, total }))),
    );
    const list = h('ol', { class: 'step-list', 'aria-label': t('steps') });
    stepsPane.append(list);
    renderStepList(list);

    if (phase === 'idle' || phase === 'error' || phase === 'ended' || phase === 'starting') {
      const box = h('div', { class: 'start-box' });
      if (phase === 'error') box.append(h('p', { class: 'error', role: 'alert' }, errorText));
      if (phase === 'ended') box.append(h('p', { class: 'notice', role: 'status' }, t('sessionEnded')));
      if (!lab.available) {
        box.append(
          h('p', { class: 'reason' }, h('span', { class: 'badge' }, t('unavailable')), ' ', t('unavailableReason', { reason: lab.unavailableReason ?? '—' })),
        );
      } else if (phase === 'starting') {
        box.append(h('p', { class: 'muted', 'aria-busy': 'true', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('starting')));
      } else {
        box.append(
          h('p', { class: 'muted' }, t('startIntro')),
          h('button', { type: 'button', class: 'btn primary', onclick: () => void start() }, phase === 'idle' ? t('start') : t('startNew')),
        );
      }
      stepsPane.append(box);
      return;
    }
    const article = h('article', { class: 'step', 'aria-labelledby': 'step-title' });
    stepsPane.append(article);
    renderStep(article);
  }

  function renderStepList(list = stepsPane.querySelector<HTMLOListElement>('.step-list')): void {
    if (!lab || !list) return;
    clear(list);
    const cur = currentIndex();
    const live = phase === 'ready';
    lab.steps.forEach((step, i) => {
      const done = isDone(step.id);
      const locked = i > cur;
      const state = done ? t('stepDone') : locked ? t('stepLocked') : t('stepCurrent');
      const mark = done ? icon('check') : locked ? icon('lock') : String(i + 1);
      const item = h(
        'button',
        {
          type: 'button',
          class: `step-link${done ? ' done' : ''}${locked ? ' locked' : ''}`,
          'aria-current': live && i === viewIndex ? 'step' : null,
          disabled: !live || locked,
          'aria-label': `${i + 1}. ${tx(step.title)} (${state})`,
          onclick: () => {
            viewIndex = i;
            stepNotice = null;
            renderStepList();
            renderStep();
            stepsPane.querySelector<HTMLElement>('#step-title')?.focus();
          },
        },
        h('span', { class: 'step-icon', 'aria-hidden': 'true' }, mark),
        h('span', { class: 'step-name' }, tx(step.title)),
      );
      list.append(h('li', {}, item));
    });
    // Keep the progress bar in step with the list.
    const total = lab.steps.length;
    const doneCount = lab.steps.filter((s) => isDone(s.id)).length;
    const bar = stepsPane.querySelector<HTMLElement>('.progress');
    if (bar) {
      bar.setAttribute('aria-valuenow', String(doneCount));
      bar.setAttribute('aria-valuetext', t('progressLabel', { done: doneCount, total }));
      bar.style.setProperty('--done', String(total ? doneCount / total : 0));
    }
    const text = stepsPane.querySelector('.progress-text');
    if (text) text.textContent = t('progressLabel', { done: doneCount, total });
  }

  function renderStep(article = stepsPane.querySelector<HTMLElement>('article.step')): void {
    if (!lab || !article) return;
    clear(article);
    const total = lab.steps.length;
    if (viewIndex >= total) {
      article.append(h('p', { class: 'complete', role: 'status' }, icon('flag'), t('labComplete')));
      return;
    }
    const step = lab.steps[viewIndex]!;
    const done = isDone(step.id);
    const body = h('div', { class: 'md' });
    renderMarkdown(body, tx(step.text), phase === 'ready' ? runInTerminal : null);
    article.append(
      h('p', { class: 'step-count' }, t('stepOf', { n: viewIndex + 1, total })),
      h('h2', { id: 'step-title', tabindex: -1 }, tx(step.title)),
      body,
    );
    if (step.hint) {
      const hint = h('div', { class: 'md' });
      renderMarkdown(hint, tx(step.hint), null);
      article.append(h('details', { class: 'hint' }, h('summary', {}, t('hint')), hint));
    }
    const isLast = viewIndex === total - 1;
    const actions = h(
      'div',
      { class: 'step-actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'btn primary check',
          'aria-label': t('checkLabel'),
          'aria-busy': busy === 'check' ? 'true' : null,
          disabled: busy !== null,
          onclick: () => void runCheck(),
        },
        // The label stays put while busy (only the icon turns into a spinner): no shift.
        busy === 'check' ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : icon('check'),
        t('check'),
      ),
      h(
        'button',
        { type: 'button', class: 'btn solve', 'aria-busy': busy === 'solve' ? 'true' : null, disabled: busy !== null, onclick: () => void runSolve() },
        busy === 'solve' ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : icon('flag'),
        t('solve'),
      ),
      h('span', { class: 'spacer' }),
      viewIndex > 0
        ? h('button', { type: 'button', class: 'btn ghost', onclick: () => goTo(viewIndex - 1) }, h('span', { 'aria-hidden': 'true' }, '← '), t('prev'))
        : null,
      h(
        'button',
        { type: 'button', class: 'btn next', disabled: !done, onclick: () => goTo(viewIndex + 1) },
        isLast ? icon('flag') : null,
        isLast ? t('labComplete').split(':')[0]! : t('next'),
        isLast ? null : h('span', { 'aria-hidden': 'true' }, ' →'),
      ),
    );
    article.append(actions);
    const solved = solveOutput.get(step.id);
    if (solved) {
      article.append(
        h(
          'details',
          { class: `solve-output${solved.ok ? '' : ' bad'}` },
          h('summary', {}, solved.ok ? t('solveOutput') : t('solveFailed')),
          h('pre', {}, solved.output || '—'),
        ),
      );
    }
    article.append(resultsSection(step.id, step.checks, done && isLast));
  }

  function goTo(i: number): void {
    viewIndex = Math.max(0, Math.min(i, currentIndex()));
    stepNotice = null;
    renderStepList();
    renderStep();
    stepsPane.querySelector<HTMLElement>('#step-title')?.focus();
  }

  function resultsSection(stepId: string, checks: Array<{ id: string; title?: unknown }>, finished: boolean): HTMLElement {
    const res = results.get(stepId);
    const section = h('section', { class: 'results', 'aria-labelledby': 'results-title', 'aria-live': 'polite' });
    const failed = res ? res.results.filter((r) => !r.pass).length : 0;
    const summary = stepNotice
      ? h('p', { class: 'summary error', role: 'alert' }, stepNotice)
      : busy
        ? h('p', { class: 'summary muted' }, busy === 'check' ? t('checking') : t('solving'))
        : res
        ? h(
            'p',
            { class: `summary ${failed === 0 ? 'pass' : 'fail'}` },
            failed === 0 ? t('allPassed', { n: res.results.length }) : t('someFailed', { failed, n: res.results.length }),
          )
        : h('p', { class: 'summary muted' }, isDone(stepId) ? t('stepDone') : t('notChecked'));
    section.append(h('h3', { id: 'results-title', class: 'visually-hidden' }, t('checkResults')), summary);
    const list = h('ul', { class: 'result-list' });
    const byId = new Map<string, CheckResultItem>((res?.results ?? []).map((r) => [r.id, r]));
    const ids = [...checks.map((c) => c.id), ...[...byId.keys()].filter((id) => !checks.some((c) => c.id === id))];
    for (const id of ids) {
      const r = byId.get(id);
      const declared = checks.find((c) => c.id === id);
      const title = r ? tx(r.title) || tx(declared?.title as never) || id : tx(declared?.title as never) || id;
      const state = r ? (r.pass ? 'pass' : 'fail') : busy === 'check' ? 'running' : 'pending';
      const mark = state === 'pass' ? icon('check') : state === 'fail' ? icon('cross') : state === 'running' ? h('span', { class: 'spinner' }) : '';
      const stateText = state === 'pass' ? t('pass') : state === 'fail' ? t('fail') : t('notChecked');
      const li = h(
        'li',
        { class: `result ${state}`, 'data-check': id },
        h('span', { class: 'result-icon', 'aria-hidden': 'true' }, mark),
        h(
          'div',
          { class: 'result-body' },
          h('p', { class: 'result-title' }, h('span', { class: 'visually-hidden' }, `${stateText}: `), title),
          h('p', { class: 'result-message' }, r?.message ?? ''),
        ),
      );
      const body = li.querySelector('.result-body')!;
      if (r && !r.pass && r.hint) {
        const hint = h('div', { class: 'md result-hint' });
        renderMarkdown(hint, `**${t('hint')}:** ${tx(r.hint)}`, null);
        body.append(hint);
      }
      if (r && (r.expected || r.actual)) {
        body.append(
          h(
            'details',
            { class: 'expected-actual' },
            h('summary', {}, t('expectedActual')),
            h('dl', {}, h('dt', {}, t('expected')), h('dd', {}, h('pre', {}, r.expected || '—')), h('dt', {}, t('actual')), h('dd', {}, h('pre', {}, r.actual || '—'))),
          ),
        );
      }
      list.append(li);
    }
    section.append(list);
    if (finished) section.append(h('p', { class: 'complete' }, icon('flag'), t('labComplete')));
    return section;
  }

  const off = onLocaleChange(() => render());
  void init();

  return {
    dispose() {
      disposed = true;
      off();
      stopTimers();
      closeTerminals();
      if (topMiddle) clear(topMiddle);
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
