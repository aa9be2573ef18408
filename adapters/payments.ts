/**
 * Card payments for paid services (the monitoring fee). The embedded default is a sandbox gateway
 * with documented test cards that works with no account anywhere; `StripeGateway` is the production
 * adapter behind the same interface. Every charge and refund carries an idempotency key derived from
 * the business ID and step, so a retried call never charges or refunds twice.
 *
 * Card data passes through this adapter only: callers keep the brand and last four digits.
 */
import { createHash } from 'node:crypto';

export interface CardDetails {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

export interface ChargeRequest {
  idempotencyKey: string;
  /** Minor units. */
  amount: number;
  currency: string;
  card: CardDetails;
  description?: string;
}

export type ChargeStatus = 'succeeded' | 'declined' | 'error';

export interface ChargeResult {
  paymentId: string;
  /** Lower-case brand as detected by the gateway (visa, mastercard, amex…). */
  brand: string;
  last4: string;
  status: ChargeStatus;
  /** Why a charge was declined or failed, in words a buyer can act on. */
  reason?: string;
}

export interface RefundRequest {
  idempotencyKey: string;
  paymentId: string;
  amount: number;
}

export interface RefundResult {
  refundId: string;
  status: 'succeeded' | 'failed';
  reason?: string;
}

/** Money paid out to a party's bank account: a refund decided on an order's claim, paid to the buyer. */
export interface PayoutRequest {
  idempotencyKey: string;
  /** The party paid (the buyer). */
  partyId: string;
  /** Minor units. */
  amount: number;
  currency: string;
  /** What the party sees on its statement, e.g. "refund, order PO-1, claim C1". */
  reference: string;
}

export interface PayoutResult {
  payoutId: string;
  /** `pending`: accepted, not completed yet (ask again with the same key); `failed`: refused for good. */
  status: 'paid' | 'pending' | 'failed';
  reason?: string;
}

export interface PaymentGateway {
  /** Where payments go, for logs: "sandbox" or "stripe". */
  readonly describe: string;
  charge(req: ChargeRequest): Promise<ChargeResult>;
  refund(req: RefundRequest): Promise<RefundResult>;
  /** Pays a party; asked again with the same key, it answers for the same payout. */
  payout(req: PayoutRequest): Promise<PayoutResult>;
}

function brandOf(number: string): string {
  if (/^4/.test(number)) return 'visa';
  const four = Number(number.slice(0, 4));
  const two = Number(number.slice(0, 2));
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  return 'unknown';
}

/**
 * The sandbox's test cards (any future expiry, any 3-digit CVC):
 *
 * | number              | brand      | result                                   |
 * |---------------------|------------|------------------------------------------|
 * | 4242424242424242    | Visa       | succeeds                                 |
 * | 5555555555554444    | MasterCard | succeeds                                 |
 * | 4000000000000002    | Visa       | declined (card_declined)                 |
 * | 4000000000000119    | Visa       | processing error (retry later)           |
 *
 * Any other number with a valid check digit succeeds. State is in memory: idempotency keys and
 * refunds are remembered for the life of the process. Payment ids are self-describing
 * (`sbx_ch_<hash>_<amount>`), so a worker process can refund a charge the API process made.
 */
export class SandboxCardGateway implements PaymentGateway {
  readonly describe = 'sandbox';
  private readonly charges = new Map<string, ChargeResult>();
  private readonly refunds = new Map<string, RefundResult>();
  private readonly refunded = new Map<string, number>();

  static readonly TEST_CARDS = {
    visaSuccess: '4242424242424242',
    mastercardSuccess: '5555555555554444',
    declined: '4000000000000002',
    processingError: '4000000000000119',
  } as const;

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    const seen = this.charges.get(req.idempotencyKey);
    if (seen) return seen;
    const number = req.card.number.replace(/[\s-]/g, '');
    const brand = brandOf(number);
    const last4 = number.slice(-4);
    const digest = createHash('sha256').update(req.idempotencyKey).digest('hex').slice(0, 16);
    const paymentId = `sbx_ch_${digest}_${req.amount}`;
    if (number === SandboxCardGateway.TEST_CARDS.processingError) {
      // Not remembered: a processing error may be retried with the same key, as with a real gateway.
      return { paymentId, brand, last4, status: 'error', reason: 'the card processor had an error; retry shortly' };
    }
    const result: ChargeResult =
      number === SandboxCardGateway.TEST_CARDS.declined
        ? { paymentId, brand, last4, status: 'declined', reason: 'the card was declined by its issuer; use another card' }
        : { paymentId, brand, last4, status: 'succeeded' };
    this.charges.set(req.idempotencyKey, result);
    return result;
  }

  /** How much of a charge has been refunded so far (minor units). */
  refundedAmount(paymentId: string): number {
    return this.refunded.get(paymentId) ?? 0;
  }

  private readonly payouts = new Map<string, PayoutResult>();

