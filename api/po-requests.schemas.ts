/**
 * Request shapes of the purchase order request routes. Types and formats only; the rules live in the
 * request's workflow and workflows/po-request.policy.ts.
 */
import { z } from 'zod';
import { PURCHASE_REQUEST_TERMINAL } from '../workflows/po-request.messages';
import { idSchema, isoDate, text } from './schemas';

const STATUSES = ['OPEN', ...PURCHASE_REQUEST_TERMINAL] as const;

export const poRequestParamsSchema = z.strictObject({ requestId: idSchema });

export const submitPoRequestSchema = z.strictObject({
  requestId: idSchema.optional(),
  /** Ops submits on a buyer's behalf and names it; a buyer submits in its own name. */
  buyerId: idSchema.optional(),
  supplierId: idSchema,
  items: z
    .array(
      z.strictObject({
        sku: text(64).optional(),
        description: text(500),
        quantity: z.number().int('must be a whole number').positive('must be positive').max(10_000_000, 'is too large'),
      }),
    )
    .min(1, 'needs at least one product')
    .max(200, 'at most 200 products'),
  desiredShippingDate: isoDate,
  qualityRequirements: text(2000).optional(),
  message: text(2000),
});

export const listPoRequestsSchema = z.strictObject({
  status: z.enum(STATUSES, { error: `must be one of ${STATUSES.join(', ')}` }).optional(),
  limit: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be 1 to 200').max(200, 'must be 1 to 200').optional(),
});

export const declinePoRequestSchema = z.strictObject({ reason: text(500) });
export const withdrawPoRequestSchema = z.strictObject({ reason: text(500).optional() });
