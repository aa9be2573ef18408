/**
 * End to end: text that could poison an activity never gets past the API. A lone surrogate (sent as
 * the raw JSON escape "\ud800", which JSON.parse keeps lone), a control character or a bidirectional
 * override in any free-text field is a 400 naming the field and the character, and changes nothing:
 * the order, its timeline and the later actions on it are as before. The OpenAPI document says the
 * same of every string a request carries. A failed effect raised for ops is listed and worked
 * through the late-task routes.
 */
import { createEffectFailureActivities } from '../../activities/effect-failures';
import type { OpenApiDocument, OpenApiOperation } from '../../api/openapi';
import { uniqueId } from '../support/env';
import { apiClient, eventually, expectError, orderThrough, Parties, registerParties, Reply, startTestStack, TestStack, draftFromRequest } from '../support/stack';

let stack: TestStack;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startTestStack();
  call = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
});

/** The body as raw JSON text, so that escapes reach the API exactly as written. */
const raw = (key: string, method: string, route: string, json: string) => call(key, method, route, undefined, json);

function refusedFields(res: Reply): { field: string; reason: string }[] {
  expectError(res, 400, 'invalid_input');
  return res.body.error.fields;
}

async function draft(p: Parties): Promise<string> {
  const res = await draftFromRequest(stack.apiUrl, p, {
    buyerId: p.buyerId,
    currency: 'USD',
    items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500, unitPrice: 1400 }],
    depositAmount: 210_000,
    shippingDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
  });
  expect(res.status).toBe(201);
  return res.body.orderId;
}

/** What a user sees of an order: its status and its timeline, once the read model has caught up. */
async function seen(key: string, orderId: string) {
  const state = await call(key, 'GET', `/orders/${orderId}`);
  const timeline = await call(key, 'GET', `/orders/${orderId}/timeline`);
  return { status: state.body.order.status, events: (timeline.body.events as { type: string; summary: string }[]).map((e) => `${e.type}: ${e.summary}`) };
}

describe('a cancel reason with a lone surrogate', () => {
  it('is refused with 400 naming reason, the order unchanged; a valid reason (with emoji) then cancels it', async () => {
    const p = await registerParties(stack);
    const orderId = await draft(p);
    await eventually(() => call(p.buyerKey, 'GET', `/orders/${orderId}/timeline`), (r) => r.body?.events?.length === 1, 'the draft in the timeline');
    const before = await seen(p.buyerKey, orderId);

    const res = await raw(p.buyerKey, 'POST', `/orders/${orderId}/cancel`, '{"reason": "lost \\ud800 x"}');
    expect(refusedFields(res)).toEqual([
      { field: 'reason', reason: 'must be well-formed Unicode: a lone high surrogate (U+D800) at character 6 is not a character' },
    ]);
    expect(res.body.error.message).toBe('reason: must be well-formed Unicode: a lone high surrogate (U+D800) at character 6 is not a character');
    for (const reason of ['\\udc00 trailing half', 'bell \\u0007', 'esc \\u001b[2J', 'invoice \\u202Efdp.exe', 'isolate \\u2066x\\u2069', 'next line \\u0085']) {
      expect(refusedFields(await raw(p.buyerKey, 'POST', `/orders/${orderId}/cancel`, `{"reason": "${reason}"}`)).map((f) => f.field)).toEqual(['reason']);
    }
    expect(await seen(p.buyerKey, orderId)).toEqual(before);

    // Nothing queued behind a poisoned change: the next cancel goes through at once.
    const ok = await call(p.buyerKey, 'POST', `/orders/${orderId}/cancel`, { reason: 'lost in transit 📦\nsee the carrier\'s note' });
    expect(ok.status).toBe(200);
    const after = await eventually(() => seen(p.buyerKey, orderId), (s) => s.status === 'CANCELLED' && s.events.length === before.events.length + 1, 'the cancellation');
    expect(after.events.at(-1)).toContain('lost in transit 📦');
  });
});

describe('POST /manual-orders', () => {
  const body = (manualOrderId: string) => ({
    manualOrderId,
    customerName: 'Ana Souza',
    customerEmail: `${manualOrderId.toLowerCase()}@customer.example`,
    address: { line1: 'Rua Augusta 100', city: 'São Paulo', postalCode: '01304-000', country: 'BR' },
    items: [{ sku: 'BT-SPK-200', quantity: 2 }],
    currency: 'USD',
    totalAmount: 5_000,
    paidAt: new Date(Date.now() - 3_600_000).toISOString(),
    reason: 'ordered by phone during the checkout outage',
  });

  it('answers a lone surrogate with 400 naming the field, not 500, and stores nothing', async () => {
    const id = uniqueId('MO');
    const reason = JSON.stringify(body(id)).replace('"ordered by phone during the checkout outage"', '"lost \\ud800 x"');
    expect(reason).toContain('\\ud800');
    expect(refusedFields(await raw(stack.opsKey, 'POST', '/manual-orders', reason))).toEqual([
      { field: 'reason', reason: 'must be well-formed Unicode: a lone high surrogate (U+D800) at character 6 is not a character' },
    ]);
    const line1 = JSON.stringify(body(id)).replace('"Rua Augusta 100"', '"Rua \\udfff Augusta"');
    expect(refusedFields(await raw(stack.opsKey, 'POST', '/manual-orders', line1)).map((f) => f.field)).toEqual(['address.line1']);
    const name = JSON.stringify(body(id)).replace('"Ana Souza"', '"Ana \\u202ESouza"');
    expect(refusedFields(await raw(stack.opsKey, 'POST', '/manual-orders', name)).map((f) => f.field)).toEqual(['customerName']);
    expect(await stack.db.manualOrder.count({ where: { id } })).toBe(0);
    expect((await call(stack.opsKey, 'POST', '/manual-orders', body(id))).status).toBe(201);
  });
});

