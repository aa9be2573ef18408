/**
 * Paging cursors on the real stack: a cursor this API did not make is a 400 naming `cursor` on
 * GET /deadlines and GET /search, never a 500, whatever it decodes to (a year PostgreSQL cannot
 * store, a character it cannot store, the wrong shape, no JSON at all); the cursors it did make
 * still page through every row once.
 */
import { apiClient, expectError, orderThrough, registerParties, startTestStack, TestStack } from '../support/stack';

let stack: TestStack;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startTestStack();
  call = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
});

const encode = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Decoded forms of cursors no page of this API ever answered with. */
const FOREIGN_KEYS: unknown[] = [
  ['0000-01-01T00:00:00Z', 'x'],
  ['-271821-04-20T00:00:00.000Z', 'x'],
  ['+275760-09-13T00:00:00.000Z', 'x'],
  ['1969-12-31T23:59:59.999Z', 'x'],
  ['10000-01-01T00:00:00Z', 'x'],
  ['2026-02-30T00:00:00Z', 'x'],
  ['2026-12-01T12:00:00+02:00', 'x'],
  ['2026-12-01', 'x'],
  ['2026-12-01T12:00:00Z', 'nul\u0000'],
  ['2026-12-01T12:00:00Z', '\ud800'],
  ['2026-12-01T12:00:00Z', 'x'.repeat(5000)],
  ['2026-12-01T12:00:00Z', "x' OR '1'='1"],
  ['2026-12-01T12:00:00Z'],
  ['2026-12-01T12:00:00Z', 'order', 'x', 'extra'],
  [1, 2],
  [null, 'x'],
  [['2026-12-01T12:00:00Z'], 'x'],
  { dueAt: '2026-12-01T12:00:00Z', id: 'x' },
  '"just a string"',
  '[',
  'not json at all',
  '',
];
const SEARCH_ONLY: unknown[] = [['2026-12-01T12:00:00Z', 'invoice', 'PO-1'], ['2026-12-01T12:00:00Z', 'order', '']];
const UNENCODED = ['!!!', 'a'.repeat(401), 'abc=', '%00'];

describe('cursors this API did not make', () => {
  it('are a 400 naming cursor on GET /deadlines and GET /search, for ops and for a party alike', async () => {
    const p = await registerParties(stack);
    const problems: string[] = [];
    let checked = 0;
    for (const [list, foreign] of [['/deadlines', [...FOREIGN_KEYS, ...SEARCH_ONLY.slice(1)]], ['/search', [...FOREIGN_KEYS, ...SEARCH_ONLY]]] as const) {
      const cursors = [...foreign.map(encode), ...UNENCODED.map(encodeURIComponent)];
      for (const key of [stack.opsKey, p.buyerKey]) {
        for (const cursor of cursors) {
          const res = await call(key, 'GET', `${list}?limit=5&cursor=${cursor}`);
          checked++;
          const fields = (res.body?.error?.fields ?? []).map((f: { field: string }) => f.field);
          if (res.status !== 400 || res.body?.error?.code !== 'invalid_input' || fields.join() !== 'cursor') {
            problems.push(`${list} cursor ${cursor.slice(0, 60)}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });

  it('leave the cursors the API made working: every deadline and every result once, page by page', async () => {
    const p = await registerParties(stack);
    for (let i = 0; i < 3; i++) await orderThrough(stack, p, 'paid');
    for (const [list, items] of [['/deadlines', 'deadlines'], ['/search', 'results']] as const) {
      const all = await call(p.buyerKey, 'GET', `${list}?limit=200`);
      expect(all.status).toBe(200);
      expect(all.body[items].length).toBeGreaterThanOrEqual(3);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await call(p.buyerKey, 'GET', `${list}?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        seen.push(...page.body[items].map((r: { id: string }) => r.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all.body[items].map((r: { id: string }) => r.id));
    }
    // A cursor of one list is not a cursor of the other.
    const deadlinePage = await call(p.buyerKey, 'GET', '/deadlines?limit=1');
    expectError(await call(p.buyerKey, 'GET', `/search?cursor=${deadlinePage.body.nextCursor}`), 400, 'invalid_input');
  });
});
