/**
 * The console's pages. Each loads what it shows from the API and returns one element; the router
 * (app.js) puts it on screen. A page whose endpoint this API does not offer says so in words.
 */
import { api, download, errorBox, mayCall, offers, session } from './api.js';
import { actionForm, amountField, field, invalid, lateTaskActions, text } from './actions.js';
import { ageBar, categoryRateChart, deadlineTimeline, defectRateChart, CATEGORIES } from './charts.js';
import { badge, day, facts, h, money, section, table, when } from './dom.js';
import { actionForms, actionsOf, apiActionForm, refusedList } from './forms.js';

// ---- links and shared pieces ------------------------------------------------------------------

const RESOURCE_PATHS = { order: 'orders', monitoring: 'monitoring', case: 'cases', 'manual-order': 'manual-orders' };
const RESOURCE_NAMES = { order: 'order', monitoring: 'monitoring task', case: 'case', 'manual-order': 'manual order' };

/** The console page of an order, monitoring task or case. */
export function resourceHref(resource, id) {
  const base = RESOURCE_PATHS[resource];
  return base ? `#/${base}/${encodeURIComponent(id)}` : undefined;
}

function resourceLink(resource, id) {
  const href = resourceHref(resource, id);
  const label = `${RESOURCE_NAMES[resource] ?? resource} ${id}`;
  return href ? h('a', { href }, label) : h('span', {}, label);
}

/** "#/orders?status=PAID&buyerId=acme" from a page and its filters. */
function pageHref(path, query) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

function notAvailable(what, operation) {
  return h('p', { class: 'notice', dataset: { unavailable: operation } }, `${what} is not available in this version of the API (it has no ${operation}).`);
}

/**
 * A filter form: its fields become the page's query (so a filtered list is a link too).
 * `fields` are [name, label, input].
 */
function filterForm(path, query, fields) {
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (ev) => {
        ev.preventDefault();
        const values = {};
        for (const [name, value] of new FormData(form)) values[name] = String(value).trim();
        location.hash = pageHref(path, values);
      },
    },
    fields.map(([name, label, input]) => field(label, input ?? h('input', { name, value: query.get(name) ?? '', size: 14 }))),
    h('button', { type: 'submit' }, 'Filter'),
    h('a', { href: `#${path}`, class: 'small' }, 'Clear'),
  );
  return form;
}

function select(name, options, current, anyLabel = 'any') {
  return h('select', { name }, h('option', { value: '' }, anyLabel), options.map((o) => h('option', { value: o, selected: o === current }, o.replace(/_/g, ' '))));
}

function mustAct(value) {
  if (!value) return null;
  return !Number.isNaN(Date.parse(value)) && /^\d{4}-\d{2}-\d{2}T/.test(value)
    ? h('div', { class: 'small' }, 'Act by ', when(value))
    : h('div', { class: 'small' }, 'Must act: ', String(value));
}

function lateTaskTable(tasks, done, empty) {
  return table(
    tasks,
    [
      ['Since', (t) => [when(t.since), h('div', {}, ageBar(t.since))]],
      ['Late task', (t) => [h('strong', {}, String(t.kind).replace(/[-_]/g, ' ')), h('div', {}, t.summary), mustAct(t.mustAct)]],
      ['On', (t) => resourceLink(t.resource, t.resourceId)],
      ['Status', (t) => [badge(t.status), t.assignee ? h('div', { class: 'small' }, 'Assigned to ', h('strong', {}, t.assignee)) : null, t.resolvedAt ? h('div', { class: 'small' }, 'Resolved ', when(t.resolvedAt)) : null]],
      ['Act', (t) => h('div', { class: 'actions' }, lateTaskActions(t, done))],
    ],
    { empty, rowAttrs: (t) => ({ class: `task ${t.status}`, dataset: { taskId: t.id, taskStatus: t.status } }) },
  );
}

function deadlineTable(deadlines, empty) {
  return table(
    deadlines,
    [
      ['Due', (d) => [when(d.dueAt), d.overdue ? h('div', {}, badge('OVERDUE')) : null]],
      ['Deadline', (d) => [h('strong', {}, String(d.kind).replace(/[-_]/g, ' ')), h('div', { class: 'small' }, d.rule)]],
      ['On', (d) => (d.resource ? [resourceLink(d.resource, d.resourceId), parties(d)] : null)],
      ['When it passes', (d) => [d.onExpiry, d.reminderSent ? h('div', { class: 'small muted' }, 'reminder sent') : null]],
      ['Policy', (d) => h('code', {}, d.policyVersion ?? '—')],
    ],
    { empty, rowAttrs: (d) => ({ class: d.overdue || Date.parse(d.dueAt) < Date.now() ? 'overdue' : '' }) },
  );
}

function parties(row) {
  const bits = [row.buyerId ? `buyer ${row.buyerId}` : null, row.supplierId ? `supplier ${row.supplierId}` : null].filter(Boolean);
  return bits.length ? h('div', { class: 'small muted' }, bits.join(' · ')) : null;
}

function timeline(events) {
  const list = Array.isArray(events) ? events : (events?.events ?? []);
  if (list.length === 0) return h('p', { class: 'empty' }, 'No events yet.');
  return h(
    'ol',
    { class: 'timeline' },
    list.map((e) =>
      h('li', {}, when(e.at ?? e.occurredAt, { showRelative: false }), ' ', h('span', { class: 'actor' }, actorText(e.actor ?? { role: e.actorRole, partyId: e.actorId })), ' ', h('span', {}, e.summary ?? e.type)),
    ),
  );
}

function actorText(actor) {
  if (!actor?.role) return '';
  return `${actor.role}${actor.partyId && actor.role !== 'ops' ? ` ${actor.partyId}` : ''}`;
}

function nextStep(step) {
  if (!step) return null;
  return h('p', { class: 'next-step' }, h('strong', {}, 'Next: '), step.description ?? step.action, step.by ? h('span', { class: 'muted' }, ` (by ${step.by})`) : null);
}

function pager(prevHref, nextHref) {
  if (!prevHref && !nextHref) return null;
  return h('p', { class: 'pager' }, prevHref ? h('a', { href: prevHref }, '← Previous') : null, ' ', nextHref ? h('a', { href: nextHref }, 'Next →') : null);
}

// ---- home: the late-task queue and open deadlines ---------------------------------------------

async function openLateTasks() {
  const [open, acknowledged] = await Promise.all([
    api('GET', '/late-tasks', { query: { status: 'open' } }),
    api('GET', '/late-tasks', { query: { status: 'acknowledged' } }),
  ]);
  return [...open.tasks, ...acknowledged.tasks].sort((a, b) => Date.parse(a.since) - Date.parse(b.since));
}

