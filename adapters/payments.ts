/**
 * Card payments for paid services (the monitoring fee). The embedded default is a sandbox gateway
 * with documented test cards that works with no account anywhere; `StripeGateway` is the production
 * adapter behind the same interface. Every charge and refund carries an idempotency key derived from
 * the business ID and step, so a retried call never charges or refunds twice.
 *
 * A card is paid with in two steps, as Stripe's PaymentMethod flow does: the API hands the card to
 * `tokenize` and keeps only the token, the brand and the last four digits; the workflow then charges
 * the token in an activity. Card data passes through `tokenize` only.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';

export interface CardDetails {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

/** A card the gateway holds for us: what may be stored and sent around instead of the card. */
export interface CardToken {
  /** The gateway's reference to the card (a Stripe PaymentMethod id, `pm_…`). */
  token: string;
  /** Lower-case brand as detected by the gateway (visa, mastercard, amex…). */
  brand: string;
  last4: string;
}

export interface TokenizedCard extends CardToken {
  status: 'succeeded';
}

export type TokenizeResult = TokenizedCard | { status: 'declined' | 'error'; reason: string };

export interface ChargeRequest {
  idempotencyKey: string;
  /** Minor units. */
  amount: number;
  currency: string;
  /** A token from `tokenize`. */
  paymentMethod: string;
  description?: string;
}

/**
 * `error`: the processor refused the request and took nothing (it may be tried again). `unknown`:
 * no answer (a network failure, a 5xx): the charge may have been taken, and only the same request
 * again (the same idempotency key) can say.
 */
export type ChargeStatus = 'succeeded' | 'declined' | 'error' | 'unknown';

export interface ChargeResult {
  paymentId: string;
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
  /** Hands the card to the gateway; nothing is charged. */
  tokenize(card: CardDetails): Promise<TokenizeResult>;
  /** Charges a token; asked again with the same key, it answers for the same charge. */
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
 * | 4000000000000341    | Visa       | charged, but the first 4 answers are lost |
 *
 * Any other number with a valid check digit succeeds. State is in memory: idempotency keys and
 * refunds are remembered for the life of the process. Tokens and payment ids are self-describing
 * (`sbx_pm_<outcome>_<brand>_<last4>_<mac>`, `sbx_ch_<hash>_<amount>`), so the worker process can
 * charge a token the API process made and refund the charge. A token's mac is keyed by a secret of
 * the gateway's, so the token says nothing of the card number.
 *
 * With a journal file (`SANDBOX_PAYMENTS_JOURNAL`), every charge and refund asked for is appended to
 * it as a line of JSON, so a test can count charges made by several processes.
 */
export class SandboxCardGateway implements PaymentGateway {
  readonly describe = 'sandbox';
  private readonly charges = new Map<string, ChargeResult>();
  private readonly refunds = new Map<string, RefundResult>();
  private readonly refunded = new Map<string, number>();
  private readonly secret = randomBytes(32);

  constructor(private readonly journal?: string) {}

  static readonly TEST_CARDS = {
    visaSuccess: '4242424242424242',
    mastercardSuccess: '5555555555554444',
    declined: '4000000000000002',
    processingError: '4000000000000119',
    /** The charge is taken, but the answers to the first LOST_ANSWERS requests with its key never arrive (`unknown`). */
    answerLost: '4000000000000341',
  } as const;

  /** How many answers of an `answerLost` card's charge are lost: as many as one charge activity's tries. */
  static readonly LOST_ANSWERS = 4;
  private readonly lostAnswers = new Map<string, number>();

