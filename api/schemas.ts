/**
 * Request shapes. They check types and formats only; business rules live in the workflows and
 * their policy modules.
 */
import { z } from 'zod';
import { SAFE_TEXT, unsafeTextReason } from '../infra/text';
import { calendarIds } from '../workflows/calendar';
import { CLAIM_CAUSES } from '../workflows/order.messages';
import { ROLES } from './keys';

const MAX_MINOR_UNITS = Number.MAX_SAFE_INTEGER;

export const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$/, 'must be 2–64 letters, digits, "-" or "_", starting with a letter or digit');

const minorUnits = z
  .number({ error: 'must be an integer number of minor units (e.g. cents)' })
  .int('must be an integer number of minor units (e.g. cents)')
  .max(MAX_MINOR_UNITS, 'is too large');

export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
  }, 'is not a real calendar date');

/**
 * An ISO 8601 instant the database can store and a person could mean: from 1970 to 9999 (PostgreSQL
 * has no year 0, which JavaScript dates accept).
 */
export const instant = (error = 'must be an ISO 8601 date-time such as 2026-12-01T12:00:00Z') =>
  z.iso
    .datetime({ offset: true, error })
    .refine((s) => {
      // Not a date at all is the format's refusal; this one speaks only of the range.
      const ms = Date.parse(s);
      return Number.isNaN(ms) || (ms >= Date.UTC(1970, 0, 1) && ms < Date.UTC(10000, 0, 1));
    }, 'must be between 1970 and 9999');

/** A character a reader sees: not white space, not a format character (zero-width, BOM, soft hyphen) nor a control one. */
const VISIBLE = /[^\s\p{Cf}\p{Cc}]/u;

/**
 * Free text: safe text (infra/text.ts: well-formed Unicode, no control characters but newline and
 * tab, no bidirectional overrides), then trimmed, not empty (at least one visible character) and
 * bounded. The characters are checked as sent, before trimming, so the document's `pattern` says
 * exactly what is refused.
 */
export const text = (max: number) =>
  z
    .string()
    .regex(SAFE_TEXT, { error: (issue) => unsafeTextReason(String(issue.input)) ?? 'must be well-formed Unicode text' })
    .trim()
    .min(1, 'must not be empty')
    .refine((s) => s === '' || VISIBLE.test(s), 'must not be empty: it has no visible character')
    .max(max, `must be at most ${max} characters`);

/** A purchase order's terms: what a draft and a revision of it give. */
const orderTermsShape = {
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD'),
  items: z
    .array(
      z.strictObject({
        sku: text(64),
        description: text(500),
        quantity: z.number().int('must be a whole number').positive('must be positive').max(10_000_000, 'is too large'),
        unitPrice: minorUnits.nonnegative('must not be negative'),
      }),
    )
    .min(1, 'needs at least one item')
    .max(1000, 'at most 1000 items'),
  depositAmount: minorUnits.positive('must be positive'),
  shippingDate: isoDate,
  qualityRequirements: text(2000).optional(),
  shippingMarks: text(500).optional(),
  packaging: text(500).optional(),
};

export const createOrderSchema = z.strictObject({
  orderId: idSchema.optional(),
  buyerId: idSchema,
  supplierId: idSchema.optional(),
  /** The buyer's open purchase order request the supplier drafts from (required of a supplier). */
  requestId: idSchema.optional(),
  ...orderTermsShape,
});

/** The supplier's revision of a draft: its new terms, and what they change. */
export const reviseDraftSchema = z.strictObject({ ...orderTermsShape, message: text(2000).optional() });

/** Either party's request for changes to a draft. */
export const requestChangesSchema = z.strictObject({ message: text(2000) });

export const emptyActionSchema = z.strictObject({});

/** A party's confirmation of the draft, naming (optionally) the draft revision whose terms it read. */
export const confirmSchema = z.strictObject({
  draftRevision: z
    .number()
    .int('must be a whole number')
    .positive('must be positive')
    .max(1_000, 'is too large')
    .optional()
    .describe("the order's draftRevision whose terms you confirm; refused with 409 if the supplier has revised the draft since. Without it, the terms as they are when the confirmation arrives are confirmed"),
});

export const paymentSchema = z.strictObject({
  kind: z.enum(['deposit', 'balance'], { error: 'must be "deposit" or "balance"' }),
  amount: minorUnits.positive('must be positive'),
  reference: text(128),
});

export const shipSchema = z.strictObject({
  carrier: text(64),
  trackingNumber: z.string().regex(/^[A-Za-z0-9-]{4,40}$/, 'must be 4–40 letters, digits or "-"'),
});

export const createPartySchema = z.strictObject({
  id: idSchema,
  kind: z.enum(['buyer', 'supplier', 'inspector'], { error: 'must be "buyer", "supplier" or "inspector"' }),
  name: text(200),
  email: z.email('must be an email address'),
});

export const createApiKeySchema = z.strictObject({
  name: text(100),
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
  partyId: idSchema.optional(),
  expiresAt: instant().optional().describe('when the key stops working; it never expires unless given'),
});

