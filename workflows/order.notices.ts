/**
 * What an order's emails say: the subject and text of each notice to its parties, and of each page
 * to ops, change by change. Pure; the order workflow decides who is told, and when. The subject is
 * prefixed with the order's tag when the email is written.
 */
import { formatMoney } from './money';

export interface NoticeText {
  subject: string;
  text: string;
}

export type OrderNotices = ReturnType<typeof orderNotices>;

export function orderNotices(orderId: string, currency: string) {
  const money = (amount: number) => formatMoney(amount, currency);
  return {
    drafted: (p: { supplierId: string; requestId?: string; total: number; deposit: number; shippingDate: string }): NoticeText => ({
      subject: 'new purchase order to confirm',
      text: `Supplier ${p.supplierId} drafted purchase order ${orderId}${p.requestId ? ` from your request ${p.requestId}` : ''} for ${money(p.total)} (deposit ${money(p.deposit)}, shipping by ${p.shippingDate}). Please review and confirm it, or ask for changes.`,
    }),

    draftExpired: (days: number): NoticeText => ({
      subject: 'purchase order expired unconfirmed',
      text: `Purchase order ${orderId} expired: it was not confirmed by both parties within ${days} days.`,
    }),

    buyerConfirmed: (total: number): NoticeText => ({
      subject: 'buyer confirmed the purchase order',
      text: `The buyer confirmed purchase order ${orderId} (${money(total)}). Please confirm it to accept all terms.`,
    }),

    confirmed: (p: { deposit: number; depositDueDays: number; covered: number }): NoticeText => ({
      subject: 'purchase order confirmed: deposit due',
      text:
        `Purchase order ${orderId} is confirmed. The deposit of ${money(p.deposit)} is due within ${p.depositDueDays} days; it is held in escrow until receipt is confirmed. ` +
        `Trade Assurance covers ${money(p.covered)} of this order.` +
        (p.deposit > p.covered ? ` Note: the deposit exceeds the covered amount by ${money(p.deposit - p.covered)}; only ${money(p.covered)} is protected.` : ''),
    }),

    changesRequested: (p: { by: string; revision: number; message: string; voided: boolean }): NoticeText => ({
      subject: `changes requested to purchase order ${orderId}`,
      text:
        `The ${p.by} asked for changes to purchase order ${orderId} (revision ${p.revision}): ${p.message}. ` +
        `The supplier revises the draft; then both parties confirm it again.${p.voided ? " The buyer's earlier confirmation no longer counts." : ''}`,
    }),

    revised: (p: { supplierId: string; revision: number; total: number; previousTotal: number; deposit: number; shippingDate: string; message?: string }): NoticeText => ({
      subject: `purchase order revised (revision ${p.revision}): please review and confirm`,
      text:
        `Supplier ${p.supplierId} revised purchase order ${orderId} (revision ${p.revision}): ${money(p.total)} (was ${money(p.previousTotal)}), ` +
        `deposit ${money(p.deposit)}, shipping by ${p.shippingDate}${p.message ? `. ${p.message}` : ''}. ` +
        `Earlier confirmations no longer count: please review and confirm it; the supplier confirms after you.`,
    }),

    paid: (p: { kind: 'deposit' | 'balance'; amount: number; fullyPaid: boolean; shippingDate: string; balance: number }): NoticeText => ({
      subject: `${p.kind} of ${money(p.amount)} received and held in escrow`,
      text: p.fullyPaid
        ? `Payment of ${money(p.amount)} for order ${orderId} is held in escrow. The order is fully paid; the supplier may ship by ${p.shippingDate}.`
        : `The deposit of ${money(p.amount)} for order ${orderId} is held in escrow. The balance of ${money(p.balance)} is due before shipment.`,
    }),

    shippingReminder: (p: { shippingDate: string | undefined; balanceUnpaid: boolean }): NoticeText => ({
      subject: `reminder: ship by ${p.shippingDate}`,
      text: `Order ${orderId} must ship by ${p.shippingDate}.${p.balanceUnpaid ? ' The buyer has not paid the balance yet.' : ''}`,
    }),

    shipmentLate: (shippingDate: string | undefined): NoticeText => ({
      subject: 'shipment is late',
      text: `Order ${orderId} did not ship by ${shippingDate}. The buyer may grant an extension or open a late-shipment claim.`,
    }),

    shipped: (p: { carrier: string; trackingNumber: string }): NoticeText => ({
      subject: 'your order has shipped',
      text: `Order ${orderId} shipped with ${p.carrier}; tracking number ${p.trackingNumber}.`,
    }),

    shippedLate: (shippingDate: string | undefined): NoticeText => ({
      subject: 'shipment was late',
      text: `Order ${orderId} shipped after the agreed date ${shippingDate}; you may open a late-shipment claim.`,
    }),

    delivered: (receivingWindowEndsAt: string | undefined): NoticeText => ({
      subject: 'delivered: please confirm receipt',
      text: `Order ${orderId} was delivered. Buyer: please inspect the goods and confirm receipt by ${receivingWindowEndsAt}, or open a claim; after that receipt is confirmed automatically and the supplier is paid from escrow.`,
    }),

    receiptConfirmed: (p: { automatic: boolean; held: number }): NoticeText => ({
      subject: p.automatic ? 'receipt confirmed automatically' : 'buyer confirmed receipt',
      text: `Receipt of order ${orderId} is confirmed${p.automatic ? ' automatically at the end of the receiving window' : ' by the buyer'}. Held funds of ${money(p.held)} are being released to the supplier.`,
    }),

    completed: (released: number): NoticeText => ({
      subject: 'order completed: funds released to the supplier',
      text: `Order ${orderId} is complete. ${money(released)} was released from escrow to the supplier.`,
    }),

    cancelled: (p: { reason: string; refunded?: number }): NoticeText => ({
      subject: 'order cancelled',
      text: `Order ${orderId} is cancelled: ${p.reason}.${p.refunded !== undefined ? ` ${money(p.refunded)} held in escrow is refunded to the buyer.` : ''}`,
    }),

    settled: (p: { claimId: string | undefined; released: number }): NoticeText => ({
      subject: 'order settled',
      text: `Order ${orderId} is settled after the refund on claim ${p.claimId}. ${money(p.released)} held in escrow is released to the supplier.`,
    }),

    claimSettledAtOnce: (p: { claimId: string; refund: number; released: number; reason: string }): NoticeText => ({
      subject: `claim ${p.claimId} decided: refund of ${money(p.refund)}`,
      text: `Claim ${p.claimId} on order ${orderId}: ${money(p.refund)} is refunded to the buyer (${p.reason}); ${money(p.released)} is released to the supplier.`,
    }),

    refundPaid: (p: { claimId: string; amount: number; payoutId: string }): NoticeText => ({
      subject: `refund of ${money(p.amount)} paid`,
      text: `The refund of ${money(p.amount)} decided on claim ${p.claimId} (order ${orderId}) has been paid to you (payout ${p.payoutId}).`,
    }),

    /** To ops leads. */
    refundPaymentFailed: (p: { claimId: string; amount: number; buyerId: string; failure: string; dueAt: string }): NoticeText => ({
      subject: `FAILED: refund on claim ${p.claimId} not paid`,
      text: `The payment adapter refused to pay the refund of ${money(p.amount)} on claim ${p.claimId} (order ${orderId}) to buyer ${p.buyerId}: ${p.failure}. Pay it by hand by ${p.dueAt}.`,
    }),

    /** To ops leads. */
    refundPaymentLate: (p: { claimId: string; amount: number; decidedAt: string; dueAt: string }): NoticeText => ({
      subject: `LATE: refund on claim ${p.claimId} not paid`,
      text: `The refund of ${money(p.amount)} decided on claim ${p.claimId} (order ${orderId}) on ${p.decidedAt} was due to the buyer by ${p.dueAt}; the payment adapter has not completed it.`,
    }),

    shippingExtended: (p: { shippingDate: string; previous: string | undefined }): NoticeText => ({
      subject: `shipping date extended to ${p.shippingDate}`,
      text: `The shipping date of order ${orderId} is now ${p.shippingDate} (was ${p.previous}).`,
    }),

    receivingExtended: (endsAt: string | undefined): NoticeText => ({
      subject: `receiving window extended to ${endsAt}`,
      text: `The receiving window of order ${orderId} now ends ${endsAt}.`,
    }),

    feedback: (p: { party: string; rating: number; comment: string }): NoticeText => ({
      subject: `the ${p.party} left feedback`,
      text: `The ${p.party} rated order ${orderId} ${p.rating}/5: ${p.comment}`,
    }),

    afterServiceRefund: (p: { caseId: string; amount: number; reason: string; fromSupplier: number }): NoticeText => ({
      subject: `after-service refund of ${money(p.amount)}`,
      text: `After-service case ${p.caseId} on order ${orderId} refunded ${money(p.amount)} to the buyer: ${p.reason}.${p.fromSupplier > 0 ? ` ${money(p.fromSupplier)} is recovered from your payable.` : ''}`,
    }),

    // ---- claims ---------------------------------------------------------------------------------
    claimOpened: (p: { claimId: string; cause: string; refundAsked: number; description: string; responseDays: number }): NoticeText => ({
      subject: `claim ${p.claimId} opened: ${p.cause.toLowerCase().replace(/_/g, ' ')}`,
      text: `The buyer opened claim ${p.claimId} on order ${orderId} (${p.cause}), asking a refund of ${money(p.refundAsked)}: ${p.description}. Supplier: accept, counter-offer or reject within ${p.responseDays} days.`,
    }),

    claimAnswered: (p: { claimId: string; kind: 'counter' | 'reject'; counterAmount: number; message: string; escalationFrom: string }): NoticeText => ({
      subject: p.kind === 'counter' ? `claim ${p.claimId}: counter-offer of ${money(p.counterAmount)}` : `claim ${p.claimId}: rejected by the supplier`,
      text: `On claim ${p.claimId} (order ${orderId}) the supplier ${p.kind === 'counter' ? `offers ${money(p.counterAmount)}` : 'rejects the claim'}: ${p.message}. You may ${p.kind === 'counter' ? 'accept the offer or ' : ''}escalate to the platform from ${p.escalationFrom}.`,
    }),

    claimNotAnswered: (p: { claimId: string; responseDays: number; escalationFromDay: number; autoEscalationDay: number }): NoticeText => ({
      subject: `claim ${p.claimId}: the supplier has not answered`,
      text: `The supplier did not answer claim ${p.claimId} within ${p.responseDays} days. The buyer may escalate it from day ${p.escalationFromDay}; it escalates by itself on day ${p.autoEscalationDay}.`,
    }),

    claimEscalated: (p: { claimId: string; decideBy: string }): NoticeText => ({
      subject: `claim ${p.claimId} escalated to the platform`,
      text: `Claim ${p.claimId} on order ${orderId} was escalated; the platform decides by ${p.decideBy}.`,
    }),

    /** To ops. */
    claimToDecide: (p: { claimId: string; cause: string; refundAsked: number; decideBy: string }): NoticeText => ({
      subject: `claim ${p.claimId} escalated: decide by ${p.decideBy}`,
      text: `Claim ${p.claimId} (${p.cause}, refund asked ${money(p.refundAsked)}) on order ${orderId} needs a decision by ${p.decideBy}.`,
    }),

    /** To ops. */
    claimDecisionReminder: (claimId: string): NoticeText => ({
      subject: `reminder: decide claim ${claimId}`,
      text: `Claim ${claimId} on order ${orderId} awaits a decision.`,
    }),

    /** To ops leads. */
    claimDecisionOverdue: (p: { claimId: string; dueAt: string }): NoticeText => ({
      subject: `OVERDUE: claim ${p.claimId} decision`,
      text: `The decision on claim ${p.claimId} (order ${orderId}) was due ${p.dueAt} and is overdue.`,
    }),

    claimRefunded: (p: { claimId: string; refund: number; reason: string; capped?: string; paidBy?: string; paymentDays?: number; restHeld?: boolean }): NoticeText => ({
      subject: `claim ${p.claimId} decided: refund of ${money(p.refund)}`,
      text:
        `Claim ${p.claimId} on order ${orderId}: ${money(p.refund)} is refunded to the buyer (${p.reason})${p.capped ?? ''}.` +
        (p.paidBy ? ` It is paid to the buyer by ${p.paidBy} (${p.paymentDays} working days).` : '') +
        (p.restHeld ? ` The rest of the held funds stay in escrow until every open claim is closed.` : ''),
    }),

    claimClosedWithoutRefund: (p: { claimId: string; reason: string }): NoticeText => ({
      subject: `claim ${p.claimId} closed without a refund`,
      text: `Claim ${p.claimId} on order ${orderId} was closed without a refund: ${p.reason}.`,
    }),

    claimCancelledEvidenceMissing: (p: { claimId: string; dueAt: string }): NoticeText => ({
      subject: `claim ${p.claimId} cancelled: evidence missing`,
      text: `Claim ${p.claimId} on order ${orderId} is cancelled: the evidence requested from the buyer was due ${p.dueAt}.`,
    }),

    claimWithdrawn: (claimId: string): NoticeText => ({
      subject: `claim ${claimId} withdrawn`,
      text: `The buyer withdrew claim ${claimId} on order ${orderId}.`,
    }),

    evidenceRequested: (p: { claimId: string; description: string; dueAt: string }): NoticeText => ({
      subject: `claim ${p.claimId}: evidence requested by ${p.dueAt}`,
      text: `The platform asks for evidence on claim ${p.claimId} (order ${orderId}): ${p.description}. Upload it by ${p.dueAt}; a missed due date cancels your request.`,
    }),
  };
}