describe('a claim description with a right-to-left override', () => {
  it('is refused with 400 naming description, and no claim is opened', async () => {
    const p = await registerParties(stack);
    const orderId = await orderThrough(stack, p, 'delivered');
    const before = await eventually(() => seen(p.buyerKey, orderId), (s) => s.status === 'DELIVERED' && s.events.some((e) => e.startsWith('DELIVERED')), 'the delivery');
    const res = await call(p.buyerKey, 'POST', `/orders/${orderId}/claims`, { cause: 'QUALITY_MISMATCH', refundAsked: 100_000, description: 'grilles cracked \u202Egnp.exe' });
    expect(refusedFields(res)).toEqual([
      { field: 'description', reason: 'must not contain bidirectional embedding, override or isolate characters (U+202E at character 17)' },
    ]);
    expect(await seen(p.buyerKey, orderId)).toEqual(before);
  });
});

describe('query strings', () => {
  it('are held to the same rule (a lone surrogate cannot travel in a URL: it arrives as U+FFFD)', async () => {
    expect(refusedFields(await call(stack.opsKey, 'GET', '/search?q=PO%1B%5B2J')).map((f) => f.field)).toEqual(['q']);
    expect(refusedFields(await call(stack.opsKey, 'GET', '/late-tasks?assignee=alice%E2%80%AE')).map((f) => f.field)).toEqual(['assignee']);
    expect((await call(stack.opsKey, 'GET', '/search?q=%ED%A0%80')).status).toBe(200);
  });
});

describe('the OpenAPI document', () => {
  it('holds every string a request carries (path, query, JSON body) to an enum, a format or a pattern that refuses unsafe characters', async () => {
    const doc = (await (await fetch(`${stack.apiUrl}/openapi.json`)).json()) as OpenApiDocument;
    type Schema = { type?: string | string[]; enum?: unknown[]; pattern?: string; format?: string; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[]; allOf?: Schema[] };
    const unsafe = ['\ud800', 'a\udc00b', '\u001b', 'x\u0007y', '\u007f', '\u0085', '\u202E', 'a\u2066b', 'a\rb'];
    const loose: string[] = [];
    let strings = 0;
    const visit = (schema: Schema | undefined, at: string) => {
      if (!schema) return;
      for (const s of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) visit(s, at);
      for (const [name, s] of Object.entries(schema.properties ?? {})) visit(s, `${at}.${name}`);
      visit(schema.items, `${at}[]`);
      if (schema.type !== 'string' && !(Array.isArray(schema.type) && schema.type.includes('string'))) return;
      strings++;
      if (schema.enum) return;
      const pattern = schema.pattern ? new RegExp(schema.pattern, 'u') : undefined;
      const accepted = unsafe.filter((u) => !pattern || pattern.test(u) || pattern.test(`ok ${u} ok`));
      if (accepted.length > 0) loose.push(`${at}: accepts ${accepted.map((u) => JSON.stringify(u)).join(' ')}${schema.format ? ` (format ${schema.format})` : ''}`);
    };
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods) as [string, OpenApiOperation][]) {
        const name = `${method.toUpperCase()} ${path}`;
        for (const p of op.parameters) visit(p.schema as Schema, `${name} ${p.in} ${p.name}`);
        visit(op.requestBody?.content?.['application/json']?.schema as Schema | undefined, `${name} body`);
      }
    }
    expect(strings).toBeGreaterThan(100);
    expect(loose).toEqual([]);
  });
});

describe('a failed effect on the late-task queue', () => {
  it('is listed under EFFECT_FAILED and worked like any late task', async () => {
    const p = await registerParties(stack);
    const orderId = await draft(p);
    await eventually(() => stack.db.order.findUnique({ where: { id: orderId } }), (o) => o !== null, 'the order row');
    const effects = createEffectFailureActivities({ db: stack.db });
    const raised = await effects.raiseEffectFailure({
      resource: 'order', resourceId: orderId, key: `order:${orderId}:recordOrderChange:2`, effect: 'recordOrderChange (revision 2)',
      error: 'recordOrderChange: the database refused the data (SQLSTATE 22P02: invalid input syntax for type json); retrying cannot change that',
      occurredAt: new Date().toISOString(),
    });
    const listed = await call(stack.opsKey, 'GET', '/late-tasks?kind=EFFECT_FAILED&status=open');
    expect(listed.status).toBe(200);
    const task = (listed.body.tasks as { id: string }[]).find((t) => t.id === raised.taskId);
    expect(task).toMatchObject({ resource: 'order', resourceId: orderId, kind: 'EFFECT_FAILED', mustAct: 'ops', status: 'open', link: `/orders/${orderId}` });
    const path = `/late-tasks/${encodeURIComponent(raised.taskId)}`;
    expect((await call(stack.opsKey, 'POST', `${path}/acknowledge`, {})).body.task.status).toBe('acknowledged');
    expect((await call(stack.opsKey, 'POST', `${path}/resolve`, { note: 'cancel reason rewritten by hand; timeline entry added' })).body.task.status).toBe('resolved');
    // A change to the order does not resolve it by itself, nor bring it back.
    expect((await effects.raiseEffectFailure({ resource: 'order', resourceId: orderId, key: `order:${orderId}:recordOrderChange:2`, effect: 'x', error: 'y', occurredAt: new Date().toISOString() })).raised).toBe(false);
  });
});
