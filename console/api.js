/**
 * The console's only way to the API: the same JSON endpoints every client uses, with the API key
 * in the Authorization header. The key is kept in sessionStorage: it lasts as long as the tab.
 */
import { h } from './dom.js';

const KEY_ITEM = 'tradeguard.console.apiKey';
const WHO_ITEM = 'tradeguard.console.who';

export const session = {
  get key() {
    return sessionStorage.getItem(KEY_ITEM);
  },
  /** The key's role and party, as GET /api-keys/current said at sign-in: { role, partyId?, name }. */
  get who() {
    try {
      return JSON.parse(sessionStorage.getItem(WHO_ITEM) ?? 'null') ?? {};
    } catch {
      return {};
    }
  },
  get role() {
    return this.who.role;
  },
  signIn(key, who) {
    sessionStorage.setItem(KEY_ITEM, key);
    sessionStorage.setItem(WHO_ITEM, JSON.stringify({ role: who?.role, partyId: who?.partyId, name: who?.name }));
  },
  signOut() {
    sessionStorage.removeItem(KEY_ITEM);
    sessionStorage.removeItem(WHO_ITEM);
  },
};

/** An answer in the API's one error shape: { error: { status, code, message, fields?, requestId } }. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message ?? `the API answered ${status}`);
    this.status = status;
    this.code = error?.code ?? 'unknown';
    this.fields = Array.isArray(error?.fields) ? error.fields : [];
    this.requestId = error?.requestId;
  }
}

function queryString(query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** A new Idempotency-Key: a random UUID (crypto.randomUUID needs a secure context; getRandomValues does not). */
function newIdempotencyKey() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The Idempotency-Keys of POSTs that got no answer, or a 5xx: sent again (the same button pressed
 * again), the same request carries the same key, so whatever the first attempt did is not done twice.
 */
const unanswered = new Map();

/**
 * Calls the API. `body` is sent as JSON, `file` as a raw body with its own media type. Every POST
 * carries an Idempotency-Key. Resolves to the JSON answer; rejects with an ApiError (a network
 * failure is status 0).
 */
export async function api(method, path, { query, body, file, key = session.key } = {}) {
  const headers = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  const request = `${method} ${path}${queryString(query)} ${file ? `file:${file.name}:${file.size}:${file.lastModified}` : JSON.stringify(body ?? null)}`;
  if (method === 'POST') headers['idempotency-key'] = unanswered.get(request) ?? newIdempotencyKey();
  let payload;
  if (file) {
    headers['content-type'] = file.type || 'application/octet-stream';
    payload = file;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path + queryString(query), { method, headers, body: payload });
  } catch (err) {
    if (method === 'POST') unanswered.set(request, headers['idempotency-key']);
    throw new ApiError(0, { code: 'network', message: `the API did not answer (${err.message}); check the connection and retry` });
  }
  if (method === 'POST' && res.status >= 500) unanswered.set(request, headers['idempotency-key']);
  else unanswered.delete(request);
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) throw new ApiError(res.status, json?.error ?? { message: `the API answered ${res.status} ${res.statusText}` });
  return json;
}

/** Downloads a file the API serves behind the key, and hands it to the browser as a download. */
export async function download(path, fallbackName) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${session.key}` } });
  if (!res.ok) {
    const json = await res.json().catch(() => undefined);
    throw new ApiError(res.status, json?.error);
  }
  const name = /filename="?([^";]+)"?/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

let operations;

/**
 * The operations this API offers, from its OpenAPI document: "GET /late-tasks" → the operation
 * (its summary, the roles whose keys it takes in x-roles, its parameters and body schema). A page
 * whose endpoint is missing says so instead of linking to something that cannot work.
 */
export function operationsById() {
  operations ??= fetch('/openapi.json')
    .then((res) => (res.ok ? res.json() : { paths: {} }))
    .then((doc) => new Map(Object.entries(doc.paths ?? {}).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => [`${m.toUpperCase()} ${path}`, op]))))
    .catch(() => {
      operations = undefined;
      return new Map();
    });
  return operations;
}

export async function availableOperations() {
  return new Set((await operationsById()).keys());
}

export async function offers(operation) {
  return (await operationsById()).has(operation);
}

/** The operation ("POST /orders/{orderId}/pay"), or undefined when this API lacks it. */
export async function operation(id) {
  return (await operationsById()).get(id);
}

/** Whether this API offers the operation and takes the signed-in key's role for it (its x-roles). */
export async function mayCall(id) {
  const op = await operation(id);
  return Boolean(op) && (op['x-roles'] ?? []).includes(session.role);
}

const TITLES = {
  0: 'The API did not answer',
  400: 'Check these fields',
  401: 'Sign in again',
  403: 'Not allowed for this key',
  404: 'Not found',
  409: 'Refused',
  413: 'Too large',
  429: 'Too many requests',
  503: 'Service unavailable',
};

/** A refusal or error as the API stated it: its message, each field and why, and the request id. */
export function errorBox(err) {
  const e = err instanceof ApiError ? err : new ApiError(500, { code: 'internal', message: String(err?.message ?? err) });
  return h(
    'div',
    { class: 'refusal', role: 'alert', dataset: { status: String(e.status), code: e.code } },
    h('strong', {}, `${TITLES[e.status] ?? 'Something went wrong'}${e.status ? ` (${e.status} ${e.code})` : ''}`),
    h('p', { class: 'message' }, e.message),
    e.fields.length > 0 ? h('ul', { class: 'fields' }, e.fields.map((f) => h('li', {}, h('code', {}, f.field), ': ', f.reason))) : null,
    e.status === 401 ? h('p', {}, h('a', { href: '#/sign-in' }, 'Sign in with another key')) : null,
    e.requestId ? h('p', { class: 'muted small' }, 'Request id ', h('code', {}, e.requestId), ' (quote it to find the request in the logs)') : null,
  );
}
