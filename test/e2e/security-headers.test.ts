/**
 * Response headers on the real stack: /docs carries a Content-Security-Policy that allows its one
 * inline style sheet (by hash) and nothing else, refuses to be framed and is never sniffed; every
 * answer says `nosniff`; every answer behind an API key, success or refusal, says `no-store`.
 */
import { createHash } from 'node:crypto';
import { registerParties, startTestStack, TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

const get = (path: string, key?: string, init: RequestInit = {}) =>
  fetch(`${stack.apiUrl}${path}`, { ...init, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(init.headers as Record<string, string> | undefined) } });

describe('/docs', () => {
  it('has a Content-Security-Policy that allows only its own inline style, frame protection and nosniff', async () => {
    const res = await get('/docs');
    expect(res.status).toBe(200);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(directives['base-uri']).toEqual(["'none'"]);
    expect(directives['form-action']).toEqual(["'none'"]);
    expect(directives['script-src']).toBeUndefined();
    // The style sheet inside the page is exactly the one the policy's hash allows.
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
    expect(styles).toHaveLength(1);
    expect(directives['style-src']).toEqual([`'sha256-${createHash('sha256').update(styles[0]).digest('base64')}'`]);
    expect(html).not.toMatch(/\sstyle="/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });
});

describe('every answer', () => {
  it('says nosniff: public pages, JSON, refusals and unknown routes', async () => {
    for (const [path, key] of [['/health'], ['/openapi.json'], ['/console'], ['/orders'], ['/orders', stack.opsKey], ['/no-such-route']] as const) {
      const res = await get(path, key);
      expect({ path, nosniff: res.headers.get('x-content-type-options') }).toEqual({ path, nosniff: 'nosniff' });
    }
  });
});

describe('answers behind an API key', () => {
  it('are never stored by a cache: Cache-Control: no-store on successes and refusals alike', async () => {
    const p = await registerParties(stack);
    const answers = [
      await get('/orders?limit=1', p.buyerKey),
      await get(`/parties/${p.buyerId}`, p.buyerKey),
      await get('/orders/PO-NOT-THERE', p.buyerKey),
      await get('/orders?limit=0', p.buyerKey),
      await get('/parties', p.buyerKey, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
      await get('/orders?limit=1'),
      await get('/orders?limit=1', 'tg_not-a-key'),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 404, 400, 403, 401, 401]);
    for (const res of answers) {
      expect({ url: res.url, status: res.status, cacheControl: res.headers.get('cache-control') }).toEqual({ url: res.url, status: res.status, cacheControl: 'no-store' });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });
});
