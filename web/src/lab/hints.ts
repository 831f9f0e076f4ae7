// Graduated hints: the levels revealed so far (each labelled "Hint n of N") and a button that
// reveals the next one. The step's own hint starts hidden; a failed check's hint starts at level 1.
import type { Hint } from '../../../server/src/protocol/http.js';
import { h } from '../dom.js';
import { t, tx } from '../i18n.js';
import { renderMarkdown } from '../markdown.js';

/** A lab's hint as levels in the current locale. */
export function hintLevelsOf(hint: Hint | undefined): string[] {
  if (hint === undefined) return [];
  return (Array.isArray(hint) ? hint : [hint]).map((level) => tx(level)).filter((text) => text.trim() !== '');
}

/** How many levels of one hint are shown, keyed by `step:<id>` or `check:<step>/<check>`. */
export type HintsShown = Map<string, number>;

export const stepHintKey = (step: string): string => `step:${step}`;
export const checkHintKey = (step: string, check: string): string => `check:${step}/${check}`;

/** Shows one more level of the hint (up to `total`); returns the new count. */
export function revealNext(shown: HintsShown, key: string, total: number): number {
  const n = Math.min(total, (shown.get(key) ?? 0) + 1);
  shown.set(key, n);
  return n;
}

export function hintLevelsView(levels: string[], shownCount: number, onMore: () => void, cls: string): HTMLElement {
  const shown = Math.min(shownCount, levels.length);
  const box = h('div', { class: `hint-levels ${cls}`, 'data-shown': shown, 'data-total': levels.length });
  levels.slice(0, shown).forEach((text, i) => {
    const md = h('div', { class: 'md hint-text' });
    renderMarkdown(md, text, null);
    const label = levels.length > 1 ? t('hintLevel', { n: i + 1, total: levels.length }) : t('hint');
    box.append(h('div', { class: 'hint-level', 'data-level': i + 1 }, h('p', { class: 'hint-label' }, label), md));
  });
  if (shown < levels.length) {
    box.append(
      h('button', { type: 'button', class: 'link-button another-hint', onclick: onMore }, shown === 0 ? t('hint') : t('anotherHint')),
    );
  }
  return box;
}
