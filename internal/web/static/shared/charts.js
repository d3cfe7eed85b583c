// charts.js: money charts for the consoles, drawn as inline SVG with DOM
// APIs and classes only (the Content-Security-Policy forbids inline style
// attributes). Values are micro-unit amounts (BigInt or JSON numbers);
// they are only turned into floats to size a bar, and every figure is also
// given as text: in the SVG's accessible name and in a legend or table.

import { h } from './console.js';
import { micros, ratio } from './money.js';

const NS = 'http://www.w3.org/2000/svg';

function svgEl(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function svgRoot(w, hgt, label, cls) {
  return svgEl('svg', { viewBox: `0 0 ${w} ${hgt}`, width: w, height: hgt, class: 'chart ' + (cls || ''), role: 'img', 'aria-label': label });
}

// legend names the series with their colour classes (series-0 … series-5).
export function legend(series) {
  return h('ul.legend', series.map((s, i) => h('li', h('span.swatch', { class: 'series-' + (i % 6), 'aria-hidden': 'true' }), s.label)));
}

// stackedBars draws one bar per column (a month), stacked by series:
// columns [{label, values: {series key: micros}}], series [{key, label}].
export function stackedBars(title, columns, series, fmt, { id } = {}) {
  const totals = columns.map((c) => series.reduce((s, x) => s + micros(c.values[x.key]), 0n));
  const max = totals.reduce((m, v) => (v > m ? v : m), 1n);
  const bw = 36, gap = 16, H = 160, top = 18, W = Math.max(240, columns.length * (bw + gap) + gap);
  const svg = svgRoot(W, H + top + 30, title + ': ' + columns.map((c, i) => `${c.label} ${fmt(totals[i])}`).join(', '), 'stacked');
  svg.append(svgEl('line', { x1: 0, y1: top + H, x2: W, y2: top + H, class: 'axis' }));
  columns.forEach((c, i) => {
    const x = gap + i * (bw + gap);
    let y = top + H;
    series.forEach((s, k) => {
      const v = micros(c.values[s.key]);
      if (v <= 0n) return;
      const bh = Math.max(1, Math.round(ratio(v, max) * H));
      y -= bh;
      const r = svgEl('rect', { x, y, width: bw, height: bh, class: 'bar series-' + (k % 6) });
      r.append(svgEl('title', {}, `${c.label} · ${s.label}: ${fmt(v)}`));
      svg.append(r);
    });
    svg.append(svgEl('text', { x: x + bw / 2, y: y - 4, 'text-anchor': 'middle', class: 'chart-value' }, fmt(totals[i])));
    svg.append(svgEl('text', { x: x + bw / 2, y: top + H + 16, 'text-anchor': 'middle', class: 'chart-label' }, c.label));
  });
  return h('figure.chart-wrap', { id }, h('figcaption', title), h('div.chart-scroll', svg), legend(series));
}

// hbars draws one horizontal bar per row: rows [{label, value: micros}],
// largest first as given.
export function hbars(title, rows, fmt, { id } = {}) {
  const max = rows.reduce((m, r) => (micros(r.value) > m ? micros(r.value) : m), 1n);
  const rh = 22, lw = 130, bwMax = 220, W = lw + bwMax + 110, H = Math.max(1, rows.length) * rh + 4;
  const svg = svgRoot(W, H, title + ': ' + rows.map((r) => `${r.label} ${fmt(r.value)}`).join(', '), 'hbars');
  rows.forEach((r, i) => {
    const y = 2 + i * rh;
    const bw = Math.max(1, Math.round(ratio(r.value, max) * bwMax));
    svg.append(svgEl('text', { x: lw - 6, y: y + 15, 'text-anchor': 'end', class: 'chart-label' }, String(r.label).slice(0, 20)));
    svg.append(svgEl('rect', { x: lw, y: y + 3, width: bw, height: rh - 6, class: 'bar series-' + (r.series || 0) }));
    svg.append(svgEl('text', { x: lw + bw + 6, y: y + 15, class: 'chart-value' }, fmt(r.value)));
  });
  return h('figure.chart-wrap', { id }, h('figcaption', title), h('div.chart-scroll', svg));
}

// pairedBars compares two figures per row (base and alternative):
// rows [{label, a: micros, b: micros}], names [label of a, label of b].
export function pairedBars(title, rows, names, fmt, { id } = {}) {
  const max = rows.reduce((m, r) => [micros(r.a), micros(r.b), m].reduce((x, y) => (y > x ? y : x)), 1n);
  const bw = 22, gap = 22, H = 150, top = 18, W = Math.max(240, rows.length * (2 * bw + gap) + gap);
  const svg = svgRoot(W, H + top + 30, title + ': ' + rows.map((r) => `${r.label} ${names[0]} ${fmt(r.a)}, ${names[1]} ${fmt(r.b)}`).join('; '), 'paired');
  svg.append(svgEl('line', { x1: 0, y1: top + H, x2: W, y2: top + H, class: 'axis' }));
  rows.forEach((r, i) => {
    const x = gap + i * (2 * bw + gap);
    [r.a, r.b].forEach((v, k) => {
      const bh = Math.max(1, Math.round(ratio(v, max) * H));
      const rect = svgEl('rect', { x: x + k * bw, y: top + H - bh, width: bw - 2, height: bh, class: 'bar series-' + k });
      rect.append(svgEl('title', {}, `${r.label} · ${names[k]}: ${fmt(v)}`));
      svg.append(rect);
    });
    svg.append(svgEl('text', { x: x + bw, y: top + H + 16, 'text-anchor': 'middle', class: 'chart-label' }, String(r.label).slice(0, 12)));
  });
  return h('figure.chart-wrap', { id }, h('figcaption', title), h('div.chart-scroll', svg), legend(names.map((label) => ({ label }))));
}
