// Entry point: a hash router over two views (catalog, lab) and the language switch.
import { catalogView } from './catalog.js';
import { locale, onLocaleChange, setLocale, t, type Locale } from './i18n.js';
import { navigate } from './nav.js';
import type { View } from './view.js';

const main = document.getElementById('main')!;
let view: View | null = null;

// Paths: `/` is the catalog, `/labs/<id>` a lab (`?start=1` starts it at once).

let routing = 0;
async function route(): Promise<void> {
  const n = ++routing;
  // Old-style `#/lab/<id>` links still land on the lab.
  const legacy = /^#\/labs?\/([^/?]+)/.exec(location.hash);
  if (legacy) history.replaceState(null, '', `/labs/${legacy[1]}${location.search}`);
  const params = new URLSearchParams(location.search);
  view?.dispose();
  view = null;
  const m = /^\/labs\/([^/]+)\/?$/.exec(location.pathname);
  if (m) {
    const id = decodeURIComponent(m[1]!);
    const autostart = params.get('start') === '1';
    if (autostart) history.replaceState(null, '', `/labs/${encodeURIComponent(id)}`);
    document.body.dataset.view = 'lab';
    // The terminal (xterm.js) is the bulk of the bundle: load it only for a lab.
    const { labView } = await import('./lab/index.js');
    if (n !== routing) return;
    view = labView(main, id, autostart);
  } else {
    document.body.dataset.view = 'catalog';
    view = catalogView(main);
  }
}

// Same-origin links navigate inside the page (no reload, terminals are closed cleanly).
document.addEventListener('click', (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = (ev.target as Element).closest?.('a[href]') as HTMLAnchorElement | null;
  if (!a || a.target || a.origin !== location.origin || a.pathname.startsWith('/api/') || a.pathname.startsWith('/docs')) return;
  if (a.pathname === location.pathname && a.search === location.search && a.hash) return;
  ev.preventDefault();
  navigate(a.pathname + a.search);
});

function renderChrome(): void {
  document.documentElement.lang = locale();
  const group = document.getElementById('lang-switch')!;
  group.setAttribute('aria-label', t('language'));
  for (const b of group.querySelectorAll<HTMLButtonElement>('button[data-locale]')) {
    b.setAttribute('aria-pressed', String(b.dataset.locale === locale()));
  }
  const skip = document.querySelector('.skip-link');
  if (skip) skip.textContent = t('skipToContent');
}

document.getElementById('lang-switch')!.addEventListener('click', (ev) => {
  const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-locale]');
  if (b) setLocale(b.dataset.locale as Locale);
});
document.querySelector('.skip-link')?.addEventListener('click', (ev) => {
  ev.preventDefault();
  main.focus();
});
onLocaleChange(renderChrome);
renderChrome();
window.addEventListener('popstate', () => void route());
void route();
