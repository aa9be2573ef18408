/**
 * DOM and formatting helpers. Pages are built from elements (never from HTML strings), so text
 * from the API is always shown as text.
 */

/** h('a', { href: '#/orders' }, 'Orders'): an element with attributes, listeners (onclick…) and children. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'value' && 'value' in el) el.value = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Minor-unit digits of a currency (2 for USD, 0 for JPY), from the browser's ISO 4217 data. */
export function minorDigits(currency) {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

/** 125000, 'USD' → "USD 1,250.00". Amounts are integer minor units. */
export function money(amount, currency) {
  if (amount === undefined || amount === null) return '—';
  if (!currency) return String(amount);
  const digits = minorDigits(currency);
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency, currencyDisplay: 'code', minimumFractionDigits: digits, maximumFractionDigits: digits })
      .format(amount / 10 ** digits)
      .replace(/\u00a0/g, ' ');
  } catch {
    return `${amount} ${currency} (minor units)`;
  }
}

/** "1,250.50" in USD → 125050 minor units; undefined when the text is not an amount of that currency. */
export function toMinorUnits(text, currency) {
  const digits = minorDigits(currency);
  const clean = String(text).trim().replace(/,/g, '');
  const pattern = digits === 0 ? /^\d+$/ : new RegExp(`^\\d+(?:\\.\\d{1,${digits}})?$`);
  if (!pattern.test(clean)) return undefined;
  const [whole, fraction = ''] = clean.split('.');
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "in 3 h", "2 d ago": how far an instant is from now. */
export function relative(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const diff = t - now;
  const abs = Math.abs(diff);
  const amount = abs >= 2 * DAY ? `${Math.round(abs / DAY)} d` : abs >= 2 * HOUR ? `${Math.round(abs / HOUR)} h` : `${Math.max(1, Math.round(abs / MINUTE))} min`;
  return diff >= 0 ? `in ${amount}` : `${amount} ago`;
}

/** An instant as "2026-11-24 14:05 UTC" with how far it is from now; the local time on hover. */
export function when(iso, { showRelative = true } = {}) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return h('span', {}, iso);
  const utc = new Date(t).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  return h('time', { datetime: iso, title: new Date(t).toLocaleString() }, utc, showRelative ? h('span', { class: 'rel' }, ` (${relative(iso)})`) : null);
}

/** A date such as 2026-12-01 as it is (dates carry no time zone). */
export function day(value) {
  return value ? h('span', { class: 'date' }, value) : h('span', { class: 'muted' }, '—');
}

export function badge(status) {
  if (!status) return h('span', { class: 'muted' }, '—');
  return h('span', { class: `badge s-${String(status).toLowerCase().replace(/[^a-z0-9]+/g, '-')}` }, String(status).replace(/_/g, ' '));
}

/** A table: columns of [heading, cell(row)]; an empty list says so in words. */
export function table(rows, columns, { empty = 'Nothing here.', rowAttrs } = {}) {
  if (!rows || rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'table',
    { class: 'list' },
    h('thead', {}, h('tr', {}, columns.map(([heading]) => h('th', { scope: 'col' }, heading)))),
    h('tbody', {}, rows.map((row) => h('tr', rowAttrs ? rowAttrs(row) : {}, columns.map(([, cell]) => h('td', {}, cell(row)))))),
  );
}

/** A definition list of [label, value] pairs, leaving out the empty ones. */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function section(title, ...children) {
  return h('section', { class: 'block' }, h('h2', {}, title), ...children);
}
