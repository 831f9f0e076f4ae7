// Small inline icons (no icon font, no emoji: they must render with the fonts a server has).
const SVG_NS = 'http://www.w3.org/2000/svg';

const paths = {
  lock: 'M5 7V5a3 3 0 0 1 6 0v2h1v7H4V7h1zm1.5 0h3V5a1.5 1.5 0 0 0-3 0v2z',
  clock: 'M8 1.5a6.5 6.5 0 1 1 0 13 6.5 6.5 0 0 1 0-13zm0 1.5a5 5 0 1 0 0 10A5 5 0 0 0 8 3zm-.75 1.5h1.5v3.2l2.2 1.3-.75 1.3-2.95-1.75V4.5z',
  check: 'M6.2 11.6 2.6 8l1.1-1.1 2.5 2.5 6.1-6.1 1.1 1.1z',
  cross: 'M4.1 3 8 6.9 11.9 3 13 4.1 9.1 8l3.9 3.9-1.1 1.1L8 9.1 4.1 13 3 11.9 6.9 8 3 4.1z',
  play: 'M4 2.5v11l9-5.5z',
  flag: 'M3 1.5h1.5v1h8l-2 3.5 2 3.5h-8v5H3z',
  restart: 'M8 2.5a5.5 5.5 0 1 1-5.3 7h1.6A4 4 0 1 0 5.2 5.2L7 7H2.5V2.5l1.6 1.6A5.5 5.5 0 0 1 8 2.5z',
} as const;

export type IconName = keyof typeof paths;

export function icon(name: IconName, cls = 'icon'): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('class', cls);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', paths[name]);
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}
