// money.js: exact money for the consoles. The billing API counts in int64
// micro-units (millionths) of an ISO-4217 currency (`*_micros`); sums are
// made here in BigInt, never in floats, and figures are shown with 2 to 6
// decimals, as many as the amount needs. Intl formats a decimal string
// exactly, so no amount passes through a float on its way to the screen.

export const MICROS = 1000000n;

// micros turns a JSON number, a decimal string of micro-units or a BigInt
// into a BigInt (null and undefined are 0).
export function micros(v) {
  if (v === null || v === undefined || v === '') return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  return BigInt(String(v));
}

// sum adds micro-unit amounts exactly.
export function sum(values) {
  let s = 0n;
  for (const v of values) s += micros(v);
  return s;
}

// decimal renders micro-units as a plain decimal string with 2 to 6
// decimals: 68800 → "0.0688", 50000000 → "50.00", -1500000 → "-1.50".
export function decimal(v) {
  const m = micros(v);
  const neg = m < 0n;
  const a = neg ? -m : m;
  let frac = (a % MICROS).toString().padStart(6, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return (neg ? '-' : '') + (a / MICROS).toString() + '.' + frac;
}

// format renders micro-units in currency for lang: "$50.00", "0,0688 €".
export function format(v, currency, lang) {
  const d = decimal(v);
  const places = d.length - d.indexOf('.') - 1;
  try {
    return new Intl.NumberFormat(lang, { style: 'currency', currency: currency || 'USD', minimumFractionDigits: places, maximumFractionDigits: places }).format(d);
  } catch {
    return d + ' ' + (currency || '');
  }
}

// parse reads what a person typed ("50", "12.5", "0,0688") as micro-units;
// it returns null when the text is not an amount with at most 6 decimals.
export function parse(text) {
  const s = String(text || '').trim().replace(',', '.');
  const m = /^(-?)(\d+)(?:\.(\d{0,6}))?$/.exec(s);
  if (!m) return null;
  const v = BigInt(m[2]) * MICROS + BigInt((m[3] || '').padEnd(6, '0'));
  return m[1] ? -v : v;
}

// toJSON turns a BigInt amount into a JSON number for a request body (the
// API takes int64; amounts a person types stay far below 2^53).
export function toJSON(v) {
  return Number(micros(v));
}

// ratio is a/b as a float for drawing (chart heights only, never sums).
export function ratio(a, b) {
  const bb = micros(b);
  if (bb === 0n) return 0;
  return Number((micros(a) * 10000n) / bb) / 10000;
}
