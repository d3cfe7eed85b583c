// icons.js: the controls' icons, as inline SVG (stroked with the text
// colour), so that they render the same everywhere, with no emoji font.
// Emoji in messages and reactions stay emoji.

const NS = 'http://www.w3.org/2000/svg';

// PATHS are 24×24 outlines, drawn for Parley.
const PATHS = {
  newChat: ['M4 5h16v11H9l-5 4z', 'M12 8v5', 'M9.5 10.5h5'],
  newGroup: ['M9 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6z', 'M3 19c0-3 2.7-5 6-5s6 2 6 5', 'M16 5.5a3 3 0 0 1 0 5.5', 'M17 14c2.4.4 4 2.2 4 5'],
  attach: ['M20 11.5l-8.2 8.2a5 5 0 0 1-7-7L13 4.5a3.3 3.3 0 0 1 4.7 4.7l-8.2 8.2a1.7 1.7 0 0 1-2.4-2.4L15 7.1'],
  find: ['M10.5 17a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13z', 'M15.5 15.5L20 20'],
  bell: ['M6 16V11a6 6 0 0 1 12 0v5l1.5 2h-15z', 'M10 20.5a2 2 0 0 0 4 0'],
  bellOff: ['M6 16V11a6 6 0 0 1 9.5-4.9', 'M18 10.5V16l1.5 2H8', 'M10 20.5a2 2 0 0 0 4 0', 'M4 4l16 16'],
  send: ['M4 12l16-8-6 16-2.5-6.5z', 'M11.5 13.5L20 4'],
};

// icon returns the SVG of name, hidden from assistive technology (the
// control it sits in carries the label).
export function icon(name) {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'icon icon-' + name);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of PATHS[name] || []) {
    const p = document.createElementNS(NS, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}