  async tokenize(card: CardDetails): Promise<TokenizeResult> {
    const number = card.number.replace(/[\s-]/g, '');
    const cards = SandboxCardGateway.TEST_CARDS;
    const outcome = number === cards.declined ? 'declined' : number === cards.processingError ? 'error' : number === cards.answerLost ? 'lost' : 'ok';
    const brand = brandOf(number);
    const last4 = number.slice(-4);
    const mac = createHmac('sha256', this.secret).update(`${number}|${card.expMonth}|${card.expYear}`).digest('hex').slice(0, 16);
    return { status: 'succeeded', token: `sbx_pm_${outcome}_${brand}_${last4}_${mac}`, brand, last4 };
  }

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    const seen = this.charges.get(req.idempotencyKey);
    const lost = this.lostAnswers.get(req.idempotencyKey) ?? 0;
    if (seen && lost > 0) {
      // Taken on the first request; this answer never reaches the caller.
      this.lostAnswers.set(req.idempotencyKey, lost - 1);
      return this.note<ChargeResult>('charge', req.idempotencyKey, { paymentId: '', status: 'unknown', reason: 'the card processor did not answer' });
    }
    if (seen) return this.note('charge', req.idempotencyKey, seen);
    const digest = createHash('sha256').update(req.idempotencyKey).digest('hex').slice(0, 16);
    const paymentId = `sbx_ch_${digest}_${req.amount}`;
    const outcome = /^sbx_pm_(ok|declined|error|lost)_[a-z]+_\d{4}_[0-9a-f]{16}$/.exec(req.paymentMethod)?.[1];
    if (outcome === 'lost') {
      this.charges.set(req.idempotencyKey, { paymentId, status: 'succeeded' });
      this.lostAnswers.set(req.idempotencyKey, SandboxCardGateway.LOST_ANSWERS - 1);
      return this.note<ChargeResult>('charge', req.idempotencyKey, { paymentId: '', status: 'unknown', reason: 'the card processor did not answer' });
    }
    if (outcome === 'error') {
      // Not remembered: a processing error may be retried with the same key, as with a real gateway.
      const failed: ChargeResult = { paymentId, status: 'error', reason: 'the card processor had an error; retry shortly' };
      return this.note('charge', req.idempotencyKey, failed);
    }
    const result: ChargeResult =
      outcome === 'ok'
        ? { paymentId, status: 'succeeded' }
        : { paymentId, status: 'declined', reason: outcome === 'declined' ? 'the card was declined by its issuer; use another card' : 'the card is not known to the gateway; enter it again' };
    this.charges.set(req.idempotencyKey, result);
    return this.note('charge', req.idempotencyKey, result);
  }

  private note<T extends { status: string }>(kind: 'charge' | 'refund', idempotencyKey: string, result: T): T {
    if (this.journal) fs.appendFileSync(this.journal, `${JSON.stringify({ kind, idempotencyKey, status: result.status })}\n`);
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
    if (seen) return this.note('refund', req.idempotencyKey, seen);
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
    return this.note('refund', req.idempotencyKey, result);
  }
}

/**
 * Production adapter: Stripe's REST API over fetch, with Stripe's `Idempotency-Key` header (no SDK
 * dependency). NOT exercised by the test suite: it needs a Stripe account. `tokenize` creates a
 * PaymentMethod from the card; a deployment that keeps card numbers off its servers (PCI scope)
 * creates it in the browser with Stripe Elements instead and sends its id, and `charge` stays the same.
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

  async tokenize(card: CardDetails): Promise<TokenizeResult> {
    const { status, body } = await this.post('/v1/payment_methods', `pm:${randomBytes(16).toString('hex')}`, {
      type: 'card',
      'card[number]': card.number.replace(/[\s-]/g, ''),
      'card[exp_month]': String(card.expMonth),
      'card[exp_year]': String(card.expYear),
      'card[cvc]': card.cvc,
    });
    const error = body.error as { code?: string; message?: string } | undefined;
    if (error) return { status: status === 402 || status === 400 ? 'declined' : 'error', reason: error.message ?? error.code ?? `HTTP ${status}` };
    const details = (body.card ?? {}) as { brand?: string; last4?: string };
    return { status: 'succeeded', token: String(body.id), brand: details.brand ?? brandOf(card.number), last4: details.last4 ?? card.number.replace(/\D/g, '').slice(-4) };
  }

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    let answer: { status: number; body: Record<string, unknown> };
    try {
      answer = await this.post('/v1/payment_intents', req.idempotencyKey, {
      amount: String(req.amount),
      currency: req.currency.toLowerCase(),
      confirm: 'true',
      payment_method: req.paymentMethod,
      'payment_method_types[]': 'card',
      ...(req.description ? { description: req.description } : {}),
      });
    } catch (err) {
      // The request may have reached Stripe and been charged: only the same key again can tell.
      return { paymentId: '', status: 'unknown', reason: `no answer from Stripe (${(err as Error).message})` };
    }
    const { status, body } = answer;
    const error = body.error as { code?: string; message?: string; payment_intent?: { id?: string } } | undefined;
    if (status >= 500) return { paymentId: error?.payment_intent?.id ?? '', status: 'unknown', reason: error?.message ?? `Stripe answered HTTP ${status}` };
    if (error) {
      return { paymentId: error.payment_intent?.id ?? '', status: status === 402 ? 'declined' : 'error', reason: error.message ?? error.code };
    }
    return {
      paymentId: String(body.id),
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
  return env.STRIPE_SECRET_KEY ? new StripeGateway(env.STRIPE_SECRET_KEY) : new SandboxCardGateway(env.SANDBOX_PAYMENTS_JOURNAL || undefined);
}
