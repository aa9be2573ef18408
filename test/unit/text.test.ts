/**
 * Safe text (infra/text.ts) and the free-text fields of the request schemas: a lone surrogate, a
 * control character or a bidirectional override is refused with the field's name and the reason;
 * everything a person writes (any script, emoji, newlines and tabs) is accepted. Also `safeText`,
 * which an activity uses on text no schema checked.
 */
import type { z } from 'zod';
import { ApiError, fromZod } from '../../api/errors';
import { createManualOrderSchema, openCaseSchema } from '../../api/cases.schemas';
import { fileNameSchema, progressPhotoQuerySchema, recordCheckSchema } from '../../api/monitoring.schemas';
import { lateTaskParamsSchema, listLateTasksSchema, searchSchema } from '../../api/ops.schemas';
import { cancelSchema, createOrderSchema, evidenceNameSchema, openClaimSchema, text } from '../../api/schemas';
import { SAFE_TEXT, safeText, unsafeTextReason } from '../../infra/text';

function refusal(schema: z.ZodType, value: unknown): { field: string; reason: string }[] {
  const result = schema.safeParse(value);
  if (result.success) throw new Error(`expected ${JSON.stringify(value)} to be refused`);
  const err = fromZod(result.error);
  expect(err).toBeInstanceOf(ApiError);
  expect(err.status).toBe(400);
  return err.fields ?? [];
}

describe('unsafeTextReason', () => {
  it.each([
    ['a lone high surrogate', 'lost \ud800 x', 'must be well-formed Unicode: a lone high surrogate (U+D800) at character 6 is not a character'],
    ['a lone low surrogate', 'x\udc00', 'must be well-formed Unicode: a lone low surrogate (U+DC00) at character 2 is not a character'],
    ['a high surrogate at the end', 'box 📦\ud83d', 'must be well-formed Unicode: a lone high surrogate (U+D83D) at character 6 is not a character'],
    ['two high surrogates', '\ud83d\ud83d\udce6', 'must be well-formed Unicode: a lone high surrogate (U+D83D) at character 1 is not a character'],
    ['ESC', 'red \u001b[31m', 'must not contain control characters other than newline and tab (U+001B at character 5)'],
    ['BEL', '\u0007ding', 'must not contain control characters other than newline and tab (U+0007 at character 1)'],
    ['DEL', 'a\u007f', 'must not contain control characters other than newline and tab (U+007F at character 2)'],
    ['NEL (C1)', 'line\u0085next', 'must not contain control characters other than newline and tab (U+0085 at character 5)'],
    ['CSI (C1)', '\u009b31m', 'must not contain control characters other than newline and tab (U+009B at character 1)'],
    ['vertical tab', 'a\u000bb', 'must not contain control characters other than newline and tab (U+000B at character 2)'],
    ['a lone carriage return', 'paid\rrefunded', 'must not contain a carriage return (U+000D) other than before a newline (at character 5)'],
    ['NUL', 'wrong\u0000model', 'must not contain NUL (\\u0000) characters'],
    ['right-to-left override', 'invoice \u202Efdp.exe', 'must not contain bidirectional embedding, override or isolate characters (U+202E at character 9)'],
    ['left-to-right embedding', '\u202Aabc', 'must not contain bidirectional embedding, override or isolate characters (U+202A at character 1)'],
    ['pop directional formatting', 'abc\u202C', 'must not contain bidirectional embedding, override or isolate characters (U+202C at character 4)'],
    ['left-to-right isolate', 'a\u2066b', 'must not contain bidirectional embedding, override or isolate characters (U+2066 at character 2)'],
    ['pop directional isolate', 'a\u2069', 'must not contain bidirectional embedding, override or isolate characters (U+2069 at character 2)'],
  ])('refuses %s, naming it and where it is', (_what, value, reason) => {
    expect(SAFE_TEXT.test(value)).toBe(false);
    expect(unsafeTextReason(value)).toBe(reason);
  });

  it.each([
    ['plain text', 'Bluetooth speaker, 500 pcs'],
    ['newlines and tabs', 'line one\nline two\n\tindented'],
    ['CR LF line breaks', 'line one\r\nline two\r\n'],
    ['emoji (surrogate pairs), joined and flagged', '📦 box 😀🎉👩‍👩‍👧‍👦🏳️‍🌈'],
    ['a supplementary-plane character alone', '\ud83d\udce6'],
    ['other scripts', 'Größe ß, 深圳市, مرحبا, שלום, Привет'],
    ['the direction marks U+200E, U+200F and U+061C', 'שלום\u200F 12\u200E \u061Cمرحبا'],
    ['zero-width joiners and a byte order mark', 'a\u200Db\u200Cc\uFEFF'],
    ['non-breaking and ideographic spaces', 'a\u00A0b\u3000c'],
    ['the empty string (emptiness is the field\'s own rule)', ''],
  ])('accepts %s', (_what, value) => {
    expect(SAFE_TEXT.test(value)).toBe(true);
    expect(unsafeTextReason(value)).toBeUndefined();
  });
});

