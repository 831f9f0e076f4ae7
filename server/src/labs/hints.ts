// Graduated hints: a lab's `hint` is one text or a list of levels (the idea → where to look → the
// command); learners are shown one level at a time.
import { textIn, type Hint, type Locale } from './schema.js';

/** The hint's levels in `locale` (English where a level has no translation); [] for no hint. */
export function hintLevels(hint: Hint | undefined, locale: Locale = 'en'): string[] {
  if (hint === undefined) return [];
  const levels = Array.isArray(hint) ? hint : [hint];
  return levels.map((level) => textIn(level, locale)).filter((text) => text.trim() !== '');
}
