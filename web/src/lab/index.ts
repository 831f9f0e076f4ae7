// The lab page: steps on one side, one terminal per host on the other, the clock in the top bar.
// This wires the parts; the session controller changes LabState, the panes render it.
import { clear, h } from '../dom.js';
import { onLocaleChange, tx } from '../i18n.js';
import { loadSession } from '../store.js';
import type { View } from '../view.js';
import { SessionClock } from './clock.js';
import { SessionController } from './session.js';
import { initialState } from './state.js';
import { StepsPane } from './steps-pane.js';
import { TerminalTabs } from './terminal-tabs.js';

export function labView(root: HTMLElement, labId: string, autostart: boolean): View {
  const state = initialState(labId, loadSession(labId));
  let disposed = false;

  const render = (): void => {
    if (disposed) return;
    document.title = `${state.lab ? tx(state.lab.title) : labId} · netdojo`;
    clock.update();
    steps.render();
    terminals.render(state.phase);
  };
  const controller = new SessionController(state, autostart, {
    render,
    renderSteps: () => steps.renderSteps(),
    renderStep: () => steps.renderStep(),
    tick: () => clock.update(),
    openTerminals: (hosts, session, banner) => terminals.open(hosts, session, banner),
    closeTerminals: () => terminals.close(),
  });
  const steps = new StepsPane(state, {
    start: () => void controller.start(),
    check: () => void controller.check(),
    solve: () => void controller.solve(),
    restart: (index) => void controller.restart(index),
    run: (command, host) => terminals.run(command, host),
  });
  const terminals = new TerminalTabs({
    fatal: () =>
      void controller.poll().then(() => {
        if (state.phase === 'ready') terminals.refresh();
      }),
    escapeForward: () => steps.focusFirst(),
  });
  const clock = new SessionClock(state, { end: () => void controller.end(), expired: () => void controller.poll() });

  clear(root);
  root.append(h('div', { class: 'lab-layout' }, steps.element, terminals.element));
  const topMiddle = document.getElementById('topbar-middle');
  if (topMiddle) {
    clear(topMiddle);
    topMiddle.append(clock.timer, clock.endButton);
  }

  const off = onLocaleChange(render);
  void controller.init();

  return {
    dispose() {
      disposed = true;
      off();
      controller.dispose();
      terminals.close();
      if (topMiddle) clear(topMiddle);
    },
  };
}
