// The terminal pane: one tab and one xterm per sandbox host, kept for the whole visit
// (the steps pane re-renders freely, the terminals do not).
import { clear, h } from '../dom.js';
import { t } from '../i18n.js';
import type { StoredSession } from '../store.js';
import { HostTerminal, type TermStatus } from '../terminal.js';
import type { Phase } from './state.js';

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

export interface TerminalTabsEvents {
  /** a terminal was refused for good (the session may have ended) */
  fatal(): void;
  /** F6 in a terminal: focus the steps pane's next control */
  escapeForward(): void;
}

export class TerminalTabs {
  private readonly tablist = h('div', { class: 'tabs', role: 'tablist' });
  private readonly panels = h('div', { class: 'term-panels' });
  private readonly placeholder = h('div', { class: 'term-placeholder' });
  private readonly help = h('p', { id: 'term-help', class: 'visually-hidden' });
  readonly element = h('section', { class: 'pane term-pane' }, this.tablist, this.panels, this.placeholder, this.help);
  private tabs: HostTab[] = [];
  private active = 0;

  constructor(private readonly events: TerminalTabsEvents) {}

  /** `banner`: a line each new terminal shows first, saying why it (re)opened */
  open(hosts: string[], session: StoredSession, banner?: string): void {
    this.close();
    this.tabs = hosts.map((host, i) => {
      const tabId = `tab-${host}`;
      const panelId = `panel-${host}`;
      const label = h('span', { class: 'tab-label' });
      const state = h('span', { class: 'tab-state' });
      const tab = h(
        'button',
        { type: 'button', role: 'tab', id: tabId, 'aria-controls': panelId, class: 'tab', onclick: () => this.select(i, true) },
        h('span', { class: 'dot', 'aria-hidden': 'true' }),
        label,
        state,
      );
      tab.addEventListener('keydown', (ev) => this.onTabKey(ev, i));
      const panel = h('div', { class: 'term-panel', role: 'tabpanel', id: panelId, 'aria-labelledby': tabId });
      this.tablist.append(tab);
      this.panels.append(panel);
      const entry: HostTab = { host, tab, label, state, panel, term: null, status: 'connecting' };
      return entry;
    });
    this.select(0, false);
    for (const entry of this.tabs) {
      entry.term = new HostTerminal(entry.panel, {
        sessionId: session.id,
        token: session.token,
        host: entry.host,
        onStatus: (status, detail) => {
          entry.status = status;
          entry.detail = detail;
          this.renderTab(entry);
        },
        label: t('terminalFor', { host: entry.host }),
        describedBy: 'term-help',
        onEscape: (backwards) => {
          if (backwards) entry.tab.focus();
          else this.events.escapeForward();
        },
        onFatal: () => this.events.fatal(),
      });
      if (banner) entry.term.term.write(`\x1b[1;33m[${banner}]\x1b[0m\r\n`);
      this.renderTab(entry);
    }
    this.renderTabs();
  }

  close(): void {
    for (const e of this.tabs) e.term?.dispose();
    this.tabs = [];
    clear(this.tablist);
    clear(this.panels);
  }

  /** the tabs while the lab runs, a placeholder saying why there is no terminal otherwise */
  render(phase: Phase): void {
    this.renderTabs();
    const showTerms = phase === 'ready';
    this.tablist.hidden = !showTerms;
    this.panels.hidden = !showTerms;
    this.placeholder.hidden = showTerms;
    clear(this.placeholder);
    this.placeholder.append(
      h(
        'p',
        {},
        phase === 'starting' ? t('starting') : phase === 'ended' ? t('sessionEnded') : phase === 'loading' ? t('loading') : t('terminalHere'),
      ),
    );
    if (showTerms) this.select(this.active, false);
  }

  /** re-render every tab's status */
  refresh(): void {
    for (const e of this.tabs) this.renderTab(e);
  }

  /** Type a command into the host's terminal (the active one when host is null or unknown). */
  run(command: string, host: string | null): void {
    let i = host ? this.tabs.findIndex((e) => e.host === host) : this.active;
    if (i < 0) i = this.active;
    const e = this.tabs[i];
    if (!e?.term) return;
    if (i !== this.active) this.select(i, false);
    e.term.type(command.replace(/\r?\n/g, '\r') + '\r');
  }

  private select(i: number, focus: boolean): void {
    this.active = i;
    this.tabs.forEach((e, j) => {
      const on = j === i;
      e.tab.setAttribute('aria-selected', String(on));
      e.tab.tabIndex = on ? 0 : -1;
      e.panel.hidden = !on;
    });
    const e = this.tabs[i];
    if (e?.term) {
      requestAnimationFrame(() => {
        e.term?.fit();
        if (focus) e.term?.focus();
      });
    }
  }

  private onTabKey(ev: KeyboardEvent, i: number): void {
    const n = this.tabs.length;
    let next = -1;
    if (ev.key === 'ArrowRight') next = (i + 1) % n;
    else if (ev.key === 'ArrowLeft') next = (i - 1 + n) % n;
    else if (ev.key === 'Home') next = 0;
    else if (ev.key === 'End') next = n - 1;
    if (next < 0) return;
    ev.preventDefault();
    this.select(next, false);
    this.tabs[next]?.tab.focus();
  }

  private renderTabs(): void {
    this.tablist.setAttribute('aria-label', t('terminals'));
    this.help.textContent = t('terminalHelp');
    for (const e of this.tabs) this.renderTab(e);
  }

  private renderTab(e: HostTab): void {
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
}
