/**
 * Every window and claim path of tradeOrderWorkflow, on the time-skipping test server with typed
 * in-memory activities: a 30-day window passes in milliseconds.
 */
import { ACTION_REFUSED } from '../../workflows/common';
import {
  acceptCounterOfferUpdate,
  addEvidenceUpdate,
  cancelOrderUpdate,
  confirmByBuyerUpdate,
  confirmReceiptUpdate,
  decideClaimUpdate,
  escalateClaimUpdate,
  extendReceivingUpdate,
  extendShippingUpdate,
  leaveFeedbackUpdate,
  payUpdate,
  requestEvidenceUpdate,
  respondToClaimUpdate,
  shipUpdate,
  withdrawClaimUpdate,
} from '../../workflows/order.messages';
import { DAY, HOUR, orderWorkflowHarness } from '../support/order-workflow-harness';
import { buyer, ops, supplier } from '../support/order-fixtures';

const { withOrder, currentTime, state, after, refusal, events, confirm, payAll, deliver, skip, openClaim } = orderWorkflowHarness();

describe('draft and payment windows', () => {
  it('expires a draft nobody confirms within 14 days, and not a day before', async () => {
    await withOrder(async (h, m) => {
      const s = await state(h);
      expect(s.deadlines?.map((d) => d.kind)).toEqual(['draft-expiry']);
      expect(s.deadlines?.[0]).toMatchObject({ policyVersion: '2026-12', onExpiry: 'the purchase order expires' });
      await h.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      await skip(13 * DAY);
      expect((await state(h)).status).toBe('BUYER_CONFIRMED');
      await skip(1 * DAY + HOUR);
      const after = await h.result();
      expect(after.status).toBe('EXPIRED');
      expect(events(m)).toEqual(['DRAFTED', 'BUYER_CONFIRMED', 'DRAFT_EXPIRED']);
      expect(after.deadlines).toEqual([]);
    });
  });

  it('cancels a confirmed order whose deposit is not paid within 7 days, and releases its coverage', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      const s = await state(h);
      expect(s.amounts.covered).toBe(700_000);
      const deposit = s.deadlines?.find((d) => d.kind === 'deposit-due');
      expect(Date.parse(deposit!.dueAt) - Date.parse(s.confirmedAt!)).toBe(7 * DAY);
      await skip(7 * DAY + HOUR);
      const final = await h.result();
      expect(final.status).toBe('CANCELLED');
      expect(events(m).at(-1)).toBe('CANCELLED_UNPAID');
      expect(m.calls.coverageReleases).toEqual([final.orderId]);
      expect(m.calls.refunds).toEqual([]);
    });
  });

  it('cancels when the balance is unpaid by the shipping date, refunding the held deposit', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] });
      await skip(11 * DAY);
      const final = await h.result();
      expect(final.status).toBe('CANCELLED');
      expect(final.amounts).toMatchObject({ paid: 210_000, held: 0, refunded: 210_000, released: 0 });
      expect(m.calls.refunds.map((r) => [r.id, r.amount])).toEqual([[`${h.workflowId}:cancel:refund`, 210_000]]);
      expect(m.calls.coverageReleases).toHaveLength(1);
    }, { shipInDays: 10 });
  });
});

