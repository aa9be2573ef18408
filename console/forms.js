/**
 * Forms built from the API's own description of each operation (its OpenAPI document): the fields
 * are the body's fields (a nested object's fields by dotted name, a list as JSON), a file route gets
 * a file input and its query fields. The console shows a form only for an action the API lists for
 * the signed-in key now (…/actions, a late task's or a manual order's actions), and the others'
 * reasons beside them: what is possible is the API's answer, never a rule kept here.
 */
import { ApiError, api, operationsById } from './api.js';
import { actionForm, amountField, field, invalid, text } from './actions.js';
import { h, minorDigits } from './dom.js';

/** Body fields that are amounts of money, in minor units: typed in the currency's units. */
const MONEY = new Set(['amount', 'refund', 'refundAsked', 'counterAmount', 'depositAmount', 'totalAmount']);
const DATE = '^\\d{4}-\\d{2}-\\d{2}$';

/** The operation a concrete path belongs to: POST /orders/PO-1/pay → the document's POST /orders/{orderId}/pay. */
export async function operationFor(method, path) {
  for (const [id, op] of await operationsById()) {
    const [m, template] = id.split(' ');
    if (m !== method) continue;
    const re = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (re.test(path)) return op;
  }
  return undefined;
}

/** The body's fields, one level of nested objects flattened: [dotted name, schema, required]. */
function bodyFields(schema) {
  const out = [];
  const required = new Set(schema?.required ?? []);
  for (const [name, s] of Object.entries(schema?.properties ?? {})) {
    if (s.type === 'object' && s.properties) {
      const inner = new Set(s.required ?? []);
      for (const [sub, ss] of Object.entries(s.properties)) out.push([`${name}.${sub}`, ss, required.has(name) && inner.has(sub)]);
    } else {
      out.push([name, s, required.has(name)]);
    }
  }
  return out;
}

function words(name) {
  const last = name.split('.').pop();
  const spaced = last.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return `${name.includes('.') ? `${name.split('.')[0]}: ` : ''}${spaced.charAt(0).toUpperCase()}${spaced.slice(1)}`;
}

function shownAmount(minor, currency) {
  const digits = minorDigits(currency);
  return (minor / 10 ** digits).toFixed(digits);
}

function inputFor(name, schema, required, { currency, value }) {
  const last = name.split('.').pop();
  if (schema.enum) {
    return h('select', { name }, required ? null : h('option', { value: '' }, '—'), schema.enum.map((o) => h('option', { value: o, selected: o === value }, String(o).replace(/_/g, ' '))));
  }
  if (schema.type === 'boolean') {
    return h('select', { name, dataset: { kind: 'boolean' } }, h('option', { value: '' }, '—'), h('option', { value: 'true', selected: value === true }, 'yes'), h('option', { value: 'false', selected: value === false }, 'no'));
  }
  if ((schema.type === 'integer' || schema.type === 'number') && MONEY.has(last) && currency) {
    return h('input', { name, inputmode: 'decimal', size: 10, placeholder: '0.00', dataset: { kind: 'money' }, value: value !== undefined ? shownAmount(value, currency) : undefined });
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    return h('input', { name, inputmode: 'numeric', size: 6, dataset: { kind: 'integer' }, value: value !== undefined ? String(value) : undefined });
  }
  if (schema.type === 'string' && schema.format === 'date-time') return h('input', { name, type: 'datetime-local', dataset: { kind: 'instant' } });
  if (schema.type === 'string' && schema.pattern === DATE) return h('input', { name, type: 'date', value });
  if (schema.type === 'string') return h('input', { name, size: (schema.maxLength ?? 40) > 64 ? 28 : 14, value });
  return h('textarea', { name, rows: 5, cols: 48, dataset: { kind: 'json' } }, value !== undefined ? JSON.stringify(value, null, 1) : '');
}

