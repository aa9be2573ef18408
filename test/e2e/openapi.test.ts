/**
 * The OpenAPI document and the /docs page against the real app: every route Express has is in the
 * document and nothing else is; every error answer refers to the one error shape; what the
 * document says is required is what the API refuses without; and the page's links all land.
 */
import { z } from 'zod';
import { errorBodySchema } from '../../api/errors';
import type { OpenApiDocument, OpenApiOperation } from '../../api/openapi';
import { ROLES } from '../../api/keys';
import { uniqueId } from '../support/env';
import { apiClient, expectError, startTestStack, TestStack } from '../support/stack';

let stack: TestStack;
let call: ReturnType<typeof apiClient>;
let doc: OpenApiDocument;

beforeAll(async () => {
  stack = await startTestStack();
  call = apiClient(stack.apiUrl);
  const res = await fetch(`${stack.apiUrl}/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as OpenApiDocument;
});

afterAll(async () => {
  await stack?.stop();
});

function operations(): { method: string; path: string; op: OpenApiOperation }[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method, path, op: op as OpenApiOperation })),
  );
}

/** "METHOD /path/{param}" for every route the Express router holds. */
function expressRoutes(): string[] {
  const router = (stack.app as unknown as { router: { stack: { route?: { path: unknown; methods: Record<string, boolean> } }[] } }).router;
  return router.stack.flatMap((layer) => {
    if (!layer.route) return [];
    const path = String(layer.route.path).replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
    return Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${path}`);
  });
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document served without an API key', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('TradeGuard API');
    expect(operations().length).toBeGreaterThan(40);
  });

  it('names its server (relative: whichever replica served it), its license, and what each tag is about', () => {
    expect(doc.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    expect(doc.info.license).toEqual({ name: 'Apache-2.0', identifier: 'Apache-2.0' });
    expect(doc.tags.filter((t) => !t.description).map((t) => t.name)).toEqual([]);
  });

  it('describes exactly the routes Express has registered', () => {
    const registered = expressRoutes();
    const documented = operations().map((o) => `${o.method.toUpperCase()} ${o.path}`);
    expect(registered.length).toBeGreaterThan(40);
    expect(new Set(registered).size).toBe(registered.length);
    expect([...documented].sort()).toEqual([...registered].sort());
  });

  it('names the roles of every operation, from the known roles only; public ones need no key', async () => {
    for (const { method, path, op } of operations()) {
      const where = `${method} ${path}`;
      expect({ where, public: op.security.length === 0 }).toEqual({ where, public: op['x-roles'].length === 0 });
      for (const role of op['x-roles']) expect({ where, role, known: (ROLES as readonly string[]).includes(role) }).toEqual({ where, role, known: true });
    }
    const publicOps = operations().filter((o) => o.op['x-roles'].length === 0).map((o) => `${o.method} ${o.path}`);
    expect(publicOps.sort()).toEqual(['get /console', 'get /console/{asset}', 'get /docs', 'get /health', 'get /metrics', 'get /openapi.json']);
    expect(operations().find((o) => o.path === '/orders/{orderId}/claims/{claimId}/decide')?.op['x-roles']).toEqual(['ops']);
    expect(operations().find((o) => o.method === 'post' && o.path === '/orders')?.op['x-roles']).toEqual(['ops', 'supplier']);
  });

  it('gives every operation a unique id and describes each path parameter', () => {
    const ids = operations().map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, op } of operations()) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const described = op.parameters.filter((p) => p.in === 'path').map((p) => p.name);
      expect({ path, described }).toEqual({ path, described: inPath });
    }
  });

  it('documents the one error shape as a component that every 4xx and 5xx answer refers to', () => {
    const { $schema: _ignored, ...errorSchema } = z.toJSONSchema(errorBodySchema, { io: 'input' }) as Record<string, unknown>;
    expect(doc.components.schemas.Error).toEqual(errorSchema);
    let errorAnswers = 0;
    for (const { method, path, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        // The health report is the body of its own 503, by design.
        if (path === '/health' && status === '503') continue;
        errorAnswers++;
        expect({ at: `${method} ${path} ${status}`, content: response.content }).toEqual({
          at: `${method} ${path} ${status}`,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        });
      }
      if (op['x-roles'].length > 0) {
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403', '429']));
        expect(op.responses['429'].headers).toHaveProperty('Retry-After');
      }
      if (op.requestBody) expect({ at: `${method} ${path}`, has413: '413' in op.responses }).toEqual({ at: `${method} ${path}`, has413: true });
    }
    expect(errorAnswers).toBeGreaterThan(200);
  });

  it('documents the request schemas the API validates with: leaving out what the document requires is a 400 naming those fields', async () => {
    // ops may call every operation that takes a body or query; validation comes before any lookup.
    const opsKey = stack.opsKey;
    const values: Record<string, string> = {
      orderId: 'PO-NOT-THERE', claimId: 'C1', fileId: '0'.repeat(64), monitoringId: 'PM-NOT-THERE', partyId: 'nobody-here', supplierId: 'nobody-here',
      weekStart: '2026-11-16', caseId: 'CS-NOT-THERE', manualOrderId: 'MO-NOT-THERE', carrier: 'DHL', trackingNumber: 'NOT-THERE-1', taskId: 'LT-order-NOT-THERE-1',
      keyId: 'KEY-NOT-THERE',
      requestId: 'RQ-NOT-THERE',
    };
    let checked = 0;
    for (const { method, path, op } of operations()) {
      if (!op['x-roles'].includes('ops')) continue;
      const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => {
        if (!(name in values)) throw new Error(`no test value for path parameter ${name}`);
        return values[name];
      });
      const bodySchema = op.requestBody?.content['application/json']?.schema as { required?: string[] } | undefined;
      const required = [...(bodySchema?.required ?? []), ...op.parameters.filter((p) => p.in === 'query' && p.required).map((p) => p.name)];
      if (required.length === 0) continue;
      const res = bodySchema
        ? await call(opsKey, method.toUpperCase(), url, {})
        : await fetch(`${stack.apiUrl}${url}`, { method: method.toUpperCase(), headers: { authorization: `Bearer ${opsKey}`, 'content-type': 'image/png' }, body: 'png' })
          .then(async (r) => ({ status: r.status, body: await r.json() }));
      const at = `${method} ${path}`;
      expect({ at, status: res.status, code: res.body?.error?.code }).toEqual({ at, status: 400, code: 'invalid_input' });
      const named = (res.body.error.fields as { field: string }[]).map((f) => f.field);
      expect({ at, named: [...named].sort() }).toEqual({ at, named: [...required].sort() });
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('documents the Idempotency-Key header on every POST behind a key, with its 422 and the replay headers', () => {
    const posts = operations().filter((o) => o.method === 'post' && o.op['x-roles'].length > 0);
    expect(posts.length).toBeGreaterThan(30);
    for (const { path, op } of posts) {
      const header = op.parameters.find((p) => p.in === 'header' && p.name === 'Idempotency-Key');
      expect({ path, required: header?.required, maxLength: header?.schema.maxLength }).toEqual({ path, required: false, maxLength: 255 });
      expect({ path, has422: String(op.responses['422']?.description).startsWith('idempotency_key_reused') }).toEqual({ path, has422: true });
      expect(op.responses['409']?.description).toContain('idempotency_key_in_use');
      const success = Object.entries(op.responses).find(([status]) => Number(status) < 300)![1];
      expect(Object.keys(success.headers ?? {})).toEqual(expect.arrayContaining(['Idempotent-Replayed', 'Original-Request-Id']));
    }
    // Reads and public operations take none.
    expect(operations().filter((o) => o.method !== 'post' || o.op['x-roles'].length === 0).flatMap((o) => o.op.parameters.filter((p) => p.in === 'header'))).toEqual([]);
    expect(doc.info.description).toMatch(/Idempotency-Key/);
  });

  it('states the limits the API enforces', () => {
    expect(doc.info.description).toMatch(/600 requests a minute in bursts of up to 200/);
    const evidence = doc.paths['/orders/{orderId}/claims/{claimId}/evidence']?.post;
    expect(Object.keys(evidence?.requestBody?.content ?? {})).toEqual(['image/jpeg', 'image/png', 'application/pdf', 'video/mp4']);
    expect(evidence?.requestBody?.content['image/png'].schema).toMatchObject({ maxLength: 10 * 1024 * 1024 });
  });
});