describe('shipping', () => {
  it('reminds the supplier before the shipping date and marks the order late when it passes', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      const lateClaim = await refusal(openClaim(h, 'LATE_SHIPMENT'));
      expect(lateClaim.message).toMatch(/^cannot open a late-shipment claim: the order is not late/);
      // Shipping date is 10 days away; it is met by shipping any time that day.
      await skip(11 * DAY + HOUR);
      const s = await state(h);
      expect(s.late).toBe(true);
      expect(events(m).filter((e) => e === 'SHIPPING_REMINDER')).toHaveLength(2);
      expect(events(m).at(-1)).toBe('SHIPMENT_LATE');
      const opened = await after(h, openClaim(h, 'LATE_SHIPMENT'));
      expect(opened.claims?.[0]).toMatchObject({ cause: 'LATE_SHIPMENT', status: 'OPEN' });
    }, { shipInDays: 10 });
  });

  it('lets the buyer extend the shipping date within 90 days of confirmation, and no further', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      const s = await state(h);
      const confirmedDay = Date.parse(s.confirmedAt!);
      const tooFar = new Date(confirmedDay + 95 * DAY).toISOString().slice(0, 10);
      const refused = await refusal(h.executeUpdate(extendShippingUpdate, { args: [{ actor: buyer, shippingDate: tooFar }] }));
      expect(refused.type).toBe(ACTION_REFUSED);
      expect(refused.message).toMatch(/the original period plus extensions may be at most 90 days/);
      const ok = new Date(confirmedDay + 60 * DAY).toISOString().slice(0, 10);
      const extended = await after(h, h.executeUpdate(extendShippingUpdate, { args: [{ actor: buyer, shippingDate: ok }] }));
      expect(extended.shippingDate).toBe(ok);
      expect(extended.deadlines?.find((d) => d.kind === 'shipping-date')?.rule).toBe(`agreed shipping date ${ok}`);
      const supplierTries = await refusal(h.executeUpdate(extendShippingUpdate, { args: [{ actor: supplier, shippingDate: ok }] }));
      expect(supplierTries.message).toMatch(/only the order's buyer or ops may grant a shipping extension/);
      expect(events(m).at(-1)).toBe('SHIPPING_EXTENDED');
    });
  });

  it('counts the 90 days in calendar days from the confirmation day: day 90 is allowed, day 91 is not', async () => {
    await withOrder(async (h) => {
      await confirm(h);
      const s = await state(h);
      const confirmationDay = Date.parse(`${s.confirmedAt!.slice(0, 10)}T00:00:00Z`);
      const day = (n: number) => new Date(confirmationDay + n * DAY).toISOString().slice(0, 10);
      const refused = await refusal(h.executeUpdate(extendShippingUpdate, { args: [{ actor: buyer, shippingDate: day(91) }] }));
      expect(refused.message).toBe(
        `cannot extend to ${day(91)}: the shipping period would be 91 days from the confirmation day ${day(0)}; ` +
          `the original period plus extensions may be at most 90 days, so ${day(90)} is the latest shipping date`,
      );
      const extended = await after(h, h.executeUpdate(extendShippingUpdate, { args: [{ actor: buyer, shippingDate: day(90) }] }));
      expect(extended.shippingDate).toBe(day(90));
    });
  });

  it("counts the proof's upload time when the carrier has no data 48 h after shipping", async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await h.executeUpdate(shipUpdate, { args: [{ actor: supplier, carrier: 'DHL', trackingNumber: 'NODATA1' }] });
      const shipped = await state(h);
      await skip(48 * HOUR + HOUR);
      const s = await state(h);
      expect(m.calls.trackingChecks).toEqual(['NODATA1']);
      expect(s.shipment).toMatchObject({ effectiveShippedAt: shipped.shipment!.shippedAt, onTime: true });
      expect(s.late).toBe(false);
    });
  });

  it("uses the carrier's first scan when it has data, and a scan after the shipping date makes the order late", async () => {
    await withOrder(async (h, m, input) => {
      await confirm(h);
      await payAll(h);
      const lateScan = new Date(Date.parse(`${input.terms.shippingDate}T00:00:00Z`) + 2 * DAY).toISOString();
      m.carrier.record('DHL', 'JD0146', { status: 'InTransit', firstScanAt: lateScan });
      await h.executeUpdate(shipUpdate, { args: [{ actor: supplier, carrier: 'DHL', trackingNumber: 'JD0146' }] });
      await skip(49 * HOUR);
      const s = await state(h);
      expect(s.shipment).toMatchObject({ carrierFirstScanAt: lateScan, effectiveShippedAt: lateScan, onTime: false });
      expect(s.late).toBe(true);
    });
  });
});

