// The top bar while a lab runs: time left (the sooner of the session's end and its idle
// timeout) and the End lab button.
import { announce, clear, h } from '../dom.js';
import { formatRemaining, t } from '../i18n.js';
import { icon } from '../icons.js';
import type { LabState } from './state.js';

const WARN_MS = 5 * 60_000;

export class SessionClock {
  readonly timer = h('span', { class: 'timer', role: 'timer', hidden: true });
  readonly endButton: HTMLButtonElement;
  private warned = false;

  constructor(
    private readonly state: LabState,
    private readonly actions: { end(): void; expired(): void },
  ) {
    this.endButton = h('button', { type: 'button', class: 'btn small ghost', hidden: true, onclick: () => this.actions.end() });
  }

  update(): void {
    const { timer, endButton } = this;
    const { phase, session, info } = this.state;
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
    if (left <= 0) this.actions.expired();
    timer.hidden = false;
    timer.setAttribute('aria-label', t('sessionTimer'));
    timer.title = t('sessionTimer');
    timer.classList.toggle('soon', left < WARN_MS);
    clear(timer);
    timer.append(icon('clock'), t('expiresIn', { time: formatRemaining(Math.max(0, left)) }));
    if (left < WARN_MS && left > 0 && !this.warned) {
      this.warned = true;
      announce(t('expiresSoon', { time: formatRemaining(left) }));
    }
  }
}
