/**
 * Request shapes of the after-service routes (cases and manual orders). Types and formats only; the
 * windows and what each case allows live in workflows/after-service.policy.ts and the case workflow.
 */
import { z } from 'zod';
import { CASE_TYPES } from '../workflows/after-service.policy';
import { RESOLUTION_KINDS } from '../workflows/case.messages';
import { fileIdSchema, idSchema, text, instant as instantOf } from './schemas';

const minorUnits = z
  .number({ error: 'must be an integer number of minor units (e.g. cents)' })
  .int('must be an integer number of minor units (e.g. cents)')
  .positive('must be positive')
  .max(Number.MAX_SAFE_INTEGER, 'is too large');
const instant = instantOf();
const parcel = z.strictObject({
  carrier: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, 'must be 1–64 letters, digits, spaces, ".", "_" or "-"'),
  trackingNumber: z.string().regex(/^[A-Za-z0-9-]{4,40}$/, 'must be 4–40 letters, digits or "-"'),
});

export const caseParamsSchema = z.strictObject({ caseId: idSchema });
export const caseFileParamsSchema = z.strictObject({ caseId: idSchema, fileId: fileIdSchema });

export const openCaseSchema = z
  .strictObject({
    caseId: idSchema.optional(),
    orderId: idSchema,
    orderSource: z.enum(['order', 'manual'], { error: 'must be "order" or "manual"' }).optional(),
    type: z.enum(CASE_TYPES, { error: `must be one of ${CASE_TYPES.join(', ')}` }),
    description: text(2000),
    request: z.enum(['CHANGE', 'CANCEL'], { error: 'must be "CHANGE" or "CANCEL"' }).optional(),
  })
  .refine((b) => b.type !== 'CHANGE_CANCEL' || b.request !== undefined, { message: 'is required for a CHANGE_CANCEL case: CHANGE or CANCEL', path: ['request'] })
  .refine((b) => b.type === 'CHANGE_CANCEL' || b.request === undefined, { message: 'is only for CHANGE_CANCEL cases', path: ['request'] });

export const listCasesSchema = z.strictObject({
  status: z.enum(['AWAITING_REPLY', 'IN_PROGRESS', 'AWAITING_RETURN', 'AWAITING_CONFIRMATION', 'CLOSED'], { error: 'is not a case status' }).optional(),
  type: z.enum(CASE_TYPES, { error: `must be one of ${CASE_TYPES.join(', ')}` }).optional(),
  orderId: idSchema.optional(),
  late: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be 1 to 200').max(200, 'must be 1 to 200').optional(),
});

export const replySchema = z.strictObject({ message: text(4000) });

export const resolveCaseSchema = z
  .strictObject({
    kind: z.enum(RESOLUTION_KINDS, { error: `must be one of ${RESOLUTION_KINDS.join(', ')}` }),
    reason: text(2000),
    amount: minorUnits.optional(),
    resend: parcel.optional(),
    causedByBuyer: z.boolean({ error: 'must be true or false' }).optional(),
    productFine: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .refine((b) => b.kind !== 'PARTIAL_REFUND' || b.amount !== undefined, { message: 'is required for a partial refund', path: ['amount'] })
  .refine((b) => b.kind !== 'RESEND' || b.resend !== undefined, { message: 'is required for a resend: the new parcel', path: ['resend'] });

export const receiveReturnSchema = z.strictObject({ note: text(1000).optional() });
export const recallSchema = z.strictObject({ note: text(1000), succeeded: z.boolean({ error: 'must be true or false' }).optional() });
export const confirmCaseSchema = z.strictObject({ satisfied: z.boolean({ error: 'must be true or false' }), comment: text(2000).optional() });

/** Manual orders. */
export const manualOrderParamsSchema = z.strictObject({ manualOrderId: idSchema });

export const createManualOrderSchema = z.strictObject({
  manualOrderId: idSchema.optional(),
  customerName: text(200),
  customerEmail: z.email({ error: 'must be an email address' }),
  buyerId: idSchema.optional(),
  address: z.strictObject({
    line1: text(200),
    line2: text(200).optional(),
    city: text(100),
    region: text(100).optional(),
    postalCode: text(20),
    country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as DE'),
  }),
  items: z
    .array(
      z.strictObject({
        sku: text(64),
        quantity: z.number().int('must be a whole number').positive('must be positive').max(10_000_000, 'is too large'),
      }),
    )
    .min(1, 'must list at least one SKU')
    .max(100, 'must list at most 100 SKUs'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD'),
  totalAmount: minorUnits,
  paidAt: instant,
  reason: text(500),
});

export const listManualOrdersSchema = z.strictObject({
  status: z.enum(['PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'], { error: 'must be PAID, SHIPPED, DELIVERED or CANCELLED' }).optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be 1 to 200').max(200, 'must be 1 to 200').optional(),
});

export const shipManualOrderSchema = parcel;
export const emptySchema = z.strictObject({});