describe('receiving window', () => {
  it('confirms receipt automatically when the window ends without a claim, releasing the funds', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await deliver(h);
      await skip(29 * DAY);
      expect((await state(h)).status).toBe('DELIVERED');
      await skip(1 * DAY + HOUR);
      const s = await state(h);
      expect(s.status).toBe('COMPLETED');
      expect(events(m).slice(-2)).toEqual(['RECEIPT_AUTO_CONFIRMED', 'FUNDS_RELEASED']);
      expect(m.calls.releases.map((r) => r.amount)).toEqual([700_000]);
      expect(s.amounts).toMatchObject({ held: 0, released: 700_000 });
    });
  });

  it('lets each party extend once by at most 15 days, and moves the window end with it', async () => {
    await withOrder(async (h) => {
      await confirm(h);
      await payAll(h);
      await deliver(h);
      const delivered = Date.parse((await state(h)).deliveredAt!);
      const tooLong = await refusal(h.executeUpdate(extendReceivingUpdate, { args: [{ actor: supplier, days: 16 }] }));
      expect(tooLong.message).toBe('cannot extend by 16 days: an extension is 1 to 15 days');
      await h.executeUpdate(extendReceivingUpdate, { args: [{ actor: buyer, days: 15 }] });
      const twice = await refusal(h.executeUpdate(extendReceivingUpdate, { args: [{ actor: buyer, days: 1 }] }));
      expect(twice.message).toBe('cannot extend: the buyer already extended the receiving window once (by 15 days)');
      const s = await after(h, h.executeUpdate(extendReceivingUpdate, { args: [{ actor: supplier, days: 15 }] }));
      expect(Date.parse(s.receivingWindowEndsAt!) - delivered).toBe(60 * DAY);
      await skip(59 * DAY);
      expect((await state(h)).status).toBe('DELIVERED');
      await skip(1 * DAY + HOUR);
      expect((await state(h)).status).toBe('COMPLETED');
    });
  });
});