export async function home(ctx) {
  if (!(await mayCall('GET /late-tasks'))) return partyHome();
  const [hasTasks, hasDeadlines] = await Promise.all([offers('GET /late-tasks'), offers('GET /deadlines')]);
  const [tasks, deadlines] = await Promise.all([
    hasTasks ? openLateTasks() : api('GET', '/monitoring', { query: { late: 'true' } }).then((r) => r.tasks),
    hasDeadlines ? api('GET', '/deadlines', { query: { limit: 25 } }).then((r) => r.deadlines) : undefined,
  ]);
  const queue = hasTasks
    ? [
        h('p', { class: 'muted' }, `${tasks.length} late task${tasks.length === 1 ? '' : 's'} waiting on ops, oldest first. `, h('a', { href: '#/late-tasks?status=resolved' }, 'Resolved tasks')),
        lateTaskTable(tasks, ctx.done, 'No late tasks: nothing is waiting on ops.'),
      ]
    : [
        notAvailable('The late-task queue', 'GET /late-tasks'),
        h('p', {}, 'Monitoring tasks whose report is late:'),
        monitoringTable(tasks, 'No late reports.'),
      ];
  return h(
    'div',
    {},
    h('h1', {}, 'Late tasks and open deadlines'),
    section('Late-task queue', ...queue),
    section(
      'Open deadlines',
      hasDeadlines
        ? [deadlineTable(deadlines, 'No open deadlines.'), h('p', {}, h('a', { href: '#/deadlines' }, 'All deadlines, with filters'))]
        : [notAvailable('The list of deadlines across orders', 'GET /deadlines'), h('p', {}, h('a', { href: '#/orders' }, 'Orders'), ' show their next deadline.')],
    ),
  );
}

/** The home page of a key without the late-task queue (a buyer, a supplier, an inspector): its open deadlines. */
async function partyHome() {
  const { deadlines: list } = await api('GET', '/deadlines', { query: { limit: 25 } });
  const who = session.who;
  return h(
    'div',
    {},
    h('h1', {}, 'Your open deadlines'),
    h('p', { class: 'muted' }, `Signed in as ${who.role ?? 'a party'}${who.partyId ? ` ${who.partyId}` : ''}. Each record's page shows the actions you may take on it now.`),
    section('Open deadlines', deadlineTable(list, 'No open deadlines.'), h('p', {}, h('a', { href: '#/orders' }, 'Your orders'))),
  );
}

export async function lateTasks(ctx) {
  if (!(await offers('GET /late-tasks'))) return h('div', {}, h('h1', {}, 'Late tasks'), notAvailable('The late-task queue', 'GET /late-tasks'));
  const q = ctx.query;
  const status = q.get('status') || 'open';
  const { tasks } = await api('GET', '/late-tasks', { query: { status, kind: q.get('kind'), assignee: q.get('assignee') } });
  return h(
    'div',
    {},
    h('h1', {}, `Late tasks: ${status}`),
    filterForm('/late-tasks', q, [
      ['status', 'Status', select('status', ['open', 'acknowledged', 'resolved'], status, 'open')],
      ['kind', 'Kind'],
      ['assignee', 'Assignee'],
    ]),
    lateTaskTable(tasks, ctx.done, `No ${status} late tasks.`),
  );
}

export async function deadlines(ctx) {
  if (!(await offers('GET /deadlines'))) return h('div', {}, h('h1', {}, 'Open deadlines'), notAvailable('The list of deadlines', 'GET /deadlines'));
  const q = ctx.query;
  const filters = { resource: q.get('resource'), kind: q.get('kind'), party: q.get('party'), overdue: q.get('overdue'), dueBefore: q.get('dueBefore'), dueAfter: q.get('dueAfter') };
  const page = await api('GET', '/deadlines', { query: { ...filters, limit: 50, cursor: q.get('cursor') } });
  return h(
    'div',
    {},
    h('h1', {}, 'Open deadlines'),
    filterForm('/deadlines', q, [
      ['resource', 'On', select('resource', ['order', 'monitoring', 'case'], q.get('resource'), 'anything')],
      ['kind', 'Kind'],
      ['party', 'Party'],
      ['overdue', 'Overdue', select('overdue', ['true', 'false'], q.get('overdue'))],
    ]),
    deadlineTable(page.deadlines, 'No open deadlines match.'),
    pager(q.get('cursor') ? pageHref('/deadlines', filters) : undefined, page.nextCursor ? pageHref('/deadlines', { ...filters, cursor: page.nextCursor }) : undefined),
  );
}

// ---- lists ------------------------------------------------------------------------------------

const ORDER_STATUSES = ['DRAFT', 'BUYER_CONFIRMED', 'CONFIRMED', 'DEPOSIT_PAID', 'PAID', 'SHIPPED', 'DELIVERED', 'RECEIPT_CONFIRMED', 'COMPLETED', 'EXPIRED', 'CANCELLED', 'SETTLED'];
const MONITORING_STATUSES = ['AWAITING_PAYMENT', 'AWAITING_INSPECTOR', 'INSPECTION_SCHEDULED', 'AWAITING_REPORT', 'REPORT_READY', 'COMPLETED', 'LAPSED', 'CANCELLED'];

export async function orders(ctx) {
  const q = ctx.query;
  const limit = 50;
  const offset = Math.max(0, Number(q.get('offset')) || 0);
  const filters = { status: q.get('status'), buyerId: q.get('buyerId'), supplierId: q.get('supplierId') };
  const page = await api('GET', '/orders', { query: { ...filters, limit, offset } });
  return h(
    'div',
    {},
    h('h1', {}, 'Orders'),
    (await mayCall('POST /orders')) ? h('p', {}, h('a', { href: '#/orders/new' }, 'Draft a purchase order')) : null,
    filterForm('/orders', q, [
      ['status', 'Status', select('status', ORDER_STATUSES, filters.status)],
      ['buyerId', 'Buyer'],
      ['supplierId', 'Supplier'],
    ]),
    h('p', { class: 'muted' }, `${page.total} order${page.total === 1 ? '' : 's'}${page.total > limit ? `, ${offset + 1}–${Math.min(offset + limit, page.total)} shown` : ''}, most recently changed first.`),
    table(
      page.orders,
      [
        ['Order', (o) => h('a', { href: resourceHref('order', o.orderId) }, o.orderId)],
        ['Status', (o) => badge(o.status)],
        ['Buyer · supplier', (o) => `${o.buyerId} · ${o.supplierId}`],
        ['Total', (o) => money(o.total, o.currency)],
        ['Held in escrow', (o) => money(o.held, o.currency)],
        ['Ships by', (o) => day(o.shippingDate)],
        ['Next deadline', (o) => when(o.nextDeadlineAt)],
      ],
      { empty: 'No orders match.' },
    ),
    pager(
      offset > 0 ? pageHref('/orders', { ...filters, offset: Math.max(0, offset - limit) || undefined }) : undefined,
      offset + limit < page.total ? pageHref('/orders', { ...filters, offset: offset + limit }) : undefined,
    ),
  );
}