describe('text(max): every free-text field', () => {
  it('refuses a lone surrogate in a cancel reason, naming the field, once', () => {
    expect(refusal(cancelSchema, { reason: 'lost \ud800 x' })).toEqual([
      { field: 'reason', reason: 'must be well-formed Unicode: a lone high surrogate (U+D800) at character 6 is not a character' },
    ]);
  });

  it('reads a lone surrogate escaped in raw JSON the same way (JSON.parse keeps it lone)', () => {
    const body = JSON.parse('{"reason": "lost \\ud800 x"}') as unknown;
    expect(refusal(cancelSchema, body).map((f) => f.field)).toEqual(['reason']);
  });

  it('checks the characters as sent, before trimming: a control character at either end is refused too', () => {
    expect(refusal(cancelSchema, { reason: '\u000bbroken\u000c' }).map((f) => f.field)).toEqual(['reason']);
    expect(refusal(cancelSchema, { reason: 'broken \u001b' }).map((f) => f.field)).toEqual(['reason']);
  });

  it('names nested and array fields', () => {
    const order = {
      buyerId: 'buyer-1', currency: 'USD', depositAmount: 1, shippingDate: '2026-12-01',
      items: [{ sku: 'A-1', description: 'ok', quantity: 1, unitPrice: 1 }, { sku: 'B-2', description: 'evil \u202Etxt.exe', quantity: 1, unitPrice: 1 }],
    };
    expect(refusal(createOrderSchema, order).map((f) => f.field)).toEqual(['items[1].description']);
    const manual = {
      customerName: 'Ada', customerEmail: 'ada@example.com', address: { line1: 'lost \ud800 x', city: 'Berlin', postalCode: '10115', country: 'DE' },
      items: [{ sku: 'A-1', quantity: 1 }], currency: 'EUR', totalAmount: 100, paidAt: '2026-01-01T00:00:00Z', reason: 'ring \u0007',
    };
    expect(refusal(createManualOrderSchema, manual).map((f) => f.field).sort()).toEqual(['address.line1', 'reason']);
    const check = {
      observed: { productName: 'Widget', quantity: 10 }, lotSize: 10, sampleInspected: 2, defects: { critical: 0, major: 0, minor: 0 },
      pendingReasons: ['fine', 'colour \u2067off'],
    };
    expect(refusal(recordCheckSchema, check).map((f) => f.field)).toEqual(['pendingReasons[1]']);
  });

  it('refuses a bidirectional override in a claim and a case description', () => {
    expect(refusal(openClaimSchema, { cause: 'QUALITY_MISMATCH', refundAsked: 100, description: 'broken \u202Egnp.exe' })).toEqual([
      { field: 'description', reason: 'must not contain bidirectional embedding, override or isolate characters (U+202E at character 8)' },
    ]);
    expect(refusal(openCaseSchema, { orderId: 'PO-1', type: 'QUALITY', description: '\u2066x\u2069' }).map((f) => f.field)).toContain('description');
  });

  it('holds query strings to the same rule', () => {
    expect(refusal(listLateTasksSchema, { assignee: 'alice\u001b[2J' }).map((f) => f.field)).toEqual(['assignee']);
    expect(refusal(searchSchema, { q: 'PO\u202E1' }).map((f) => f.field)).toEqual(['q']);
    expect(refusal(progressPhotoQuerySchema, { percentComplete: '50', note: 'half\u0085done' }).map((f) => f.field)).toEqual(['note']);
  });

  it('accepts what people write: any script, emoji, newlines, tabs and direction marks', () => {
    for (const value of ['Wrong model 📦 ünïcödé', 'line one\nline two\tcol', 'CR LF\r\nline', 'שלום\u200F עולם', '深圳 · 👩‍👩‍👧‍👦']) {
      expect(cancelSchema.safeParse({ reason: value }).success).toBe(true);
    }
    expect(text(10).safeParse('  padded  ').data).toBe('padded');
  });

  it('keeps its other rules: not empty after trimming, and bounded', () => {
    expect(refusal(cancelSchema, { reason: '   ' })).toEqual([{ field: 'reason', reason: 'must not be empty' }]);
    expect(refusal(text(3), 'abcd')).toEqual([{ field: '(body)', reason: 'must be at most 3 characters' }]);
  });

  it('refuses text with no visible character (zero-width spaces, a byte-order mark, a soft hyphen), and keeps text with one', () => {
    for (const value of ['\u200b\u200b\ufeff', '\u00ad', ' \u2060 ', '\u3000\u200b']) {
      expect(refusal(cancelSchema, { reason: value })).toEqual([{ field: 'reason', reason: 'must not be empty: it has no visible character' }]);
    }
    for (const value of ['x\u200b', '\u200bok', '中', '·']) expect(cancelSchema.safeParse({ reason: value }).success).toBe(true);
  });
});