describe('claims', () => {
  it('caps the refund asked at the covered amount and at the amount paid', async () => {
    await withOrder(async (h) => {
      await confirm(h);
      await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] });
      const overCoverage = await refusal(openClaim(h, 'QUALITY_MISMATCH', 120_000));
      expect(overCoverage.message).toBe('refund asked 1,200.00 USD exceeds the covered amount 1,000.00 USD');
    }, { granted: 100_000 });
    await withOrder(async (h) => {
      await confirm(h);
      await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] });
      const overPaid = await refusal(openClaim(h, 'QUALITY_MISMATCH', 300_000));
      expect(overPaid.message).toBe('refund asked 3,000.00 USD exceeds the amount paid 2,100.00 USD');
    });
  });

  it('allows one claim per cause at a time', async () => {
    await withOrder(async (h) => {
      await confirm(h);
      await payAll(h);
      await openClaim(h);
      const second = await refusal(openClaim(h));
      expect(second.message).toBe('cannot open a second QUALITY_MISMATCH claim: claim C1 for that cause is still open');
    });
  });

  it('settles the order when the supplier accepts: refund from escrow, the rest to the supplier, coverage released', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await deliver(h);
      await openClaim(h, 'QUALITY_MISMATCH', 150_000);
      await h.executeUpdate(respondToClaimUpdate, { args: [{ actor: supplier, claimId: 'C1', kind: 'accept', message: 'agreed' }] });
      // The refund's payout runs beside the order; its deadline closes once the payment adapter paid it.
      await skip(HOUR);
      const s = await state(h);
      expect(s.status).toBe('SETTLED');
      expect(s.refundPayments).toEqual([expect.objectContaining({ claimId: 'C1', status: 'PAID' })]);
      expect(s.claims?.[0]).toMatchObject({ status: 'CLOSED', outcome: 'REFUNDED', decision: { refund: 150_000, by: 'supplier' } });
      expect(s.amounts).toMatchObject({ paid: 700_000, held: 0, refunded: 150_000, released: 550_000 });
      expect(m.calls.refunds.map((r) => [r.id, r.amount])).toEqual([[`${h.workflowId}:claim:C1:refund`, 150_000]]);
      expect(m.calls.releases.map((r) => [r.id, r.amount])).toEqual([[`${h.workflowId}:claim:C1:release`, 550_000]]);
      expect(m.calls.coverageReleases).toHaveLength(1);
      expect(s.deadlines?.map((d) => d.kind)).toEqual(['feedback-window']);
    });
  });

  it('closes on a counter-offer the buyer accepts', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await openClaim(h, 'QUALITY_MISMATCH', 150_000);
      const badCounter = await refusal(h.executeUpdate(respondToClaimUpdate, { args: [{ actor: supplier, claimId: 'C1', kind: 'counter', counterAmount: 150_000, message: 'x' }] }));
      expect(badCounter.message).toMatch(/less than the refund asked/);
      await h.executeUpdate(respondToClaimUpdate, { args: [{ actor: supplier, claimId: 'C1', kind: 'counter', counterAmount: 50_000, message: 'half the damage' }] });
      const s = await after(h, h.executeUpdate(acceptCounterOfferUpdate, { args: [{ actor: buyer, claimId: 'C1' }] }));
      expect(s.claims?.[0].decision).toMatchObject({ refund: 50_000, by: 'buyer' });
      expect(m.calls.refunds.map((r) => r.amount)).toEqual([50_000]);
    });
  });

  it('lets the buyer escalate from day 4, not before, and ops decides', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await deliver(h);
      await openClaim(h, 'NOT_AS_DESCRIBED', 100_000);
      await h.executeUpdate(respondToClaimUpdate, { args: [{ actor: supplier, claimId: 'C1', kind: 'reject', message: 'as described' }] });
      const early = await refusal(h.executeUpdate(escalateClaimUpdate, { args: [{ actor: buyer, claimId: 'C1' }] }));
      expect(early.message).toMatch(/^cannot escalate claim C1 yet: the buyer may escalate from day 4/);
      await skip(3 * DAY + HOUR);
      const escalated = await after(h, h.executeUpdate(escalateClaimUpdate, { args: [{ actor: buyer, claimId: 'C1' }] }));
      expect(escalated.claims?.[0]).toMatchObject({ status: 'ESCALATED', escalatedBy: 'buyer' });
      expect(m.calls.opsNotices.map((n) => n.audience)).toEqual(['ops']);
      const tooMuch = await refusal(h.executeUpdate(decideClaimUpdate, { args: [{ actor: ops, claimId: 'C1', refund: 100_001, reason: 'x' }] }));
      expect(tooMuch.message).toBe('refund 1,000.01 USD exceeds the refund asked 1,000.00 USD');
      const decided = await after(h, h.executeUpdate(decideClaimUpdate, { args: [{ actor: ops, claimId: 'C1', refund: 80_000, reason: 'photos show a defect' }] }));
      expect(decided.status).toBe('SETTLED');
      expect(decided.amounts).toMatchObject({ refunded: 80_000, released: 620_000, held: 0 });
    });
  });

  it('escalates by itself on day 7 when the supplier stays silent, reminds ops, then pages ops leads when the decision is overdue', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await deliver(h);
      const opened = await after(h, openClaim(h));
      const openedAt = Date.parse(opened.claims![0].openedAt);
      await skip(6 * DAY - HOUR);
      expect((await state(h)).claims?.[0].status).toBe('OPEN');
      expect(events(m)).toContain('CLAIM_SUPPLIER_SILENT');
      await skip(2 * HOUR);
      const s = await state(h);
      expect(s.claims?.[0]).toMatchObject({ status: 'ESCALATED', escalatedBy: 'system' });
      // Day 7 begins 6 days after opening (timers fire a few milliseconds late, never early).
      const escalatedAfter = Date.parse(s.claims![0].escalatedAt!) - openedAt;
      expect(escalatedAfter).toBeGreaterThanOrEqual(6 * DAY);
      expect(escalatedAfter).toBeLessThan(6 * DAY + 60_000);
      const due = s.deadlines?.find((d) => d.kind === 'claim-decision-due');
      expect(due?.rule).toMatch(/within 2 working days of escalation/);
      await skip(10 * DAY);
      expect(events(m)).toEqual(expect.arrayContaining(['CLAIM_ESCALATED', 'CLAIM_DECISION_REMINDER', 'CLAIM_DECISION_OVERDUE']));
      expect(m.calls.opsNotices.map((n) => n.audience)).toEqual(['ops', 'ops', 'ops-leads']);
      expect((await state(h)).status).toBe('DELIVERED');
    });
  });

  it("cancels the buyer's claim when the buyer misses an evidence request", async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await openClaim(h);
      const now = await currentTime();
      await h.executeUpdate(requestEvidenceUpdate, { args: [{ actor: ops, claimId: 'C1', party: 'buyer', description: 'photos of the cartons', dueAt: new Date(now + 2 * DAY).toISOString() }] });
      await skip(2 * DAY + HOUR);
      const s = await state(h);
      expect(s.claims?.[0]).toMatchObject({ status: 'CLOSED', outcome: 'CANCELLED' });
      expect(s.claims?.[0].evidenceRequests[0].status).toBe('MISSED');
      expect(s.status).toBe('PAID');
      expect(m.calls.refunds).toEqual([]);
    });
  });

  it("grants the refund asked when the supplier misses an evidence request, and a fulfilled request clears its deadline", async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await openClaim(h, 'QUALITY_MISMATCH', 100_000);
      const now = await currentTime();
      const dueAt = new Date(now + 2 * DAY).toISOString();
      await h.executeUpdate(requestEvidenceUpdate, { args: [{ actor: ops, claimId: 'C1', party: 'buyer', description: 'photos', dueAt }] });
      await h.executeUpdate(requestEvidenceUpdate, { args: [{ actor: ops, claimId: 'C1', party: 'supplier', description: 'QC report', dueAt }] });
      const file = { fileId: 'f1', name: 'cartons.jpg', contentType: 'image/jpeg', size: 1234, sha256: 'ab'.repeat(32) };
      const withEvidence = await after(h, h.executeUpdate(addEvidenceUpdate, { args: [{ actor: buyer, claimId: 'C1', file }] }));
      expect(withEvidence.claims?.[0].evidenceRequests.map((r) => r.status)).toEqual(['FULFILLED', 'OPEN']);
      expect(withEvidence.deadlines?.filter((d) => d.kind === 'evidence-due')).toHaveLength(1);
      await skip(2 * DAY + HOUR);
      const s = await state(h);
      expect(s.claims?.[0]).toMatchObject({ status: 'CLOSED', outcome: 'REFUNDED', decision: { refund: 100_000, by: 'system' } });
      expect(m.calls.refunds.map((r) => r.amount)).toEqual([100_000]);
    });
  });

  it('keeps funds held while a claim is open: receipt waits, and the window acts once the claim closes', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await deliver(h);
      await openClaim(h);
      const blocked = await refusal(h.executeUpdate(confirmReceiptUpdate, { args: [{ actor: buyer }] }));
      expect(blocked.message).toBe('cannot confirm receipt while claim C1 is open: funds stay held until it is closed');
      await h.executeUpdate(respondToClaimUpdate, { args: [{ actor: supplier, claimId: 'C1', kind: 'reject', message: 'no' }] });
      await skip(31 * DAY);
      let s = await state(h);
      expect(s.status).toBe('DELIVERED');
      expect(s.amounts.held).toBe(700_000);
      s = await after(h, h.executeUpdate(decideClaimUpdate, { args: [{ actor: ops, claimId: 'C1', refund: 0, reason: 'no defect found' }] }));
      await skip(HOUR);
      s = await state(h);
      expect(s.status).toBe('COMPLETED');
      expect(events(m).slice(-3)).toEqual(['CLAIM_DECIDED', 'RECEIPT_AUTO_CONFIRMED', 'FUNDS_RELEASED']);
      expect(m.calls.releases.map((r) => r.amount)).toEqual([700_000]);
    });
  });

  it('accepts claims up to 30 days after receipt, refunding from the supplier payable, and refuses them after', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await deliver(h);
      await h.executeUpdate(confirmReceiptUpdate, { args: [{ actor: buyer }] });
      await skip(HOUR);
      await openClaim(h, 'QUALITY_MISMATCH', 100_000);
      const s = await after(h, h.executeUpdate(respondToClaimUpdate, { args: [{ actor: supplier, claimId: 'C1', kind: 'accept', message: 'sorry' }] }));
      expect(s.status).toBe('COMPLETED');
      expect(m.calls.supplierRefunds.map((r) => [r.id, r.amount])).toEqual([[`${h.workflowId}:claim:C1:refund`, 100_000]]);
      await skip(30 * DAY);
      const late = await refusal(openClaim(h, 'NOT_AS_DESCRIBED', 10_000));
      expect(late.message).toMatch(/^cannot open a claim: claims closed .*, 30 days after receipt was confirmed$/);
    });
  });

  it('lets the buyer withdraw a claim', async () => {
    await withOrder(async (h) => {
      await confirm(h);
      await payAll(h);
      await openClaim(h);
      const s = await after(h, h.executeUpdate(withdrawClaimUpdate, { args: [{ actor: buyer, claimId: 'C1' }] }));
      expect(s.claims?.[0]).toMatchObject({ status: 'CLOSED', outcome: 'WITHDRAWN' });
      expect(s.deadlines?.some((d) => d.claimId === 'C1')).toBe(false);
    });
  });
});

