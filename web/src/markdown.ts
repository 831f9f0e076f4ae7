// Step text: markdown → sanitised HTML. Fences whose info string says `run`
// (```bash run, optionally `host=<name>`) become click-to-run blocks; the button
// is added after sanitising, so nothing executable ever comes from the lab text.
import DOMPurify from 'dompurify';
import { Marked, type Tokens } from 'marked';
import { h } from './dom.js';
import { t } from './i18n.js';
import { icon } from './icons.js';

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    code(token: Tokens.Code): string {
      const words = (token.lang ?? '').trim().split(/\s+/).filter(Boolean);
      const lang = words[0] ?? '';
      const run = words.includes('run');
      const host = words.find((w) => w.startsWith('host='))?.slice(5) ?? '';
      const cls = [lang && `language-${escapeAttr(lang)}`].filter(Boolean).join(' ');
      const attrs = run ? ` class="run-block" data-host="${escapeAttr(host)}"` : '';
      return `<pre${attrs}><code${cls ? ` class="${cls}"` : ''}>${escapeHtml(token.text)}</code></pre>\n`;
    },
  },
});

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
const escapeAttr = escapeHtml;

export type RunHandler = (command: string, host: string | null) => void;

/** Renders lab markdown into `container`; `onRun` receives a run block's commands. */
export function renderMarkdown(container: HTMLElement, source: string, onRun: RunHandler | null): void {
  const html = marked.parse(source) as string;
  const clean = DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select'],
    FORBID_ATTR: ['style'],
  });
  container.innerHTML = clean;
  for (const a of container.querySelectorAll('a[href]')) {
    a.setAttribute('rel', 'noopener noreferrer');
    a.setAttribute('target', '_blank');
  }
  for (const pre of container.querySelectorAll<HTMLPreElement>('pre.run-block')) {
    const command = (pre.textContent ?? '').replace(/\n+$/, '');
    const host = pre.dataset.host || null;
    pre.removeAttribute('data-host');
    pre.tabIndex = -1;
    const firstLine = command.split('\n')[0] ?? '';
    const label = t('runLabel', { cmd: firstLine + (command.includes('\n') ? ' …' : '') });
    const button = h(
      'button',
      { type: 'button', class: 'run-button', 'aria-label': label, title: host ? t('runOnHost', { host }) : label, disabled: !onRun },
      icon('play'),
      t('runInTerminal'),
    );
    if (onRun) button.addEventListener('click', () => onRun(command, host));
    const lang = pre.querySelector('code')?.className.match(/language-(\S+)/)?.[1] ?? 'shell';
    const bar = h('div', { class: 'run-bar' }, h('span', { class: 'run-lang' }, host ? `${lang} @${host}` : lang), button);
    const wrap = h('div', { class: 'run-wrap' });
    pre.replaceWith(wrap);
    wrap.append(bar, pre);
  }
}