function monitoringTable(tasks, empty) {
  return table(
    tasks,
    [
      ['Task', (t) => h('a', { href: resourceHref('monitoring', t.monitoringId) }, t.monitoringId)],
      ['Order', (t) => h('a', { href: resourceHref('order', t.orderId) }, t.orderId)],
      ['Status', (t) => [badge(t.status), t.late ? [' ', badge('LATE')] : null]],
      ['Result', (t) => (t.result ? badge(t.result) : h('span', { class: 'muted' }, '—'))],
      ['Fee', (t) => [money(t.fee, t.currency), t.paid ? h('div', { class: 'small muted' }, `paid ${money(t.paid, t.currency)}`) : null]],
      ['Next deadline', (t) => when(t.nextDeadlineAt)],
    ],
    { empty },
  );
}

export async function monitoringList(ctx) {
  const q = ctx.query;
  const filters = { status: q.get('status'), late: q.get('late'), orderId: q.get('orderId') };
  const { tasks } = await api('GET', '/monitoring', { query: { ...filters, limit: 100 } });
  return h(
    'div',
    {},
    h('h1', {}, 'Monitoring tasks'),
    filterForm('/monitoring', q, [
      ['status', 'Status', select('status', MONITORING_STATUSES, filters.status)],
      ['late', 'Report late', select('late', ['true', 'false'], filters.late)],
      ['orderId', 'Order'],
    ]),
    monitoringTable(tasks, 'No monitoring tasks match.'),
  );
}

const CASE_STATUSES = ['AWAITING_REPLY', 'IN_PROGRESS', 'AWAITING_RETURN', 'AWAITING_CONFIRMATION', 'CLOSED'];

function caseOrderLink(source, orderId) {
  if (!orderId) return h('span', { class: 'muted' }, '—');
  return h('a', { href: resourceHref(source === 'manual' ? 'manual-order' : 'order', orderId) }, `${source === 'manual' ? 'manual order ' : ''}${orderId}`);
}

export async function cases(ctx) {
  if (!(await offers('GET /cases'))) return h('div', {}, h('h1', {}, 'After-service cases'), notAvailable('The list of cases', 'GET /cases'));
  const q = ctx.query;
  const filters = { status: q.get('status'), late: q.get('late'), orderId: q.get('orderId') };
  const answer = await api('GET', '/cases', { query: { ...filters, limit: 100 } });
  return h(
    'div',
    {},
    h('h1', {}, 'After-service cases'),
    filterForm('/cases', q, [
      ['status', 'Status', select('status', CASE_STATUSES, filters.status)],
      ['late', 'First reply missed', select('late', ['true', 'false'], filters.late)],
      ['orderId', 'Order'],
    ]),
    table(
      answer.cases,
      [
        ['Case', (c) => h('a', { href: resourceHref('case', c.caseId) }, c.caseId)],
        ['Type', (c) => [String(c.type ?? '').replace(/_/g, ' '), h('div', { class: 'small muted' }, c.category, c.proactive ? ' · opened by the self-check' : '')]],
        ['Status', (c) => [badge(c.status), c.late ? [' ', badge('LATE')] : null, c.resolution ? h('div', { class: 'small' }, String(c.resolution).replace(/_/g, ' ')) : null]],
        ['Order', (c) => caseOrderLink(c.orderSource, c.orderId)],
        ['Refunded', (c) => (c.refunded ? money(c.refunded.amount, c.refunded.currency) : '—')],
        ['First reply due', (c) => (c.firstRepliedAt ? h('span', { class: 'muted small' }, 'replied') : when(c.firstReplyDueAt))],
        ['Opened', (c) => when(c.openedAt)],
      ],
      { empty: 'No cases match.' },
    ),
  );
}

export async function manualOrders(ctx) {
  if (!(await offers('GET /manual-orders'))) return h('div', {}, h('h1', {}, 'Manual orders'), notAvailable('The list of manual orders', 'GET /manual-orders'));
  const status = ctx.query.get('status');
  const { manualOrders: list } = await api('GET', '/manual-orders', { query: { status, limit: 100 } });
  return h(
    'div',
    {},
    h('h1', {}, 'Manual orders'),
    (await mayCall('POST /manual-orders')) ? h('p', {}, h('a', { href: '#/manual-orders/new' }, 'Enter a manual order')) : null,
    filterForm('/manual-orders', ctx.query, [['status', 'Status', select('status', ['PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'], status)]]),
    table(
      list,
      [
        ['Manual order', (m) => h('a', { href: resourceHref('manual-order', m.manualOrderId) }, m.manualOrderId)],
        ['Status', (m) => badge(m.status)],
        ['Customer', (m) => [m.customerName, h('div', { class: 'small muted' }, m.customerEmail)]],
        ['Total', (m) => money(m.amount.total, m.amount.currency)],
        ['Paid', (m) => when(m.paidAt)],
      ],
      { empty: 'No manual orders match.' },
    ),
  );
}