describe('cancellation and feedback', () => {
  it('lets either party cancel before payment', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      const s = await after(h, h.executeUpdate(cancelOrderUpdate, { args: [{ actor: supplier, reason: 'out of stock' }] }));
      expect(s.status).toBe('CANCELLED');
      expect(m.calls.coverageReleases).toHaveLength(1);
      expect((await h.result()).status).toBe('CANCELLED');
    });
  });

  it('accepts a buyer cancellation within 24 h of payment with a refund, refuses it after, and lets ops recall', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] });
      await skip(25 * HOUR);
      const late = await refusal(h.executeUpdate(cancelOrderUpdate, { args: [{ actor: buyer, reason: 'changed my mind' }] }));
      expect(late.message).toMatch(/^cannot cancel: the change\/cancel window closed at .* \(24 h after payment\); ask ops to attempt a recall$/);
      const bySupplier = await refusal(h.executeUpdate(cancelOrderUpdate, { args: [{ actor: supplier, reason: 'x' }] }));
      expect(bySupplier.message).toMatch(/cannot cancel a paid order as supplier/);
      const recalled = await after(h, h.executeUpdate(cancelOrderUpdate, { args: [{ actor: ops, reason: 'recall succeeded' }] }));
      expect(recalled.status).toBe('CANCELLED');
      expect(events(m).at(-1)).toBe('CANCELLED_BY_RECALL');
      expect(m.calls.refunds.map((r) => r.amount)).toEqual([210_000]);
    });
    await withOrder(async (h, m) => {
      await confirm(h);
      await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] });
      await skip(23 * HOUR);
      const s = await after(h, h.executeUpdate(cancelOrderUpdate, { args: [{ actor: buyer, reason: 'wrong colour ordered' }] }));
      expect(s.status).toBe('CANCELLED');
      expect(events(m).at(-1)).toBe('CANCELLED_IN_WINDOW');
      expect(m.calls.refunds.map((r) => r.amount)).toEqual([210_000]);
    });
  });

  it('takes feedback from each party once, after completion, within the feedback window', async () => {
    await withOrder(async (h) => {
      await confirm(h);
      await payAll(h);
      const early = await refusal(h.executeUpdate(leaveFeedbackUpdate, { args: [{ actor: buyer, rating: 5, comment: 'great' }] }));
      expect(early.message).toMatch(/feedback is left after the order completes/);
      await deliver(h);
      await h.executeUpdate(confirmReceiptUpdate, { args: [{ actor: buyer }] });
      await skip(HOUR);
      await h.executeUpdate(leaveFeedbackUpdate, { args: [{ actor: buyer, rating: 5, comment: 'great' }] });
      const again = await refusal(h.executeUpdate(leaveFeedbackUpdate, { args: [{ actor: buyer, rating: 4, comment: 'still great' }] }));
      expect(again.message).toBe('the buyer already left feedback on this order');
      const s = await after(h, h.executeUpdate(leaveFeedbackUpdate, { args: [{ actor: supplier, rating: 4, comment: 'smooth buyer' }] }));
      expect(s.feedback).toMatchObject({ buyer: { rating: 5 }, supplier: { rating: 4 } });
      const final = await h.result();
      expect(final.deadlines).toEqual([]);
    });
  });
});
