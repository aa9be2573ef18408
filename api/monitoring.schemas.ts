/**
 * Request shapes of the monitoring routes. Types and formats only; the rules live in the
 * monitoring workflow and workflows/monitoring.policy.ts.
 */
import { z } from 'zod';
import { ADDED_VIA } from '../workflows/monitoring.policy';
import { fileIdSchema, idSchema, text } from './schemas';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
  }, 'is not a real calendar date');

const count = z.number().int('must be a whole number').nonnegative('must not be negative').max(100_000_000, 'is too large');

export const monitoringIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$/, 'must be 2–64 letters, digits, "-" or "_", starting with a letter or digit');

export const fileNameSchema = z
  .string()
  .regex(/^[\p{L}\p{N} ._()-]{1,120}$/u, 'must be 1–120 letters, digits, spaces, ".", "_", "-" or parentheses');

/** Path parameters. */
export const monitoringParamsSchema = z.strictObject({ monitoringId: monitoringIdSchema });
export const monitoringFileParamsSchema = z.strictObject({
  monitoringId: monitoringIdSchema,
  fileId: fileIdSchema,
});

/** Query of a file upload: the file's name beside the raw body. */
export const uploadQuerySchema = z.object({ name: fileNameSchema.default('upload') });

export const bookMonitoringSchema = z.strictObject({
  monitoringId: monitoringIdSchema.optional(),
  orderId: monitoringIdSchema,
  addedVia: z.enum(ADDED_VIA, { error: `must be one of ${ADDED_VIA.join(', ')}` }),
  supplierAgreed: z.boolean({ error: 'must be true or false' }).optional(),
  innerCartonMarkings: text(500).optional(),
  details: text(2000).optional(),
});

export const payMonitoringSchema = z.strictObject({
  card: z.strictObject({
    number: z.string().regex(/^[0-9 -]{12,23}$/, 'must be the card number: 12 to 19 digits'),
    expMonth: z.number().int('must be a month 1–12').min(1, 'must be a month 1–12').max(12, 'must be a month 1–12'),
    expYear: z.number().int('must be a four-digit year').min(2000, 'must be a four-digit year').max(2100, 'must be a four-digit year'),
    cvc: z.string().regex(/^\d{3,4}$/, 'must be 3 or 4 digits'),
  }),
});

export const productInfoSchema = z.strictObject({ description: text(5000) });

export const assignInspectorSchema = z.strictObject({
  inspector: text(200),
  /** An inspector party's id: its keys may then act on the task. */
  inspectorId: idSchema.optional(),
  checkDate: isoDate,
});

export const progressSchema = z.strictObject({
  percentComplete: z.number().int('must be a whole number').min(0, 'must be 0 to 100').max(100, 'must be 0 to 100'),
  expectedCompletionDate: isoDate.optional(),
  note: text(2000),
});

/** A progress update sent with a photo: its fields travel as query parameters beside the file. */
export const progressPhotoQuerySchema = z.strictObject({
  name: fileNameSchema.default('upload'),
  percentComplete: z.coerce.number().int('must be a whole number').min(0, 'must be 0 to 100').max(100, 'must be 0 to 100'),
  expectedCompletionDate: isoDate.optional(),
  note: text(2000),
});

export const recordCheckSchema = z.strictObject({
  observed: z.strictObject({
    productName: text(500),
    quantity: count,
    shippingMarks: text(500).optional(),
    packaging: text(500).optional(),
    innerCartonMarkings: text(500).optional(),
  }),
  lotSize: count.min(2, 'must be at least 2'),
  sampleInspected: count.min(1, 'must be at least 1'),
  defects: z.strictObject({ critical: count, major: count, minor: count }),
  pendingReasons: z.array(text(500)).max(20, 'at most 20 reasons').optional(),
  notes: text(2000).optional(),
});

export const editMonitoringSchema = z.strictObject({ checkDate: isoDate.optional(), details: text(2000).optional() });

export const cancelMonitoringSchema = z.strictObject({ reason: text(500) });

export const shipmentDateSchema = z.strictObject({ shipmentDate: isoDate });

export const reviewSchema = z.strictObject({
  rating: z.number().int('must be a whole number').min(1, 'must be 1 to 5').max(5, 'must be 1 to 5'),
  comment: text(2000),
});

export const listMonitoringSchema = z.strictObject({
  status: z.string().regex(/^[A-Z_]{3,30}$/, 'must be a status such as AWAITING_REPORT').optional(),
  orderId: monitoringIdSchema.optional(),
  late: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be 1 to 200').max(200, 'must be 1 to 200').optional(),
});