export async function manualOrderDetail(ctx) {
  const answer = await api('GET', `/manual-orders/${encodeURIComponent(ctx.params.id)}`);
  const m = answer.manualOrder;
  const a = m.address ?? {};
  const path = `/manual-orders/${encodeURIComponent(m.manualOrderId)}`;
  const forms = await actionForms((answer.actions ?? []).map((action) => ({ action, path: `${path}/${action}` })), () => ({ done: ctx.done }));
  return h(
    'div',
    {},
    h('h1', {}, `Manual order ${m.manualOrderId} `, badge(m.status)),
    h(
      'div',
      { class: 'columns' },
      section(
        'Order',
        facts([
          ['Customer', `${m.customerName} <${m.customerEmail}>`],
          ['Buyer', m.buyerId],
          ['Address', [a.line1, a.line2, [a.postalCode, a.city].filter(Boolean).join(' '), a.region, a.country].filter(Boolean).join(', ')],
          ['Items', (m.items ?? []).map((i) => h('div', {}, `${i.quantity} × ${i.sku}`))],
          ['Why entered by hand', m.reason],
          ['Policy version', h('code', {}, m.policyVersion)],
        ]),
      ),
      section(
        'Amount and dates',
        facts([
          ['Total paid', money(m.amount.total, m.amount.currency)],
          ['Refunded', money(m.amount.refunded ?? 0, m.amount.currency)],
          ['Paid', when(m.paidAt)],
          ['Shipped', m.shippedAt ? when(m.shippedAt) : undefined],
          ['Delivered', m.deliveredAt ? when(m.deliveredAt) : undefined],
          ['Entered', when(m.createdAt)],
        ]),
      ),
    ),
    forms.length > 0 ? section('Act', h('div', { class: 'columns act' }, forms)) : null,
    await startSection('Start from this order', [
      { op: 'POST /cases', path: '/cases', name: 'open-case', prefill: { orderId: m.manualOrderId, orderSource: 'manual' }, confirmation: (r) => `Case ${r?.caseId ?? ''} opened.` },
    ], ctx.done),
    (await offers('GET /cases')) ? h('p', {}, h('a', { href: `#/cases?orderId=${encodeURIComponent(m.manualOrderId)}` }, 'Cases on this order')) : null,
  );
}

export async function search(ctx) {
  if (!(await offers('GET /search'))) return h('div', {}, h('h1', {}, 'Search'), notAvailable('Search', 'GET /search'));
  const q = ctx.query;
  const filters = { q: q.get('q'), type: q.get('type'), status: q.get('status'), party: q.get('party') };
  const page = filters.q || filters.party || filters.status || filters.type ? await api('GET', '/search', { query: { ...filters, limit: 50, cursor: q.get('cursor') } }) : { results: [] };
  return h(
    'div',
    {},
    h('h1', {}, 'Search'),
    filterForm('/search', q, [
      ['q', 'Id contains'],
      ['type', 'Type', select('type', ['order', 'monitoring', 'case'], filters.type)],
      ['status', 'Status'],
      ['party', 'Party'],
    ]),
    table(
      page.results,
      [
        ['Found', (r) => resourceLink(r.type, r.id)],
        ['Status', (r) => badge(r.status)],
        ['Parties', (r) => parties(r)],
        ['Changed', (r) => when(r.updatedAt)],
      ],
      { empty: filters.q || filters.party ? 'Nothing matches.' : 'Type an id or a party to search.' },
    ),
    pager(undefined, page.nextCursor ? pageHref('/search', { ...filters, cursor: page.nextCursor }) : undefined),
  );
}

// ---- detail pages -----------------------------------------------------------------------------

/** { state, timeline, deadlines } from …/overview when the API has it, otherwise from the separate reads. */
async function overview(base, id, stateKey) {
  const path = `/${base}/${encodeURIComponent(id)}`;
  if (await offers(`GET /${base}/{${stateKey}Id}/overview`)) {
    const o = await api('GET', `${path}/overview`);
    return { state: o.state, timeline: o.timeline, deadlines: o.deadlines ?? o.state?.deadlines ?? [] };
  }
  const [state, events] = await Promise.all([api('GET', path), api('GET', `${path}/timeline`).catch(() => ({ events: [] }))]);
  const s = state[stateKey];
  return { state: s, timeline: events.events, deadlines: s.deadlines ?? [] };
}

