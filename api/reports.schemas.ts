/** Request shapes of the report, self-check and simulated-carrier routes (types and formats only). */
import { z } from 'zod';
import { instant as instantOf } from './schemas';
import { TRACKING_STATUSES } from '../adapters/carrier-http';
import { isWeekStart } from '../workflows/self-check.policy';

export const weekStartSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
  }, 'is not a real calendar date')
  .refine((s) => isWeekStart(s), 'must be a Monday: report weeks start on Monday (UTC)');

export const listReportsSchema = z.strictObject({
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be 1 to 104').max(104, 'must be 1 to 104').optional(),
});

export const carrierNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, 'must be 1–64 letters, digits, spaces, ".", "_" or "-"');
export const trackingNumberSchema = z.string().regex(/^[A-Za-z0-9-]{4,40}$/, 'must be 4–40 letters, digits or "-"');

const instant = instantOf();

export const simulatedTrackingSchema = z.strictObject({
  status: z.enum(TRACKING_STATUSES, { error: `must be one of ${TRACKING_STATUSES.join(', ')}` }),
  lastUpdateAt: instant.optional(),
  firstScanAt: instant.optional(),
});