  /** Payouts complete at once; each key is one payout. */
  async payout(req: PayoutRequest): Promise<PayoutResult> {
    const seen = this.payouts.get(req.idempotencyKey);
    if (seen) return seen;
    const result: PayoutResult = { payoutId: `sbx_po_${createHash('sha256').update(req.idempotencyKey).digest('hex').slice(0, 16)}`, status: 'paid' };
    this.payouts.set(req.idempotencyKey, result);
    return result;
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    const seen = this.refunds.get(req.idempotencyKey);
    if (seen) return seen;
    const match = /^sbx_ch_[0-9a-f]{16}_(\d+)$/.exec(req.paymentId);
    const refundId = `sbx_re_${createHash('sha256').update(req.idempotencyKey).digest('hex').slice(0, 16)}`;
    let result: RefundResult;
    if (!match) {
      result = { refundId, status: 'failed', reason: `unknown payment ${req.paymentId}` };
    } else if ((this.refunded.get(req.paymentId) ?? 0) + req.amount > Number(match[1])) {
      result = { refundId, status: 'failed', reason: 'refunds would exceed the amount charged' };
    } else {
      this.refunded.set(req.paymentId, (this.refunded.get(req.paymentId) ?? 0) + req.amount);
      result = { refundId, status: 'succeeded' };
    }
    this.refunds.set(req.idempotencyKey, result);
    return result;
  }
}

/**
 * Production adapter: Stripe's REST API over fetch, with Stripe's `Idempotency-Key` header (no SDK
 * dependency). NOT exercised by the test suite: it needs a Stripe account. In production raw card
 * numbers should not reach this server (PCI scope): a client-side Stripe Elements token would replace
 * `card`, and `payment_method_data` below would become `payment_method: <token>`.
 */
export class StripeGateway implements PaymentGateway {
  readonly describe = 'stripe';

  constructor(
    private readonly secretKey: string,
    private readonly baseUrl = 'https://api.stripe.com',
  ) {}

  private async post(path: string, idempotencyKey: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.secretKey}`,
        'content-type': 'application/x-www-form-urlencoded',
        'idempotency-key': idempotencyKey,
      },
      body: new URLSearchParams(form).toString(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    const { status, body } = await this.post('/v1/payment_intents', req.idempotencyKey, {
      amount: String(req.amount),
      currency: req.currency.toLowerCase(),
      confirm: 'true',
      'payment_method_data[type]': 'card',
      'payment_method_data[card][number]': req.card.number,
      'payment_method_data[card][exp_month]': String(req.card.expMonth),
      'payment_method_data[card][exp_year]': String(req.card.expYear),
      'payment_method_data[card][cvc]': req.card.cvc,
      ...(req.description ? { description: req.description } : {}),
      'expand[]': 'latest_charge',
    });
    const last4 = req.card.number.replace(/\D/g, '').slice(-4);
    const charge = (body.latest_charge ?? {}) as { payment_method_details?: { card?: { brand?: string; last4?: string } } };
    const card = charge.payment_method_details?.card;
    const error = body.error as { code?: string; message?: string; payment_intent?: { id?: string } } | undefined;
    if (error) {
      return {
        paymentId: error.payment_intent?.id ?? '',
        brand: card?.brand ?? brandOf(req.card.number),
        last4,
        status: status === 402 ? 'declined' : 'error',
        reason: error.message ?? error.code,
      };
    }
    return {
      paymentId: String(body.id),
      brand: card?.brand ?? brandOf(req.card.number),
      last4: card?.last4 ?? last4,
      status: body.status === 'succeeded' ? 'succeeded' : 'error',
      reason: body.status === 'succeeded' ? undefined : `payment is ${String(body.status)}`,
    };
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    const { status, body } = await this.post('/v1/refunds', req.idempotencyKey, { payment_intent: req.paymentId, amount: String(req.amount) });
    if (status >= 500) throw new Error(`Stripe refund failed with HTTP ${status}; retrying`);
    const error = body.error as { message?: string } | undefined;
    if (error) return { refundId: '', status: 'failed', reason: error.message };
    return { refundId: String(body.id), status: body.status === 'failed' ? 'failed' : 'succeeded' };
  }

  /**
   * Buyers are paid order refunds by bank transfer, which this account does not make: Stripe pays
   * out to the platform's own bank account, or to connected accounts buyers do not have. The payout
   * is refused, so the order puts it on the ops late-task queue at once and ops pays it by hand.
   */
  async payout(req: PayoutRequest): Promise<PayoutResult> {
    return { payoutId: '', status: 'failed', reason: `refund payouts to buyers are not made through Stripe: pay ${req.amount} ${req.currency} (${req.reference}) by bank transfer` };
  }
}

/** The production adapter when STRIPE_SECRET_KEY is set, otherwise the sandbox. */
export function paymentGatewayFromEnv(env: NodeJS.ProcessEnv = process.env): PaymentGateway {
  return env.STRIPE_SECRET_KEY ? new StripeGateway(env.STRIPE_SECRET_KEY) : new SandboxCardGateway();
}