/** An API key's id, or "current": the key making the request. */
export const apiKeyParamsSchema = z.strictObject({
  keyId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$/, 'must be an API key id, or "current" for the key making the request'),
});

export const MAX_ROTATION_OVERLAP_SECONDS = 30 * 86_400;
export const DEFAULT_ROTATION_OVERLAP_SECONDS = 3_600;

export const rotateApiKeySchema = z.strictObject({
  overlapSeconds: z
    .number({ error: 'must be a whole number of seconds' })
    .int('must be a whole number of seconds')
    .min(0, 'must not be negative')
    .max(MAX_ROTATION_OVERLAP_SECONDS, `must be at most ${MAX_ROTATION_OVERLAP_SECONDS} (30 days)`)
    .optional()
    .describe(`how long the old key keeps working beside the new one; ${DEFAULT_ROTATION_OVERLAP_SECONDS} (an hour) unless given`),
  expiresAt: instant().optional().describe('when the new key stops working; it never expires unless given'),
});

export const API_KEY_STATUSES = ['active', 'expiring', 'expired', 'revoked'] as const;

export const listApiKeysSchema = z.strictObject({
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }).optional(),
  partyId: idSchema.optional(),
  status: z.enum(API_KEY_STATUSES, { error: `must be one of ${API_KEY_STATUSES.join(', ')}` }).optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be 1 to 500').max(500, 'must be 1 to 500').optional(),
});

export const cancelSchema = z.strictObject({ reason: text(500) });

export const extendShippingSchema = z.strictObject({ shippingDate: isoDate });

export const extendReceivingSchema = z.strictObject({
  days: z.number().int('must be a whole number of days').positive('must be positive').max(365, 'is too large'),
});

export const openClaimSchema = z.strictObject({
  cause: z.enum(CLAIM_CAUSES, { error: `must be one of ${CLAIM_CAUSES.join(', ')}` }),
  refundAsked: minorUnits.positive('must be positive'),
  description: text(2000),
});

export const respondToClaimSchema = z
  .strictObject({
    kind: z.enum(['accept', 'counter', 'reject'], { error: 'must be "accept", "counter" or "reject"' }),
    counterAmount: minorUnits.positive('must be positive').optional(),
    message: text(2000),
  })
  .refine((b) => b.kind !== 'counter' || b.counterAmount !== undefined, { message: 'is required for a counter-offer', path: ['counterAmount'] });

export const decideClaimSchema = z.strictObject({
  refund: minorUnits.nonnegative('must not be negative'),
  reason: text(2000),
});

export const requestEvidenceSchema = z.strictObject({
  party: z.enum(['buyer', 'supplier'], { error: 'must be "buyer" or "supplier"' }),
  description: text(2000),
  dueAt: instant(),
});

export const feedbackSchema = z.strictObject({
  rating: z.number().int('must be a whole number').min(1, 'must be 1 to 5').max(5, 'must be 1 to 5'),
  comment: text(2000),
});

export const supplierAssuranceSchema = z.strictObject({
  qualification: z.enum(['unverified', 'verified', 'gold'], { error: 'must be "unverified", "verified" or "gold"' }),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD'),
  /** The working-day calendar the supplier works by; CN unless given. */
  calendar: z.enum(calendarIds() as [string, ...string[]], { error: `must be one of ${calendarIds().join(', ')}` }).optional(),
});

export const listOrdersSchema = z.strictObject({
  status: z.string().regex(/^[A-Z_]{3,30}$/, 'must be an order status such as PAID').optional(),
  buyerId: idSchema.optional(),
  supplierId: idSchema.optional(),
  deadlineBefore: instant('must be an ISO 8601 date-time').optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be 1 to 200').max(200, 'must be 1 to 200').optional(),
  offset: z.coerce.number().int('must be a whole number').min(0, 'must not be negative').optional(),
});

/** Evidence files: what may be uploaded and how large. */
export const EVIDENCE_TYPES = ['image/jpeg', 'image/png', 'application/pdf', 'video/mp4'] as const;
export const EVIDENCE_MAX_BYTES = 10 * 1024 * 1024;

export const claimIdSchema = z.string().regex(/^C\d{1,4}$/, 'must be a claim id such as C1');
export const evidenceNameSchema = z
  .string()
  .regex(/^[\p{L}\p{N} ._()-]{1,120}$/u, 'must be 1–120 letters, digits, spaces, ".", "_", "-" or parentheses');
/** Stored files are content-addressed: the id is the SHA-256 of the bytes. */
export const fileIdSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a file id: 64 hexadecimal digits');

/** Path parameters. */
export const partyParamsSchema = z.strictObject({ partyId: idSchema });
export const supplierParamsSchema = z.strictObject({ supplierId: idSchema });
export const orderParamsSchema = z.strictObject({ orderId: idSchema });
export const claimParamsSchema = z.strictObject({ orderId: idSchema, claimId: claimIdSchema });
export const evidenceFileParamsSchema = z.strictObject({ orderId: idSchema, claimId: claimIdSchema, fileId: fileIdSchema });

/** Query of an evidence upload: the file's name beside the raw body. */
export const evidenceUploadQuerySchema = z.object({ name: evidenceNameSchema.default('evidence') });
