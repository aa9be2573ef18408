import type { z } from 'zod';
import { ApiError, fieldPath, fromZod } from '../../api/errors';
import { resolveCaseSchema } from '../../api/cases.schemas';
import {
  cancelSchema,
  createApiKeySchema,
  createOrderSchema,
  createPartySchema,
  idSchema,
  listOrdersSchema,
  paymentSchema,
  shipSchema,
} from '../../api/schemas';

/** Parses, expects failure, and returns the 400 ApiError built from it. */
function refusal(schema: z.ZodType, value: unknown, prefix?: string): ApiError {
  const result = schema.safeParse(value);
  if (result.success) throw new Error(`expected ${JSON.stringify(value)} to be refused`);
  const err = fromZod(result.error, prefix);
  expect(err).toBeInstanceOf(ApiError);
  expect(err.status).toBe(400);
  expect(err.code).toBe('invalid_input');
  return err;
}

/** The distinct field names of a refusal. */
function refusedFields(schema: z.ZodType, value: unknown, prefix?: string): string[] {
  return [...new Set((refusal(schema, value, prefix).fields ?? []).map((f) => f.field))];
}

function validOrder(): Record<string, unknown> {
  return {
    buyerId: 'buyer-1',
    supplierId: 'supplier_1',
    currency: 'USD',
    items: [
      { sku: 'A-1', description: 'Widget', quantity: 10, unitPrice: 1_000 },
      { sku: 'B-2', description: 'Gadget', quantity: 2, unitPrice: 0 },
    ],
    depositAmount: 3_000,
    shippingDate: '2026-12-01',
  };
}

function withItem(patch: Record<string, unknown>, index = 0): Record<string, unknown> {
  const body = validOrder();
  const items = (body.items as Record<string, unknown>[]).map((i) => ({ ...i }));
  items[index] = { ...items[index], ...patch };
  return { ...body, items };
}

describe('fieldPath', () => {
  it('is "(body)" for an empty path', () => {
    expect(fieldPath([])).toBe('(body)');
  });

  it('joins keys with dots and indexes with brackets', () => {
    expect(fieldPath(['items', 0, 'quantity'])).toBe('items[0].quantity');
    expect(fieldPath(['a', 'b', 2, 3, 'c'])).toBe('a.b[2][3].c');
    expect(fieldPath(['currency'])).toBe('currency');
  });
});

describe('fromZod', () => {
  it('builds a 400 invalid_input error whose message lists each field and reason', () => {
    const err = refusal(createOrderSchema, { ...validOrder(), currency: 'usd' });
    expect(err.fields).toEqual([{ field: 'currency', reason: 'must be an ISO 4217 code such as USD' }]);
    expect(err.message).toBe('currency: must be an ISO 4217 code such as USD');
  });

  it('uses the prefix as the field name for a scalar schema', () => {
    const err = refusal(idSchema, 'x', 'orderId');
    expect(err.fields).toHaveLength(1);
    expect(err.fields![0]!.field).toBe('orderId');
    expect(err.fields![0]!.reason).toMatch(/2–64/);
  });

  it('puts the prefix before a nested path', () => {
    expect(refusedFields(shipSchema, { carrier: 'DHL', trackingNumber: 'x' }, 'body')).toEqual(['body.trackingNumber']);
  });
});

