// The steps pane: the lab's title, progress, the step list, and the shown step with its
// markdown, Check/Solve buttons and check results. Re-rendered freely from LabState.
import type { CheckResult, StepInfo } from '../api.js';
import { clear, h } from '../dom.js';
import { levelLabel, t, tx } from '../i18n.js';
import { icon } from '../icons.js';
import { renderMarkdown } from '../markdown.js';
import { checkHintKey, hintLevelsOf, hintLevelsView, revealNext, stepHintKey } from './hints.js';
import { currentIndex, isDone, isRedo, type LabState } from './state.js';

export interface StepsActions {
  start(): void;
  check(): void;
  solve(): void;
  /** a fresh sandbox at the start of step `index` replaces the current one */
  restart(index: number): void;
  /** a click-to-run block: type the command into the host's terminal */
  run(command: string, host: string | null): void;
}

export class StepsPane {
  readonly element = h('section', { class: 'pane steps-pane', 'aria-labelledby': 'lab-title' });

  constructor(
    private readonly state: LabState,
    private readonly actions: StepsActions,
  ) {}

  render(): void {
    const { element: pane, state } = this;
    const { lab, phase, labId } = state;
    clear(pane);
    pane.append(h('nav', { class: 'crumbs' }, h('a', { href: '/' }, h('span', { 'aria-hidden': 'true' }, '← '), t('backToCatalog'))));
    if (phase === 'missing') {
      pane.append(h('h1', { id: 'lab-title' }, labId), h('p', { class: 'error', role: 'alert' }, t('labNotFound', { id: labId })));
      return;
    }
    if (!lab) {
      pane.append(h('h1', { id: 'lab-title' }, labId));
      if (phase === 'error') pane.append(h('p', { class: 'error', role: 'alert' }, state.errorText));
      else pane.append(h('p', { class: 'muted' }, t('loading')));
      return;
    }
    const total = lab.steps.length;
    const doneCount = lab.steps.filter((s) => isDone(state, s.id)).length;
    pane.append(
      h('h1', { id: 'lab-title', tabindex: -1 }, tx(lab.title)),
      h(
        'p',
        { class: 'meta' },
        h('span', { class: `level level-${lab.level}` }, levelLabel(lab.level)),
        h('span', {}, t('minutes', { n: lab.minutes })),
      ),
    );
    if (phase !== 'ready') {
      if (lab.description) pane.append(h('p', { class: 'desc' }, tx(lab.description)));
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
    pane.append(h('div', { class: 'progress-row' }, bar, h('span', { class: 'progress-text' }, t('progressLabel', { done: doneCount, total }))));
    const list = h('ol', { class: 'step-list', 'aria-label': t('steps') });
    pane.append(list);
    this.renderStepList(list);

    if (phase === 'idle' || phase === 'error' || phase === 'ended' || phase === 'starting') {
      const box = h('div', { class: 'start-box' });
      if (phase === 'error') box.append(h('p', { class: 'error', role: 'alert' }, state.errorText));
      // a sandbox that died says why ("your sandbox stopped: host … was killed (exit 137)")
      const stopped = state.info?.endReason?.startsWith('your sandbox stopped') ? state.info.endReason : undefined;
      if (phase === 'ended') box.append(h('p', { class: 'notice', role: 'status' }, stopped ?? t('sessionEnded')));
      if (!lab.available) {
        box.append(
          h('p', { class: 'reason' }, h('span', { class: 'badge' }, t('unavailable')), ' ', t('unavailableReason', { reason: lab.unavailableReason ?? '—' })),
        );
      } else if (phase === 'starting') {
        box.append(h('p', { class: 'muted', 'aria-busy': 'true', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('starting')));
      } else {
        box.append(
          h('p', { class: 'muted' }, t('startIntro')),
          h('button', { type: 'button', class: 'btn primary', onclick: () => this.actions.start() }, phase === 'idle' ? t('start') : t('startNew')),
        );
      }
      pane.append(box);
      return;
    }
    const article = h('article', { class: 'step', 'aria-labelledby': 'step-title' });
    pane.append(article);
    this.renderStep(article);
  }

  /** the step list (with the progress bar) and the shown step */
  renderSteps(): void {
    this.renderStepList();
    this.renderStep();
  }

  renderStep(article = this.element.querySelector<HTMLElement>('article.step')): void {
    const { state } = this;
    const { lab, viewIndex, busy } = state;
    if (!lab || !article) return;
    clear(article);
    const total = lab.steps.length;
    if (viewIndex >= total) {
      article.append(h('p', { class: 'complete', role: 'status' }, icon('flag'), t('labComplete')));
      return;
    }
    const step = lab.steps[viewIndex]!;
    const done = isDone(state, step.id);
    const body = h('div', { class: 'md' });
    renderMarkdown(body, tx(step.text), state.phase === 'ready' ? (command, host) => this.actions.run(command, host) : null);
    if (state.sandboxNotice) article.append(h('p', { class: 'notice sandbox-notice', role: 'status' }, state.sandboxNotice));
    if (!done && isRedo(state, step.id)) article.append(h('p', { class: 'notice redo-notice' }, t('redoNotice')));
    article.append(h('p', { class: 'step-count' }, t('stepOf', { n: viewIndex + 1, total })), h('h2', { id: 'step-title', tabindex: -1 }, tx(step.title)), body);
    // a troubleshooting step: the symptoms of the faults this session drew (another learner's differ)
    const drawn = state.info?.faults?.[step.id] ?? [];
    if (drawn.length) {
      const symptoms = h('ul', { class: 'symptom-list' });
      for (const f of drawn) {
        const item = h('li', { class: 'symptom md', 'data-fault': f.id });
        renderMarkdown(item, tx(f.symptom), null);
        symptoms.append(item);
      }
      article.append(h('section', { class: 'symptoms', 'aria-labelledby': 'symptoms-title' }, h('h3', { id: 'symptoms-title' }, t('symptoms')), symptoms));
    }
    const levels = hintLevelsOf(step.hint);
    if (levels.length) {
      const key = stepHintKey(step.id);
      article.append(hintLevelsView(levels, state.hintsShown.get(key) ?? 0, () => this.revealHint(key, levels.length, '.step-hint'), 'step-hint'));
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
          onclick: () => this.actions.check(),
        },
        // The label stays put while busy (only the icon turns into a spinner): no shift.
        busy === 'check' ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : icon('check'),
        t('check'),
      ),
      h(
        'button',
        { type: 'button', class: 'btn solve', 'aria-busy': busy === 'solve' ? 'true' : null, disabled: busy !== null, onclick: () => this.actions.solve() },
        busy === 'solve' ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : icon('flag'),
        t('solve'),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'btn ghost restart',
          'aria-label': t('restartStepLabel', { n: viewIndex + 1, title: tx(step.title) }),
          'aria-busy': busy === 'restart' ? 'true' : null,
          disabled: busy !== null,
          onclick: () => this.actions.restart(viewIndex),
        },
        busy === 'restart' ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : icon('restart'),
        t('restartStep'),
      ),
      h('span', { class: 'spacer' }),
      viewIndex > 0
        ? h('button', { type: 'button', class: 'btn ghost', onclick: () => this.goTo(viewIndex - 1) }, h('span', { 'aria-hidden': 'true' }, '← '), t('prev'))
        : null,
      h(
        'button',
        { type: 'button', class: 'btn next', disabled: !done, onclick: () => this.goTo(viewIndex + 1) },
        isLast ? icon('flag') : null,
        isLast ? t('labComplete').split(':')[0]! : t('next'),
        isLast ? null : h('span', { 'aria-hidden': 'true' }, ' →'),
      ),
    );
    article.append(actions);
    const solved = state.solveOutput.get(step.id);
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
    article.append(this.resultsSection(step.id, [...step.checks, ...drawn.flatMap((f) => f.checks)], done && isLast));
  }

  /** the first of these controls that exists, for F6 out of a terminal */
  focusFirst(): void {
    for (const sel of ['.step-actions .check:not(:disabled)', '.start-box .btn', '#step-title', '#lab-title']) {
      const el = this.element.querySelector<HTMLElement>(sel);
      if (el) return el.focus();
    }
  }

  private renderStepList(list = this.element.querySelector<HTMLOListElement>('.step-list')): void {
    const { state } = this;
    const { lab } = state;
    if (!lab || !list) return;
    clear(list);
    const cur = currentIndex(state);
    const live = state.phase === 'ready';
    lab.steps.forEach((step, i) => {
      const done = isDone(state, step.id);
      const redo = !done && isRedo(state, step.id);
      // a step to do again stays reachable: the learner may restart at it
      const locked = i > cur && !redo;
      const label = done ? t('stepDone') : redo && i !== cur ? t('stepRedo') : locked ? t('stepLocked') : t('stepCurrent');
      const mark = done ? icon('check') : locked ? icon('lock') : String(i + 1);
      const item = h(
        'button',
        {
          type: 'button',
          class: `step-link${done ? ' done' : ''}${redo ? ' redo' : ''}${locked ? ' locked' : ''}`,
          'aria-current': live && i === state.viewIndex ? 'step' : null,
          disabled: !live || locked,
          'aria-label': `${i + 1}. ${tx(step.title)} (${label})`,
          onclick: () => {
            state.viewIndex = i;
            state.stepNotice = null;
            this.renderSteps();
            this.element.querySelector<HTMLElement>('#step-title')?.focus();
          },
        },
        h('span', { class: 'step-icon', 'aria-hidden': 'true' }, mark),
        h('span', { class: 'step-name' }, tx(step.title)),
      );
      list.append(h('li', {}, item));
    });
    // Keep the progress bar in step with the list.
    const total = lab.steps.length;
    const doneCount = lab.steps.filter((s) => isDone(state, s.id)).length;
    const bar = this.element.querySelector<HTMLElement>('.progress');
    if (bar) {
      bar.setAttribute('aria-valuenow', String(doneCount));
      bar.setAttribute('aria-valuetext', t('progressLabel', { done: doneCount, total }));
      bar.style.setProperty('--done', String(total ? doneCount / total : 0));
    }
    const text = this.element.querySelector('.progress-text');
    if (text) text.textContent = t('progressLabel', { done: doneCount, total });
  }

  /** one more level of a hint; focus moves to the level just shown */
  private revealHint(key: string, total: number, boxSelector: string): void {
    const n = revealNext(this.state.hintsShown, key, total);
    this.renderStep();
    const level = this.element.querySelector<HTMLElement>(`${boxSelector} .hint-level[data-level="${n}"]`);
    level?.setAttribute('tabindex', '-1');
    level?.focus();
  }

  private goTo(i: number): void {
    this.state.viewIndex = Math.max(0, Math.min(i, currentIndex(this.state)));
    this.state.stepNotice = null;
    this.renderSteps();
    this.element.querySelector<HTMLElement>('#step-title')?.focus();
  }

  private resultsSection(stepId: string, checks: StepInfo['checks'], finished: boolean): HTMLElement {
    const { state } = this;
    const { busy, stepNotice } = state;
    const res = state.results.get(stepId);
    const section = h('section', { class: 'results', 'aria-labelledby': 'results-title', 'aria-live': 'polite' });
    const failed = res ? res.results.filter((r) => !r.pass).length : 0;
    const summary = stepNotice
      ? h('p', { class: 'summary error', role: 'alert' }, stepNotice)
      : busy
        ? h('p', { class: 'summary muted' }, busy === 'check' ? t('checking') : busy === 'solve' ? t('solving') : (state.sandboxNotice ?? ''))
        : res
          ? h(
              'p',
              { class: `summary ${failed === 0 ? 'pass' : 'fail'}` },
              failed === 0 ? t('allPassed', { n: res.results.length }) : t('someFailed', { failed, n: res.results.length }),
            )
          : h('p', { class: 'summary muted' }, isDone(state, stepId) ? t('stepDone') : t('notChecked'));
    section.append(h('h3', { id: 'results-title', class: 'visually-hidden' }, t('checkResults')), summary);
    const list = h('ul', { class: 'result-list' });
    const byId = new Map<string, CheckResult>((res?.results ?? []).map((r) => [r.id, r]));
    const ids = [...checks.map((c) => c.id), ...[...byId.keys()].filter((id) => !checks.some((c) => c.id === id))];
    for (const id of ids) {
      const r = byId.get(id);
      const declared = checks.find((c) => c.id === id);
      // The lab's declared titles and hints are locale maps: rendered here in the current language,
      // so results shown before a language switch follow it; the server's texts are the fallback.
      const title = (declared?.title ? tx(declared.title) : '') || r?.title || id;
      const status = r ? (r.pass ? 'pass' : 'fail') : busy === 'check' ? 'running' : 'pending';
      const mark = status === 'pass' ? icon('check') : status === 'fail' ? icon('cross') : status === 'running' ? h('span', { class: 'spinner' }) : '';
      const statusText = status === 'pass' ? t('pass') : status === 'fail' ? t('fail') : t('notChecked');
      const li = h(
        'li',
        { class: `result ${status}`, 'data-check': id },
        h('span', { class: 'result-icon', 'aria-hidden': 'true' }, mark),
        h(
          'div',
          { class: 'result-body' },
          h('p', { class: 'result-title' }, h('span', { class: 'visually-hidden' }, `${statusText}: `), title),
          h('p', { class: 'result-message' }, r?.message ?? ''),
        ),
      );
      const body = li.querySelector('.result-body')!;
      const levels = declared?.hint ? hintLevelsOf(declared.hint) : (r?.hints ?? (r?.hint ? [r.hint] : []));
      if (r && !r.pass && levels.length) {
        const key = checkHintKey(stepId, id);
        const box = `.result[data-check="${CSS.escape(id)}"] .result-hint`;
        body.append(hintLevelsView(levels, Math.max(1, state.hintsShown.get(key) ?? 0), () => this.revealHint(key, levels.length, box), 'result-hint'));
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
}
