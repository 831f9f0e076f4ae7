// The catalog: every lab grouped by track, with what this server can and cannot run.
import { api, type Health, type LabSummary } from './api.js';
import { clear, h } from './dom.js';
import { levelLabel, onLocaleChange, t, trackLabel, tx } from './i18n.js';
import { loadSession } from './store.js';
import type { View } from './view.js';

export function catalogView(root: HTMLElement): View {
  let labs: LabSummary[] | null = null;
  let health: Health | null = null;
  let error: string | null = null;
  let disposed = false;

  const load = async () => {
    error = null;
    labs = null;
    render();
    try {
      const [l, hl] = await Promise.all([api.labs(), api.health().catch(() => null)]);
      labs = l;
      health = hl;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    if (!disposed) render();
  };

  function render(): void {
    clear(root);
    document.title = `${t('catalogTitle')} · netdojo`;
    const topMiddle = document.getElementById('topbar-middle');
    if (topMiddle) clear(topMiddle);
    const page = h('div', { class: 'catalog' }, h('h1', {}, t('catalogTitle')), h('p', { class: 'lead' }, t('catalogIntro')));
    root.append(page);
    if (error) {
      page.append(
        h('p', { class: 'error', role: 'alert' }, t('loadError', { msg: error })),
        h('button', { type: 'button', class: 'btn', onclick: () => void load() }, t('retry')),
      );
      return;
    }
    if (!labs) {
      page.append(h('p', { class: 'muted', 'aria-busy': 'true' }, t('loading')));
      return;
    }
    if (health) {
      page.append(
        h(
          'p',
          { class: 'server-status' },
          h('strong', {}, `${t('serverStatus')}: `),
          h('span', { class: health.docker ? 'ok' : 'bad' }, health.docker ? t('dockerOk') : t('dockerMissing')),
          ' · ',
          h('span', { class: health.userns ? 'ok' : 'bad' }, health.userns ? t('usernsOk') : t('usernsMissing')),
        ),
      );
    }
    if (labs.length === 0) {
      page.append(h('p', { class: 'muted' }, t('noLabs')));
      return;
    }
    // the API lists labs in learning order (tracks too): keep it
    const tracks = [...new Set(labs.map((l) => l.track))];
    for (const track of tracks) {
      const headingId = `track-${track}`;
      const list = h('ul', { class: 'cards' });
      for (const lab of labs.filter((l) => l.track === track)) list.append(card(lab));
      page.append(h('section', { class: 'track', 'aria-labelledby': headingId }, h('h2', { id: headingId }, trackLabel(track)), list));
    }
  }

  function card(lab: LabSummary): HTMLElement {
    const title = tx(lab.title);
    const resumable = lab.available && loadSession(lab.id) !== null;
    const reasonId = `why-${lab.id}`;
    const hostCount = lab.hosts?.length ?? 0;
    const meta = h(
      'p',
      { class: 'meta' },
      h('span', { class: `level level-${lab.level}` }, levelLabel(lab.level)),
      h('span', {}, t('minutes', { n: lab.minutes })),
      hostCount > 0 ? h('span', {}, hostCount === 1 ? t('oneHost') : t('hosts', { n: hostCount })) : null,
    );
    const requires =
      lab.requires.length > 0
        ? h(
            'p',
            { class: 'requires' },
            h('span', { class: 'muted' }, `${t('requires')}: `),
            ...lab.requires.map((r) => h('code', { class: 'chip' }, r)),
          )
        : null;
    const action = lab.available
      ? h(
          'a',
          {
            class: 'btn primary',
            href: `/labs/${encodeURIComponent(lab.id)}?start=1`,
            'aria-label': resumable ? t('resumeNamed', { title }) : t('startNamed', { title }),
          },
          resumable ? t('resume') : t('start'),
        )
      : h('button', { type: 'button', class: 'btn', disabled: true, 'aria-describedby': reasonId }, t('start'));
    return h(
      'li',
      { class: `card${lab.available ? '' : ' unavailable'}`, 'data-lab': lab.id },
      h('h3', {}, lab.available ? h('a', { href: `/labs/${encodeURIComponent(lab.id)}` }, title) : title),
      lab.description ? h('p', { class: 'desc', title: tx(lab.description) }, tx(lab.description)) : null,
      meta,
      requires,
      lab.provider === 'kind' || lab.requires.includes('kind') ? h('p', { class: 'warn' }, t('kindWarning')) : null,
      lab.available
        ? null
        : h(
            'p',
            { class: 'reason', id: reasonId },
            h('span', { class: 'badge' }, t('unavailable')),
            ' ',
            t('unavailableReason', { reason: lab.unavailableReason ?? '—' }),
          ),
      h('div', { class: 'card-actions' }, action),
    );
  }

  const off = onLocaleChange(render);
  void load();
  return {
    dispose() {
      disposed = true;
      off();
    },
  };
}