/** The request body from the form's fields, by the field kinds inputFor made. */
function readBody(form, fd, fields, currency) {
  const body = {};
  for (const [name, , required] of fields) {
    const input = form.querySelector(`[name="${name}"]`);
    const raw = text(fd, name);
    if (raw === '' && !required) continue;
    let value = raw;
    const kind = input?.dataset.kind;
    if (kind === 'money') value = amountField(fd, name, currency);
    else if (kind === 'integer') value = /^-?\d+$/.test(raw) ? Number(raw) : raw;
    else if (kind === 'boolean') value = raw === '' ? undefined : raw === 'true';
    else if (kind === 'instant') {
      const t = Date.parse(raw);
      if (Number.isNaN(t)) throw invalid(name, 'must be a date and time');
      value = new Date(t).toISOString();
    } else if (kind === 'json') {
      try {
        value = JSON.parse(raw);
      } catch {
        throw invalid(name, 'must be JSON');
      }
    }
    if (value === undefined) continue;
    const [head, sub] = name.split('.');
    if (sub) body[head] = { ...(body[head] ?? {}), [sub]: value };
    else body[head] = value;
  }
  return body;
}

/** Buttons whose route's last segment is not a verb. */
const BUTTONS = { claims: 'Open the claim', orders: 'Draft the purchase order', 'evidence-requests': 'Request evidence', evidence: 'Upload', report: 'Upload', 'product-pictures': 'Upload', 'progress-photos': 'Upload', 'product-info': 'Send', progress: 'Record', check: 'Record', 'shipment-date': 'Move', reinspection: 'Request' };

function buttonLabel(action) {
  if (BUTTONS[action]) return BUTTONS[action];
  const s = action.replace(/-/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * A form for one action the API listed: { action, path, claimId?, method? (POST) }. `name` is the form's
 * data-action, `prefill` values by field name, `done(message)` re-renders the page with the
 * confirmation (a text, or a function of the API's answer).
 */
export async function apiActionForm(a, { name, currency, prefill = {}, done, confirmation, inline = false }) {
  const method = a.method ?? 'POST';
  const op = await operationFor(method, a.path);
  if (!op) return null;
  const json = op.requestBody?.content?.['application/json']?.schema;
  const fileTypes = op.requestBody && !json ? Object.keys(op.requestBody.content ?? {}) : [];
  const query = (op.parameters ?? []).filter((p) => p.in === 'query' && p.name !== 'name');
  const fields = bodyFields(json);
  const inputs = [
    ...fields.map(([field_, schema, required]) =>
      field(`${words(field_)}${MONEY.has(field_.split('.').pop()) && !currency ? ' (minor units)' : ''}`, inputFor(field_, schema, required, { currency, value: prefill[field_] })),
    ),
    ...(fileTypes.length ? [field('File', h('input', { name: 'file', type: 'file', accept: fileTypes.join(',') }))] : []),
    ...query.map((p) => field(words(p.name), inputFor(p.name, p.schema ?? {}, p.required, { currency, value: prefill[p.name] }))),
  ];
  const form = actionForm({
    name: name ?? a.action,
    title: inline ? undefined : op.summary,
    inline,
    fields: inputs,
    button: buttonLabel(a.action),
    run: (fd) => {
      if (fileTypes.length) {
        const file = fd.get('file');
        if (!(file instanceof File) || file.size === 0) throw invalid('file', 'choose the file');
        const q = { name: file.name.replace(/[^\p{L}\p{N} ._()-]/gu, '_').slice(0, 120) };
        for (const p of query) if (text(fd, p.name)) q[p.name] = text(fd, p.name);
        return api(method, a.path, { query: q, file });
      }
      return api(method, a.path, { body: readBody(form, fd, fields, currency) });
    },
    done: (result) => done((typeof confirmation === 'function' ? confirmation(result) : confirmation) ?? `${op.summary}: done.`),
  });
  form.title = op.summary;
  return form;
}

/** Why the signed-in key cannot take the other actions now, as the API said. */
export function refusedList(refused) {
  if (!refused || refused.length === 0) return null;
  return h(
    'details',
    { class: 'refused-actions' },
    h('summary', {}, `${refused.length} action${refused.length === 1 ? '' : 's'} not possible now`),
    h('ul', {}, refused.map((r) => h('li', { dataset: { action: r.action } }, h('code', {}, `${r.action}${r.claimId ? ` (${r.claimId})` : ''}`), ': ', r.reason))),
  );
}

/** The forms of the actions listed, in order; `options(a)` gives each its name, prefill and confirmation. */
export async function actionForms(list, options) {
  const forms = await Promise.all(list.map((a) => apiActionForm(a, options(a))));
  return forms.filter(Boolean);
}

/** The answer of a …/actions read, or none (an API without it: no forms, said in words). */
export async function actionsOf(path) {
  try {
    return await api('GET', path);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { actions: [], refused: [], missing: true };
    throw err;
  }
}