describe('file names and late-task ids', () => {
  it.each([['lost \ud800 x.pdf'], ['photo\u202Egpj.exe'], ['a\u001b.png'], ['x\u2066.jpg']])('refuses the upload name %j', (name) => {
    expect(refusal(evidenceNameSchema, name)).toHaveLength(1);
    expect(refusal(fileNameSchema, name)).toHaveLength(1);
  });

  it('accepts an escalation task id and a failed effect task id', () => {
    expect(lateTaskParamsSchema.safeParse({ taskId: 'LT-monitoring-PM-1-7' }).success).toBe(true);
    expect(lateTaskParamsSchema.safeParse({ taskId: 'LT-order-PO-1-effect-3f2a9c0d1b2e4f56' }).success).toBe(true);
    expect(lateTaskParamsSchema.safeParse({ taskId: 'LT-order-PO-1-effect-3F2A' }).success).toBe(false);
  });

  it('lists failed effects as a late-task kind', () => {
    expect(listLateTasksSchema.safeParse({ kind: 'EFFECT_FAILED' }).success).toBe(true);
  });
});

describe('safeText', () => {
  it('makes lone surrogates U+FFFD, keeps pairs, drops control characters and overrides, keeps newlines and tabs', () => {
    expect(safeText('lost \ud800 x', 100)).toBe('lost \ufffd x');
    expect(safeText('\udc00📦', 100)).toBe('\ufffd📦');
    expect(safeText('red \u001b[31mtext\u0007\u0085 \u202Eevil\u2066', 100)).toBe('red [31mtext evil');
    expect(safeText('a\r\nb\rc\n\td\u0000', 100)).toBe('a\nbc\n\td');
    expect(unsafeTextReason(safeText('x\ud800\u202E\u001b\r\u009f', 100))).toBeUndefined();
  });

  it('cuts at a character boundary, never inside a surrogate pair', () => {
    const cut = safeText('📦'.repeat(10), 4);
    expect(cut).toBe('📦📦📦…');
    expect(unsafeTextReason(cut)).toBeUndefined();
    expect(safeText('short', 5)).toBe('short');
  });

  it('takes anything and returns safe text', () => {
    const nasty = Array.from({ length: 0x300 }, (_, i) => String.fromCharCode(i)).join('') + '\ud800\udbff\udc00\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069';
    expect(unsafeTextReason(safeText(nasty, 10_000))).toBeUndefined();
  });
});