describe('GET /docs', () => {
  let html: string;
  beforeAll(async () => {
    const res = await fetch(`${stack.apiUrl}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    html = await res.text();
  });

  it('has an anchor for every operation, and every in-page link lands on an element', () => {
    const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
    const targets = [...html.matchAll(/\shref="#([^"]*)"/g)].map((m) => m[1]);
    expect(targets.length).toBeGreaterThan(operations().length);
    expect(targets.filter((t) => !ids.has(t))).toEqual([]);
    expect(operations().map((o) => o.op.operationId).filter((id) => !ids.has(`op-${id}`))).toEqual([]);
    expect(ids.has('schema-Error')).toBe(true);
  });

  it('is self-contained: no scripts and nothing loaded from elsewhere', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link\b/i);
    expect([...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1]).filter((u) => !u.startsWith('#'))).toEqual([]);
    expect(html).not.toMatch(/url\(/i);
  });

  it('lists the Idempotency-Key header of each POST', () => {
    const section = html.slice(html.indexOf('id="op-postOrdersByOrderIdPay"'));
    const pay = section.slice(0, section.indexOf('</section>'));
    expect(pay).toMatch(/<h4>Headers<\/h4>\s*<table>.*<code>Idempotency-Key<\/code><\/td><td>string<\/td><td>optional/s);
    expect(pay).toMatch(/<td>422<\/td><td><a href="#schema-Error">Error<\/a><\/td><td>idempotency_key_reused/);
  });

  it('lists each operation with its roles, its body fields and constraints, and its answers', () => {
    const section = html.slice(html.indexOf('id="op-postOrdersByOrderIdPay"'));
    const pay = section.slice(0, section.indexOf('</section>'));
    expect(pay).toContain('<code>/orders/{orderId}/pay</code>');
    expect(pay).toContain('<span class="role">ops</span> <span class="role">buyer</span>');
    expect(pay).not.toContain('<span class="role">supplier</span>');
    expect(pay).toMatch(/<code>kind<\/code><\/td><td>one of <code>&quot;deposit&quot;<\/code>, <code>&quot;balance&quot;<\/code><\/td><td>required/);
    expect(pay).toMatch(/<code>amount<\/code><\/td><td>integer<\/td><td>required<\/td><td>&gt; 0/);
    expect(pay).toMatch(/<td>409<\/td><td><a href="#schema-Error">Error<\/a><\/td><td>action_refused/);
    expect(html).toContain('<code>items[].quantity</code>');
  });
});

describe('requests outside the registry', () => {
  it('answers an unknown route with 404 in the error shape', async () => {
    const res = await call(stack.opsKey, 'GET', `/no-such-thing/${uniqueId('x')}`);
    expectError(res, 404, 'not_found');
    expect(errorBodySchema.safeParse(res.body).success).toBe(true);
  });
});