describe('createOrderSchema', () => {
  it('accepts a valid body, trimming text', () => {
    const result = createOrderSchema.safeParse({ ...validOrder(), orderId: 'PO-1', qualityRequirements: '  AQL 2.5  ' });
    expect(result.success).toBe(true);
    expect(result.data?.qualityRequirements).toBe('AQL 2.5');
    expect(result.data?.items).toHaveLength(2);
  });

  it('accepts a body without optional fields', () => {
    const { supplierId: _unused, ...body } = validOrder();
    expect(createOrderSchema.safeParse(body).success).toBe(true);
  });

  it.each([[-1], [0], [1.5], ['3']])('names items[0].quantity for quantity %p', (quantity) => {
    expect(refusedFields(createOrderSchema, withItem({ quantity }))).toEqual(['items[0].quantity']);
  });

  it('names the right index for a bad second item', () => {
    expect(refusedFields(createOrderSchema, withItem({ unitPrice: -1 }, 1))).toEqual(['items[1].unitPrice']);
    expect(refusedFields(createOrderSchema, withItem({ sku: '   ' }, 1))).toEqual(['items[1].sku']);
  });

  it.each([['3000'], [30.5], [0], [-100], [null], [Number.MAX_SAFE_INTEGER + 2]])(
    'names depositAmount for %p',
    (depositAmount) => {
      expect(refusedFields(createOrderSchema, { ...validOrder(), depositAmount })).toEqual(['depositAmount']);
    },
  );

  it('names depositAmount when it is missing', () => {
    const { depositAmount: _unused, ...body } = validOrder();
    expect(refusedFields(createOrderSchema, body)).toEqual(['depositAmount']);
  });

  it.each([['2026-02-30'], ['20261201'], ['2026-13-01'], ['2026-12-1'], ['2026-12-01T00:00:00Z'], ['']])(
    'names shippingDate for %p',
    (shippingDate) => {
      expect(refusedFields(createOrderSchema, { ...validOrder(), shippingDate })).toEqual(['shippingDate']);
    },
  );

  it('accepts 29 February in a leap year', () => {
    expect(createOrderSchema.safeParse({ ...validOrder(), shippingDate: '2028-02-29' }).success).toBe(true);
    expect(refusedFields(createOrderSchema, { ...validOrder(), shippingDate: '2027-02-29' })).toEqual(['shippingDate']);
  });

  it.each([['usd'], ['US'], ['USDD'], ['U5D']])('names currency for %p', (currency) => {
    expect(refusedFields(createOrderSchema, { ...validOrder(), currency })).toEqual(['currency']);
  });

  it('refuses an unknown top-level key', () => {
    const err = refusal(createOrderSchema, { ...validOrder(), discount: 10 });
    expect(err.fields).toHaveLength(1);
    expect(err.fields![0]!.field).toBe('(body)');
    expect(err.fields![0]!.reason).toContain('discount');
  });

  it('refuses an unknown key inside an item', () => {
    const err = refusal(createOrderSchema, withItem({ colour: 'red' }));
    expect(err.fields).toHaveLength(1);
    expect(err.fields![0]!.field).toBe('items[0]');
    expect(err.fields![0]!.reason).toContain('colour');
  });

  it('names items for an empty item list', () => {
    expect(refusedFields(createOrderSchema, { ...validOrder(), items: [] })).toEqual(['items']);
  });

  it('names buyerId and orderId for malformed ids', () => {
    expect(refusedFields(createOrderSchema, { ...validOrder(), buyerId: '-bad' })).toEqual(['buyerId']);
    expect(refusedFields(createOrderSchema, { ...validOrder(), orderId: 'has space' })).toEqual(['orderId']);
  });

  it('names every bad field at once', () => {
    const fields = refusedFields(createOrderSchema, { ...withItem({ quantity: -1 }), currency: 'usd', depositAmount: 1.5 });
    expect(fields.sort()).toEqual(['currency', 'depositAmount', 'items[0].quantity']);
  });

  it('refuses a non-object body at (body)', () => {
    expect(refusedFields(createOrderSchema, 'hello')).toEqual(['(body)']);
    expect(refusedFields(createOrderSchema, null)).toEqual(['(body)']);
  });
});

describe('shipSchema', () => {
  it('accepts a valid shipment', () => {
    expect(shipSchema.safeParse({ carrier: 'DHL', trackingNumber: 'JD0146-00012345' }).success).toBe(true);
  });

  it.each([['abc'], ['has space'], ['AB/12345'], ['x'.repeat(41)], ['']])('names trackingNumber for %p', (trackingNumber) => {
    expect(refusedFields(shipSchema, { carrier: 'DHL', trackingNumber })).toEqual(['trackingNumber']);
  });

  it('names carrier when blank and refuses extra keys', () => {
    expect(refusedFields(shipSchema, { carrier: '  ', trackingNumber: 'ABCD1234' })).toEqual(['carrier']);
    expect(refusedFields(shipSchema, { carrier: 'DHL', trackingNumber: 'ABCD1234', eta: 'soon' })).toEqual(['(body)']);
  });
});