function amountsTable(a) {
  const c = a.currency;
  const rows = [
    ['Total', a.total],
    ['Deposit (initial payment)', a.deposit],
    ['Balance', a.balance],
    ['Paid', a.paid],
    ['Held in escrow', a.held],
    ['Released to the supplier', a.released],
    ['Covered by Trade Assurance', a.covered],
    ['Refunded', a.refunded],
  ].filter(([, v]) => v !== undefined);
  return h('table', { class: 'amounts' }, h('tbody', {}, rows.map(([label, v]) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', { class: 'num' }, money(v, c))))));
}

/** What an order's forms start with: the payment due, the current terms and dates. */
function orderPrefill(o) {
  const a = o.amounts;
  const terms = o.terms ?? {};
  const due = o.status === 'DEPOSIT_PAID' ? 'balance' : 'deposit';
  return {
    // A confirmation names the terms shown on this page: a revision since is refused, not confirmed.
    draftRevision: o.draftRevision ?? 1,
    kind: due,
    amount: due === 'balance' ? a.balance : a.deposit,
    shippingDate: o.shippingDate ?? terms.shippingDate,
    currency: terms.currency ?? a.currency,
    items: terms.items,
    depositAmount: terms.depositAmount,
    qualityRequirements: terms.qualityRequirements,
    shippingMarks: terms.shippingMarks,
    packaging: terms.packaging,
  };
}

const CONFIRMATIONS = {
  'mark-delivered': () => 'Delivery recorded: the buyer is asked to confirm receipt.',
  resolve: (a) => `Case ${a.id} resolved.`,
  decide: (a) => `Claim ${a.claimId} decided.`,
  report: () => 'Report uploaded: the buyer is emailed that it is ready.',
};

/**
 * Forms that start something new from a record (book monitoring, open a case…): creating is not an
 * action of the record's workflow, so each is shown when the key's role may call its route at all,
 * and the API's answer says whether it may now.
 */
async function startSection(title, starts, done) {
  const forms = [];
  for (const st of starts.filter(Boolean)) {
    if (!(await mayCall(st.op))) continue;
    forms.push(await apiActionForm({ action: st.name, path: st.path, method: st.method }, { name: st.name, prefill: st.prefill, done, confirmation: st.confirmation }));
  }
  return forms.filter(Boolean).length > 0 ? section(title, h('details', { class: 'start' }, h('summary', {}, `${forms.length} form${forms.length === 1 ? '' : 's'}`), h('div', { class: 'columns act' }, forms))) : null;
}

/** The forms of the actions the API lists for the signed-in key, and the reasons for the others. */
async function actSection(title, answer, { currency, prefill, names = {}, done, id }) {
  const forms = await actionForms(answer.actions, (a) => ({
    name: names[a.action] ?? a.action,
    currency,
    prefill,
    done,
    confirmation: (CONFIRMATIONS[a.action] ?? (() => undefined))({ ...a, id }),
  }));
  if (forms.length === 0 && (answer.refused ?? []).length === 0) return null;
  return section(
    title,
    forms.length > 0 ? h('div', { class: 'columns act' }, forms) : h('p', { class: 'muted', dataset: { noActions: 'true' } }, 'Nothing for you to do here now.'),
    refusedList(answer.refused),
  );
}

export async function order(ctx) {
  const id = ctx.params.id;
  const [{ state: o, timeline: events, deadlines: open }, answer] = await Promise.all([
    overview('orders', id, 'order'),
    (await offers('GET /orders/{orderId}/actions')) ? actionsOf(`/orders/${encodeURIComponent(id)}/actions`) : { actions: [], refused: [] },
  ]);
  const currency = o.amounts.currency;
  const claims = o.claims ?? [];
  const orderActions = { actions: answer.actions.filter((a) => !a.claimId), refused: answer.refused.filter((a) => !a.claimId) };
  const options = { currency, prefill: orderPrefill(o), names: { decide: 'decide-claim' }, done: ctx.done, id };
  const claimSections = await Promise.all(
    claims
      .filter((c) => c.status !== 'CLOSED')
      .map((c) => actSection(`Claim ${c.id}: act`, { actions: answer.actions.filter((a) => a.claimId === c.id), refused: answer.refused.filter((a) => a.claimId === c.id) }, { ...options, prefill: { refund: c.refundAsked } })),
  );
  const supplierLink = (await mayCall('GET /suppliers/{supplierId}/assurance')) ? h('a', { href: `#/suppliers/${encodeURIComponent(o.supplierId)}` }, o.supplierId) : o.supplierId;
  return h(
    'div',
    {},
    h('h1', {}, `Order ${o.orderId} `, badge(o.status), o.late ? [' ', badge('LATE')] : null),
    nextStep(o.nextStep),
    section('Deadlines on a time line', deadlineTimeline(Array.isArray(events) ? events : (events?.events ?? []), open)),
    h(
      'div',
      { class: 'columns' },
      section(
        'Order',
        facts([
          ['Buyer', o.buyerId],
          ['Supplier', supplierLink],
          ['Items', (o.terms?.items ?? []).map((i) => h('div', {}, `${i.quantity} × ${i.description} (${i.sku}) at ${money(i.unitPrice, currency)}`))],
          ['Shipping date', day(o.shippingDate ?? o.terms?.shippingDate)],
          ['Shipment', o.shipment ? `${o.shipment.carrier} ${o.shipment.trackingNumber}` : undefined],
          ['Policy version', h('code', {}, o.policyVersion)],
          ['Created', when(o.createdAt)],
          ['Closed', o.closedReason],
          ['Monitoring', (o.monitoringIds ?? []).map((m) => h('div', {}, h('a', { href: resourceHref('monitoring', m) }, m)))],
        ]),
      ),
      section('Amounts', amountsTable(o.amounts)),
    ),
    await actSection('Act on the order', orderActions, options),
    section(
      'Claims',
      table(
        claims,
        [
          ['Claim', (c) => [h('strong', {}, c.id), h('div', { class: 'small' }, String(c.cause).replace(/_/g, ' '))]],
          ['Status', (c) => [badge(c.status), c.outcome ? h('div', { class: 'small' }, c.outcome) : null]],
          ['Refund asked', (c) => money(c.refundAsked, currency)],
          ['Supplier', (c) => (c.supplierResponse ? `${c.supplierResponse.kind}${c.supplierResponse.counterAmount !== undefined ? ` ${money(c.supplierResponse.counterAmount, currency)}` : ''}: ${c.supplierResponse.message}` : '—')],
          ['Decision', (c) => (c.decision ? `${money(c.decision.refund, currency)}: ${c.decision.reason}` : '—')],
        ],
        { empty: 'No claims.', rowAttrs: (c) => ({ dataset: { claimId: c.id } }) },
      ),
    ),
    claimSections,
    await startSection('Start from this order', [
      { op: 'POST /monitoring', path: '/monitoring', name: 'book-monitoring', prefill: { orderId: o.orderId }, confirmation: (r) => `Monitoring task ${r?.monitoringId ?? ''} booked.` },
      { op: 'POST /cases', path: '/cases', name: 'open-case', prefill: { orderId: o.orderId, orderSource: 'order' }, confirmation: (r) => `Case ${r?.caseId ?? ''} opened.` },
      o.shipment
        ? { op: 'PUT /carrier/simulated/{carrier}/{trackingNumber}', path: `/carrier/simulated/${encodeURIComponent(o.shipment.carrier)}/${encodeURIComponent(o.shipment.trackingNumber)}`, method: 'PUT', name: 'drive-parcel', confirmation: 'The simulated carrier now says so.' }
        : undefined,
    ], ctx.done),
    section('Open deadlines', deadlineTable(open, 'No open deadlines.')),
    section('Timeline', timeline(events)),
  );
}

export async function monitoring(ctx) {
  const id = ctx.params.id;
  const [{ state: m, timeline: events, deadlines: open }, answer] = await Promise.all([
    overview('monitoring', id, 'monitoring'),
    (await offers('GET /monitoring/{monitoringId}/actions')) ? actionsOf(`/monitoring/${encodeURIComponent(id)}/actions`) : { actions: [], refused: [] },
  ]);
  const path = `/monitoring/${encodeURIComponent(m.monitoringId)}`;
  const latestCheck = m.checks?.at(-1);
  const downloadError = h('div', { class: 'outcome' });
  return h(
    'div',
    {},
    h('h1', {}, `Monitoring ${m.monitoringId} `, badge(m.status), m.late ? [' ', badge('LATE')] : null),
    nextStep(m.nextStep),
    h(
      'div',
      { class: 'columns' },
      section(
        'Service',
        facts([
          ['Order', h('a', { href: resourceHref('order', m.orderId) }, m.orderId)],
          ['Buyer', m.buyerId],
          ['Supplier', m.supplierId],
          ['Shipment date', day(m.shipmentDate)],
          ['Booking cutoff', when(m.bookingCutoffAt)],
          ['Inspector', m.inspector ? `${m.inspector.name}, check on ${m.inspector.checkDate}` : undefined],
          ['Latest check', latestCheck ? [badge(latestCheck.result), ` round ${latestCheck.round}, ${latestCheck.sampleInspected} of ${latestCheck.lotSize} inspected`, latestCheck.reasons?.length ? h('div', { class: 'small' }, latestCheck.reasons.join('; ')) : null] : undefined],
          ['Policy version', h('code', {}, m.policyVersion)],
          ['Closed', m.closedReason],
        ]),
      ),
      section(
        'Fee',
        h(
          'table',
          { class: 'amounts' },
          h(
            'tbody',
            {},
            [['Fee', m.fee.amount], ['Paid', m.fee.paid], ['Refunded', m.fee.refunded]].map(([label, v]) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', { class: 'num' }, money(v, m.fee.currency)))),
          ),
        ),
        m.payment ? h('p', { class: 'small muted' }, `Paid by ${m.payment.brand} ending ${m.payment.last4}`) : null,
      ),
    ),
    section(
      'Reports',
      table(
        m.reports ?? [],
        [
          ['Round', (r) => String(r.round)],
          ['File', (r) => r.name],
          ['Uploaded', (r) => when(r.uploadedAt)],
          [
            '',
            (r) =>
              h('button', {
                type: 'button',
                onclick: () => download(`${path}/files/${encodeURIComponent(r.fileId)}`, r.name).catch((err) => downloadError.replaceChildren(errorBox(err))),
              }, 'Download'),
          ],
        ],
        { empty: 'No report yet.' },
      ),
      downloadError,
    ),
    await actSection('Act', answer, {
      currency: m.fee.currency,
      prefill: { inspector: m.inspector?.name, checkDate: m.inspector?.checkDate, shipmentDate: m.shipmentDate },
      names: { report: 'upload-report' },
      done: ctx.done,
      id,
    }),
    section('Open deadlines', deadlineTable(open, 'No open deadlines.')),
    section('Timeline', timeline(events)),
  );
}

export async function caseDetail(ctx) {
  const id = ctx.params.id;
  if (!(await offers('GET /cases/{caseId}'))) return h('div', {}, h('h1', {}, `Case ${id}`), notAvailable('Reading a case', 'GET /cases/{caseId}'));
  const answer = await api('GET', `/cases/${encodeURIComponent(id)}`);
  const c = answer.case ?? answer.state ?? answer;
  // The timeline is the read model, written just after each change: a case opened a moment ago may have none yet.
  const events = (await offers('GET /cases/{caseId}/timeline'))
    ? (await api('GET', `/cases/${encodeURIComponent(id)}/timeline`).catch(() => ({ events: [] }))).events
    : (answer.timeline ?? []);
  const currency = c.order?.currency;
  const acts = (await offers('GET /cases/{caseId}/actions')) ? await actionsOf(`/cases/${encodeURIComponent(id)}/actions`) : { actions: [], refused: [] };
  return h(
    'div',
    {},
    h('h1', {}, `Case ${c.caseId ?? id} `, badge(c.status), c.late ? [' ', badge('LATE')] : null),
    nextStep(c.nextStep),
    h(
      'div',
      { class: 'columns' },
      section(
        'Case',
        facts([
          ['Type', c.type ? String(c.type).replace(/_/g, ' ') : undefined],
          ['Category', c.category],
          ['Order', c.order?.orderId ? caseOrderLink(c.order.source, c.order.orderId) : undefined],
          ['Paid on the order', c.order?.paidAmount !== undefined ? money(c.order.paidAmount, currency) : undefined],
          ['Description', c.description],
          ['Window', c.window?.rule],
          ['First reply due', when(c.firstReplyDueAt)],
          ['First replied', c.firstRepliedAt ? when(c.firstRepliedAt) : undefined],
          ['Opened', when(c.openedAt)],
          ['Policy version', c.policyVersion ? h('code', {}, c.policyVersion) : undefined],
        ]),
      ),
      section(
        'Amounts and resolution',
        facts([
          ['Refunded', currency ? money(c.refunded ?? 0, currency) : c.refunded],
          ['Resolution', c.resolution ? `${String(c.resolution.kind).replace(/_/g, ' ')}: ${c.resolution.reason}` : 'not resolved yet'],
          ['Refund decided', c.resolution?.amount !== undefined && currency ? money(c.resolution.amount, currency) : undefined],
          ['Shipping paid by', c.resolution?.shippingPaidBy],
        ]),
      ),
    ),
    section('Messages', table(c.messages ?? [], [['At', (m) => when(m.at, { showRelative: false })], ['By', (m) => m.by?.role ?? ''], ['Message', (m) => m.text]], { empty: 'No messages.' })),
    await actSection('Act', acts, {
      currency,
      names: { resolve: 'resolve-case' },
      done: ctx.done,
      id: c.caseId ?? id,
    }),
    section('Open deadlines', deadlineTable(c.deadlines ?? answer.deadlines ?? [], 'No open deadlines.')),
    section('Timeline', timeline(events)),
  );
}

export async function manualOrder(ctx) {
  if (!(await offers('POST /manual-orders'))) return h('div', {}, h('h1', {}, 'New manual order'), notAvailable('Entering a manual order', 'POST /manual-orders'));
  if (!(await mayCall('POST /manual-orders'))) return h('div', {}, h('h1', {}, 'New manual order'), h('p', { class: 'notice' }, `Manual orders are entered by ops; a ${session.role} key cannot.`));
  const nowLocal = new Date(Date.now() - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  return h(
    'div',
    {},
    h('h1', {}, 'New manual order'),
    h('p', {}, 'For an order that cannot go through the normal flow: ops enter the SKU, the address and what was paid. It gets the same after-service windows and cases as any order.'),
    actionForm({
      name: 'open-manual-order',
      fields: [
        field('Customer name', h('input', { name: 'customerName', size: 24 })),
        field('Customer email', h('input', { name: 'customerEmail', type: 'email', size: 24 })),
        field('Buyer id (optional)', h('input', { name: 'buyerId', size: 14 })),
        field('SKU', h('input', { name: 'sku', size: 14 })),
        field('Quantity', h('input', { name: 'quantity', inputmode: 'numeric', size: 5, value: '1' })),
        field('Currency', h('input', { name: 'currency', size: 4, value: 'USD' })),
        field('Total paid', h('input', { name: 'total', inputmode: 'decimal', size: 10, placeholder: '0.00' })),
        field('Paid at (your time)', h('input', { name: 'paidAt', type: 'datetime-local', value: nowLocal })),
        field('Address', h('input', { name: 'line1', size: 30 })),
        field('City', h('input', { name: 'city', size: 14 })),
        field('Postal code', h('input', { name: 'postalCode', size: 8 })),
        field('Country (ISO code)', h('input', { name: 'country', size: 3, placeholder: 'DE' })),
        field('Why it is entered by hand', h('input', { name: 'reason', size: 40 })),
      ],
      button: 'Enter the manual order',
      run: (fd) => {
        const currency = text(fd, 'currency').toUpperCase();
        const paidAt = Date.parse(text(fd, 'paidAt'));
        if (Number.isNaN(paidAt)) throw invalid('paidAt', 'must be a date and time');
        const quantity = text(fd, 'quantity');
        return api('POST', '/manual-orders', {
          body: {
            customerName: text(fd, 'customerName'),
            customerEmail: text(fd, 'customerEmail'),
            ...(text(fd, 'buyerId') ? { buyerId: text(fd, 'buyerId') } : {}),
            items: [{ sku: text(fd, 'sku'), quantity: /^\d+$/.test(quantity) ? Number(quantity) : quantity }],
            currency,
            totalAmount: amountField(fd, 'total', /^[A-Z]{3}$/.test(currency) ? currency : 'USD'),
            paidAt: new Date(paidAt).toISOString(),
            address: { line1: text(fd, 'line1'), city: text(fd, 'city'), postalCode: text(fd, 'postalCode'), country: text(fd, 'country').toUpperCase() },
            reason: text(fd, 'reason'),
          },
        });
      },
      done: (r) => ctx.go(resourceHref('manual-order', r.manualOrder.manualOrderId), `Manual order ${r.manualOrder.manualOrderId} entered.`),
    }),
  );
}

// ---- the weekly after-service report ----------------------------------------------------------

export async function reports(ctx) {
  if (!(await mayCall('GET /reports/after-service'))) {
    return h('div', {}, h('h1', {}, 'Weekly after-service report'), h('p', { class: 'notice' }, `The weekly report is for ops and support; a ${session.role ?? 'party'} key cannot read it.`));
  }
  const weeks = Math.min(104, Math.max(2, Number(ctx.query.get('weeks')) || 12));
  const { reports: newestFirst } = await api('GET', '/reports/after-service', { query: { limit: weeks } });
  const list = [...newestFirst].reverse();
  const latest = newestFirst[0];
  const canRun = await mayCall('POST /self-check/run');
  return h(
    'div',
    {},
    h('h1', {}, 'Weekly after-service report'),
    latest
      ? h(
          'p',
          { class: 'summary' },
          `Week of ${latest.weekStart}: ${latest.shipments} shipment${latest.shipments === 1 ? '' : 's'}, ${latest.cases} case${latest.cases === 1 ? '' : 's'}; after-service rate ${latest.afterServiceRate?.percent ?? '—'}, defect rate ${latest.defectRate?.percent ?? '—'} `,
          latest.defectRate?.withinTarget === false ? badge('OVER TARGET') : latest.defectRate?.withinTarget === true ? badge('WITHIN TARGET') : null,
        )
      : h('p', { class: 'empty' }, 'No weekly report yet: the self-check writes one every Monday.'),
    list.length > 0
      ? [
          section(`After-service rate per category, last ${list.length} week${list.length === 1 ? '' : 's'}`, categoryRateChart(list)),
          section('Defect rate against its target', defectRateChart(list)),
          section(
            'Figures',
            table(
              newestFirst,
              [
                ['Week of', (r) => r.weekStart],
                ['Shipments', (r) => String(r.shipments)],
                ['Cases', (r) => String(r.cases)],
                ['After-service rate', (r) => r.afterServiceRate?.percent ?? '—'],
                ...CATEGORIES.map((c) => [c.charAt(0).toUpperCase() + c.slice(1), (r) => r.rateByCategory?.[c]?.percent ?? '—']),
                ['Defect rate', (r) => [r.defectRate?.percent ?? '—', r.defectRate?.withinTarget === false ? [' ', badge('OVER')] : null]],
              ],
              { empty: 'No reports.' },
            ),
          ),
        ]
      : null,
    canRun
      ? section(
          'Run the self-check now',
          await apiActionForm({ action: 'run', path: '/self-check/run' }, { name: 'run-self-check', done: ctx.done, confirmation: 'The self-check is running; its report appears here when it ends.' }),
        )
      : null,
  );
}

// ---- a supplier's Trade Assurance ---------------------------------------------------------------

export async function supplier(ctx) {
  const id = ctx.params.id;
  const path = `/suppliers/${encodeURIComponent(id)}/assurance`;
  const assurance = await api('GET', path).catch((err) => {
    if (err?.status === 404) return undefined;
    throw err;
  });
  const a = assurance?.assurance ?? assurance;
  const form = (await mayCall('PUT /suppliers/{supplierId}/assurance'))
    ? await apiActionForm({ action: 'set-assurance', path, method: 'PUT' }, { name: 'set-assurance', prefill: { qualification: a?.qualification, currency: a?.currency, calendar: a?.calendar }, done: ctx.done, confirmation: `Supplier ${id}'s Trade Assurance profile saved.` })
    : null;
  return h(
    'div',
    {},
    h('h1', {}, `Supplier ${id}`),
    section(
      'Trade Assurance',
      a
        ? facts([
            ['Qualification', a.qualification],
            ['Calendar', a.calendar],
            ['Granted', a.granted !== undefined ? money(a.granted, a.currency) : undefined],
            ['Reserved by open orders', a.reserved !== undefined ? money(a.reserved, a.currency) : undefined],
            ['Available', a.available !== undefined ? money(a.available, a.currency) : undefined],
          ])
        : h('p', { class: 'empty' }, 'No Trade Assurance profile yet.'),
    ),
    form ? section('Set the profile', form) : null,
  );
}

// ---- drafting an order (ops, suppliers) -----------------------------------------------------------

export async function newOrder(ctx) {
  if (!(await mayCall('POST /orders'))) return h('div', {}, h('h1', {}, 'Draft a purchase order'), h('p', { class: 'notice' }, `Purchase orders are drafted by suppliers and ops; a ${session.role ?? 'party'} key cannot.`));
  const supplierId = session.role === 'supplier' ? session.who.partyId : undefined;
  const form = await apiActionForm(
    { action: 'draft', path: '/orders' },
    {
      name: 'draft-order',
      prefill: { ...(supplierId ? { supplierId } : {}), currency: 'USD', items: [{ sku: 'SKU-1', description: 'what is sold', quantity: 1, unitPrice: 100 }] },
      done: ctx.done,
      confirmation: (r) => `Purchase order ${r?.orderId ?? ''} drafted: the buyer is asked to confirm it.`,
    },
  );
  return h('div', {}, h('h1', {}, 'Draft a purchase order'), h('p', { class: 'muted' }, 'Amounts in minor units (cents); a supplier drafts from the buyer\'s request (requestId).'), form);
}

// ---- parties and API keys (ops; support reads the keys) ----------------------------------------

export async function admin(ctx) {
  const [canList, canCreateKey, canParty, canRevoke, canRotate] = await Promise.all([
    mayCall('GET /api-keys'),
    mayCall('POST /api-keys'),
    mayCall('POST /parties'),
    mayCall('POST /api-keys/{keyId}/revoke'),
    mayCall('POST /api-keys/{keyId}/rotate'),
  ]);
  if (!canList) return h('div', {}, h('h1', {}, 'Parties and keys'), h('p', { class: 'notice' }, `Keys are managed by ops; a ${session.role ?? 'party'} key cannot list them.`));
  const { apiKeys } = await api('GET', '/api-keys', { query: { limit: 100 } });
  const keyForms = async (k) => {
    const path = `/api-keys/${encodeURIComponent(k.id)}`;
    const forms = [];
    // The actions the API lists for this key now (an API without them: the role's).
    const may = (action, role) => (Array.isArray(k.actions) ? k.actions.includes(action) : role);
    if (may('revoke', canRevoke)) forms.push(await apiActionForm({ action: 'revoke', path: `${path}/revoke` }, { name: 'revoke-key', inline: true, done: ctx.done, confirmation: `Key ${k.name} revoked.` }));
    if (may('rotate', canRotate)) forms.push(await apiActionForm({ action: 'rotate', path: `${path}/rotate` }, { name: 'rotate-key', inline: true, done: ctx.done, confirmation: (r) => `Key ${k.name} rotated; the new key, shown once: ${r?.apiKey?.key ?? ''}` }));
    return forms;
  };
  const rows = await Promise.all(apiKeys.map(async (k) => ({ k, forms: await keyForms(k) })));
  return h(
    'div',
    {},
    h('h1', {}, 'Parties and keys'),
    h(
      'div',
      { class: 'columns act' },
      canParty ? await apiActionForm({ action: 'register', path: '/parties' }, { name: 'register-party', done: ctx.done, confirmation: (r) => `Party ${r?.party?.id ?? ''} registered.` }) : null,
      canCreateKey ? await apiActionForm({ action: 'create-key', path: '/api-keys' }, { name: 'create-key', done: ctx.done, confirmation: (r) => `Key created, shown once: ${r?.apiKey?.key ?? ''}` }) : null,
    ),
    section(
      'API keys',
      table(
        rows,
        [
          ['Name', ({ k }) => [h('strong', {}, k.name), h('div', { class: 'small muted' }, h('code', {}, k.keyPrefix))]],
          ['Role', ({ k }) => `${k.role}${k.partyId ? ` ${k.partyId}` : ''}`],
          ['Status', ({ k }) => [badge(k.status), k.expiresAt ? h('div', { class: 'small' }, 'until ', when(k.expiresAt)) : null]],
          ['Created', ({ k }) => when(k.createdAt)],
          ['Act', ({ forms }) => h('div', { class: 'actions' }, forms)],
        ],
        { empty: 'No keys.' },
      ),
    ),
  );
}

// ---- purchase order requests --------------------------------------------------------------------

export async function poRequests(ctx) {
  if (!(await offers('GET /po-requests'))) return h('div', {}, h('h1', {}, 'Purchase order requests'), notAvailable('The list of requests', 'GET /po-requests'));
  const status = ctx.query.get('status');
  const { requests } = await api('GET', '/po-requests', { query: { status, limit: 100 } });
  const submit = (await mayCall('POST /po-requests'))
    ? await apiActionForm({ action: 'submit', path: '/po-requests' }, {
        name: 'submit-request',
        prefill: { items: [{ sku: 'SKU-1', description: 'what you need', quantity: 1 }] },
        done: ctx.done,
        confirmation: (r) => `Request ${r?.requestId ?? ''} sent to the supplier.`,
      })
    : null;
  return h(
    'div',
    {},
    h('h1', {}, 'Purchase order requests'),
    submit ? h('details', { class: 'start' }, h('summary', {}, 'Request a purchase order'), submit) : null,
    filterForm('/po-requests', ctx.query, [['status', 'Status', select('status', ['OPEN', 'DRAFTED', 'EXPIRED', 'WITHDRAWN', 'DECLINED'], status)]]),
    h('p', { class: 'muted small' }, "Listed from Temporal's visibility: a request sent a moment ago may take a moment to appear."),
    table(
      requests,
      [
        ['Request', (r) => h('a', { href: `#/po-requests/${encodeURIComponent(r.requestId)}` }, r.requestId)],
        ['Status', (r) => badge(r.status)],
        ['Buyer · supplier', (r) => `${r.buyerId} · ${r.supplierId}`],
        ['Submitted', (r) => when(r.submittedAt)],
        ['Next deadline', (r) => when(r.nextDeadlineAt)],
      ],
      { empty: 'No requests match.' },
    ),
  );
}

export async function poRequest(ctx) {
  const id = ctx.params.id;
  const [{ request: r }, answer] = await Promise.all([
    api('GET', `/po-requests/${encodeURIComponent(id)}`),
    (await offers('GET /po-requests/{requestId}/actions')) ? actionsOf(`/po-requests/${encodeURIComponent(id)}/actions`) : { actions: [], refused: [] },
  ]);
  return h(
    'div',
    {},
    h('h1', {}, `Request ${r.requestId} `, badge(r.status)),
    nextStep(r.nextStep),
    section(
      'Request',
      facts([
        ['Buyer', r.buyerId],
        ['Supplier', r.supplierId],
        ['Products', (r.items ?? []).map((i) => h('div', {}, `${i.quantity} × ${i.description}${i.sku ? ` (${i.sku})` : ''}`))],
        ['Desired shipping date', day(r.desiredShippingDate)],
        ['Quality requirements', r.qualityRequirements],
        ['Message', r.message],
        ['Purchase order', r.orderId ? h('a', { href: resourceHref('order', r.orderId) }, r.orderId) : undefined],
        ['Closed', r.closedReason],
      ]),
    ),
    await actSection('Act', answer, {
      prefill: {
        requestId: r.requestId,
        buyerId: r.buyerId,
        supplierId: session.role === 'ops' ? r.supplierId : undefined,
        currency: 'USD',
        shippingDate: r.desiredShippingDate,
        items: (r.items ?? []).map((i) => ({ sku: i.sku ?? 'SKU', description: i.description, quantity: i.quantity, unitPrice: 0 })),
      },
      names: { orders: 'draft-order' },
      done: ctx.done,
      id,
    }),
    section('Open deadlines', deadlineTable(r.deadlines ?? [], 'No open deadlines.')),
    section('Timeline', timeline(r.events ?? [])),
  );
}
