/**
 * Payouts: a refund decided on an order's claim is paid to the buyer through the payment adapter.
 * The adapter may take days (a bank transfer); while it answers `pending` the activity fails with a
 * retryable PayoutPending and Temporal asks again later with the same idempotency key, so a payout is
 * made once however often it is asked. A payout the adapter refuses is a non-retryable PayoutFailed.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { PaymentGateway } from '../adapters/payments';
import { PAYOUT_FAILED, PAYOUT_PENDING } from '../workflows/order.messages';

export { PAYOUT_FAILED, PAYOUT_PENDING };

export interface RefundPayout {
  /** Idempotency key: the order's workflow id, the claim and the step. */
  key: string;
  orderId: string;
  claimId: string;
  buyerId: string;
  amount: number;
  currency: string;
}

export function createPayoutActivities({ payments }: { payments: PaymentGateway }) {
  return {
    /** Pays a decided refund to the buyer; resolves once the adapter says it is paid. */
    async payRefundToBuyer(r: RefundPayout): Promise<{ payoutId: string }> {
      const result = await payments.payout({
        idempotencyKey: r.key,
        partyId: r.buyerId,
        amount: r.amount,
        currency: r.currency,
        reference: `refund, order ${r.orderId}, claim ${r.claimId}`,
      });
      if (result.status === 'paid') return { payoutId: result.payoutId };
      if (result.status === 'pending') {
        throw ApplicationFailure.retryable(`payout ${result.payoutId} of the refund on claim ${r.claimId} is still pending at the payment adapter`, PAYOUT_PENDING);
      }
      throw ApplicationFailure.nonRetryable(`the payment adapter refused the refund payout on claim ${r.claimId}: ${result.reason ?? 'no reason given'}`, PAYOUT_FAILED);
    },
  };
}
