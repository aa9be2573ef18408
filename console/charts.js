/**
 * Pictures drawn by the console as SVG elements (no library, nothing from another origin, no inline
 * style: colours come from classes in style.css, so the strict CSP holds): the weekly after-service
 * rates per category, the defect rate against its target, an order's deadlines on a time line, and
 * a late task's age.
 */
const NS = 'http://www.w3.org/2000/svg';

/** s('line', { x1: 0, … }, children…): an SVG element. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    el.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const round = (n) => Math.round(n * 10) / 10;
const pct = (v) => `${(v * 100).toFixed(v * 100 < 1 ? 2 : 1)}%`;

/** A rounded-up axis maximum: 0.0123 → 0.015. */
function niceMax(v) {
  if (!(v > 0)) return 0.01;
  const exp = 10 ** Math.floor(Math.log10(v));
  const m = v / exp;
  const step = m <= 1 ? 1 : m <= 1.5 ? 1.5 : m <= 2 ? 2 : m <= 3 ? 3 : m <= 5 ? 5 : 10;
  return step * exp;
}

function frame(width, height, label, cls) {
  return s('svg', { class: `chart ${cls}`, viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': label });
}

function yAxis(svg, { left, top, plotH, plotW, max }) {
  for (const f of [0, 0.5, 1]) {
    const y = round(top + plotH - f * plotH);
    svg.append(s('line', { class: 'grid', x1: left, x2: left + plotW, y1: y, y2: y }), s('text', { class: 'tick', x: left - 6, y: y + 4, 'text-anchor': 'end' }, pct(max * f)));
  }
}

function xLabels(svg, weeks, { left, top, plotH, step }) {
  weeks.forEach((w, i) => svg.append(s('text', { class: 'tick', x: round(left + i * step), y: top + plotH + 16, 'text-anchor': 'middle' }, w.slice(5))));
}

export const CATEGORIES = ['tracking', 'quality', 'warehouse'];

/**
 * The after-service rate per category over the weeks (oldest first): one line per category, a
 * point per week with a rate (a week without shipments has none), and a legend.
 */
export function categoryRateChart(reports) {
  const width = 640;
  const height = 260;
  const left = 56;
  const top = 16;
  const plotW = width - left - 130;
  const plotH = height - top - 40;
  const weeks = reports.map((r) => r.weekStart);
  const values = reports.flatMap((r) => CATEGORIES.map((c) => r.rateByCategory?.[c]?.value ?? 0));
  const max = niceMax(Math.max(0, ...values));
  const step = weeks.length > 1 ? plotW / (weeks.length - 1) : 0;
  const x = (i) => round(left + (weeks.length > 1 ? i * step : plotW / 2));
  const y = (v) => round(top + plotH - (v / max) * plotH);
  const svg = frame(width, height, 'After-service rate per category, by week', 'category-rates');
  yAxis(svg, { left, top, plotH, plotW, max });
  xLabels(svg, weeks, { left: weeks.length > 1 ? left : left + plotW / 2, top, plotH, step });
  CATEGORIES.forEach((c, k) => {
    const points = reports.map((r, i) => [i, r.rateByCategory?.[c]?.value]).filter(([, v]) => v !== null && v !== undefined);
    if (points.length > 1) svg.append(s('polyline', { class: `series ${c}`, points: points.map(([i, v]) => `${x(i)},${y(v)}`).join(' ') }));
    for (const [i, v] of points) {
      svg.append(s('circle', { class: `point ${c}`, cx: x(i), cy: y(v), r: 3.5, 'data-week': weeks[i], 'data-category': c }, s('title', {}, `${c}, week of ${weeks[i]}: ${reports[i].rateByCategory[c].percent}`)));
    }
    const ly = top + 14 + k * 20;
    svg.append(s('line', { class: `series ${c}`, x1: left + plotW + 16, x2: left + plotW + 36, y1: ly, y2: ly }), s('text', { class: 'legend', x: left + plotW + 42, y: ly + 4 }, c));
  });
  return svg;
}

/** The defect rate per week as bars, against the target drawn as a line (0.2% unless the report says otherwise). */
export function defectRateChart(reports) {
  const width = 640;
  const height = 220;
  const left = 56;
  const top = 16;
  const plotW = width - left - 130;
  const plotH = height - top - 40;
  const target = reports.find((r) => typeof r.defectRate?.target === 'number')?.defectRate.target ?? 0.002;
  const max = niceMax(Math.max(target * 1.5, ...reports.map((r) => r.defectRate?.value ?? 0)));
  const slot = plotW / Math.max(1, reports.length);
  const y = (v) => round(top + plotH - (v / max) * plotH);
  const svg = frame(width, height, `Defect rate by week against its ${pct(target)} target`, 'defect-rates');
  yAxis(svg, { left, top, plotH, plotW, max });
  reports.forEach((r, i) => {
    const v = r.defectRate?.value;
    const cx = left + slot * i + slot / 2;
    svg.append(s('text', { class: 'tick', x: round(cx), y: top + plotH + 16, 'text-anchor': 'middle' }, r.weekStart.slice(5)));
    if (v === null || v === undefined) return;
    const over = v > target;
    svg.append(
      s('rect', { class: `bar ${over ? 'over' : 'within'}`, x: round(cx - slot * 0.3), y: y(v), width: round(slot * 0.6), height: round(top + plotH - y(v)), 'data-week': r.weekStart }, s('title', {}, `week of ${r.weekStart}: ${r.defectRate.percent}`)),
    );
  });
  const ty = y(target);
  svg.append(s('line', { class: 'target-line', x1: left, x2: left + plotW, y1: ty, y2: ty }), s('text', { class: 'legend', x: left + plotW + 8, y: ty + 4 }, `target ${pct(target)}`));
  return svg;
}

const DAY = 86_400_000;

/**
 * An order's deadlines on a time line: what happened (the timeline's events) to the left of now,
 * the open deadlines to the right (an overdue one just left of now), the next one marked.
 */
export function deadlineTimeline(events, deadlines, now = Date.now()) {
  const past = events.map((e) => ({ at: Date.parse(e.at ?? e.occurredAt), label: e.summary ?? e.type })).filter((e) => !Number.isNaN(e.at));
  const open = deadlines.map((d) => ({ at: Date.parse(d.dueAt), label: String(d.kind).replace(/[-_]/g, ' '), rule: d.rule })).filter((d) => !Number.isNaN(d.at)).sort((a, b) => a.at - b.at);
  const from = Math.min(now - DAY, ...past.map((e) => e.at), ...open.map((d) => d.at));
  const to = Math.max(now + DAY, ...open.map((d) => d.at));
  const width = 760;
  const height = 40 + open.length * 16 + 30;
  const left = 20;
  const plotW = width - 2 * left;
  const axisY = 30;
  const x = (t) => round(left + ((t - from) / (to - from)) * plotW);
  const svg = frame(width, height, 'The order on a time line: past events, now, and the open deadlines', 'deadline-line');
  svg.append(s('line', { class: 'axis', x1: left, x2: left + plotW, y1: axisY, y2: axisY }));
  for (const e of past) svg.append(s('circle', { class: 'event-mark', cx: x(e.at), cy: axisY, r: 3 }, s('title', {}, `${new Date(e.at).toISOString().slice(0, 16).replace('T', ' ')} UTC: ${e.label}`)));
  svg.append(s('line', { class: 'now-mark', x1: x(now), x2: x(now), y1: 8, y2: height - 8 }), s('text', { class: 'legend', x: x(now) + 4, y: 14 }, 'now'));
  const next = open.find((d) => d.at >= now);
  open.forEach((d, i) => {
    const ly = axisY + 22 + i * 16;
    const cls = d.at < now ? 'overdue' : d === next ? 'next' : 'later';
    const cx = x(d.at);
    const anchorEnd = cx > left + plotW * 0.6;
    svg.append(
      s('line', { class: `deadline-stem ${cls}`, x1: cx, x2: cx, y1: axisY, y2: ly - 4 }),
      s('circle', { class: `deadline-mark ${cls}`, cx, cy: axisY, r: 5, 'data-kind': d.label }, s('title', {}, `${d.label}: ${new Date(d.at).toISOString().slice(0, 16).replace('T', ' ')} UTC — ${d.rule}`)),
      s('text', { class: `deadline-label ${cls}`, x: anchorEnd ? cx - 4 : cx + 4, y: ly, 'text-anchor': anchorEnd ? 'end' : 'start' }, `${d.label} · ${new Date(d.at).toISOString().slice(0, 10)}`),
    );
  });
  svg.append(s('text', { class: 'tick', x: left, y: height - 4 }, new Date(from).toISOString().slice(0, 10)), s('text', { class: 'tick', x: left + plotW, y: height - 4, 'text-anchor': 'end' }, new Date(to).toISOString().slice(0, 10)));
  return svg;
}

/** A late task's age at a glance: a bar that fills over a week, green under a day, amber under three, red beyond. */
export function ageBar(since, now = Date.now()) {
  const age = Math.max(0, now - Date.parse(since));
  const days = age / DAY;
  const cls = days < 1 ? 'fresh' : days < 3 ? 'aging' : 'old';
  const width = 80;
  const filled = round(Math.max(2, Math.min(1, days / 7) * width));
  const label = days >= 2 ? `${Math.floor(days)} days old` : `${Math.max(1, Math.round(age / 3_600_000))} h old`;
  return s('svg', { class: `age-bar ${cls}`, viewBox: `0 0 ${width} 8`, width, height: 8, role: 'img', 'aria-label': label, 'data-age-days': days.toFixed(2) },
    s('rect', { class: 'track', x: 0, y: 0, width, height: 8, rx: 2 }),
    s('rect', { class: 'fill', x: 0, y: 0, width: filled, height: 8, rx: 2 }),
    s('title', {}, label));
}