describe('paymentSchema', () => {
  it('accepts deposit and balance payments', () => {
    expect(paymentSchema.safeParse({ kind: 'deposit', amount: 100, reference: 'WIRE-1' }).success).toBe(true);
    expect(paymentSchema.safeParse({ kind: 'balance', amount: 100, reference: 'WIRE-2' }).success).toBe(true);
  });

  it('names kind for a value outside the enum, with the documented reason', () => {
    const err = refusal(paymentSchema, { kind: 'refund', amount: 100, reference: 'WIRE-1' });
    expect(err.fields).toEqual([{ field: 'kind', reason: 'must be "deposit" or "balance"' }]);
  });

  it('names amount for a float or zero', () => {
    expect(refusedFields(paymentSchema, { kind: 'deposit', amount: 1.5, reference: 'WIRE-1' })).toEqual(['amount']);
    expect(refusedFields(paymentSchema, { kind: 'deposit', amount: 0, reference: 'WIRE-1' })).toEqual(['amount']);
  });
});

describe('createPartySchema', () => {
  const party = { id: 'acme', kind: 'buyer', name: 'Acme Ltd', email: 'ops@acme.example' };

  it('accepts a valid party', () => {
    expect(createPartySchema.safeParse(party).success).toBe(true);
  });

  it.each([['not-an-email'], ['a@'], ['@acme.example'], ['']])('names email for %p', (email) => {
    const err = refusal(createPartySchema, { ...party, email });
    expect(err.fields).toEqual([{ field: 'email', reason: 'must be an email address' }]);
  });

  it('names kind for a value outside the enum', () => {
    expect(refusedFields(createPartySchema, { ...party, kind: 'broker' })).toEqual(['kind']);
  });
});

describe('createApiKeySchema', () => {
  it('accepts every role', () => {
    for (const role of ['ops', 'support', 'buyer', 'supplier']) {
      expect(createApiKeySchema.safeParse({ name: 'key', role }).success).toBe(true);
    }
    expect(createApiKeySchema.safeParse({ name: 'key', role: 'buyer', partyId: 'acme' }).success).toBe(true);
  });

  it('names role for a value outside the enum', () => {
    const err = refusal(createApiKeySchema, { name: 'key', role: 'admin' });
    expect(err.fields).toEqual([{ field: 'role', reason: 'must be one of ops, support, buyer, supplier, inspector' }]);
  });

  it('names partyId for a malformed id and name for a blank one', () => {
    expect(refusedFields(createApiKeySchema, { name: 'key', role: 'buyer', partyId: 'a' })).toEqual(['partyId']);
    expect(refusedFields(createApiKeySchema, { name: '', role: 'ops' })).toEqual(['name']);
  });
});

describe('free text', () => {
  it('refuses a NUL character, which PostgreSQL cannot store, naming the field', () => {
    expect(refusal(cancelSchema, { reason: 'wrong\u0000model' }).fields).toEqual([{ field: 'reason', reason: 'must not contain NUL (\\u0000) characters' }]);
    expect(refusal(resolveCaseSchema, { kind: 'REJECTED', reason: 'no\u0000' }).fields).toEqual([{ field: 'reason', reason: 'must not contain NUL (\\u0000) characters' }]);
    expect(cancelSchema.safeParse({ reason: 'wrong model, ünïcödé and emoji 📦 are fine' }).success).toBe(true);
  });
});

describe('instants', () => {
  it('refuses a year the database cannot store, naming the field once', () => {
    expect(refusal(listOrdersSchema, { deadlineBefore: '0000-02-29T05:08:50Z' }).fields).toEqual([{ field: 'deadlineBefore', reason: 'must be between 1970 and 9999' }]);
    expect(refusal(listOrdersSchema, { deadlineBefore: 'soon' }).fields).toEqual([{ field: 'deadlineBefore', reason: 'must be an ISO 8601 date-time' }]);
    expect(listOrdersSchema.safeParse({ deadlineBefore: '2026-12-01T12:00:00+08:00' }).success).toBe(true);
  });
});
