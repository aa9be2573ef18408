/**
 * A refund decided on a claim is paid to the buyer within 7 working days (the order's pinned ops
 * calendar), through the payment adapter; on the time-skipping test server with in-memory activities.
 */
import { addWorkingDays, getCalendar } from '../../workflows/calendar';
import { respondToClaimUpdate } from '../../workflows/order.messages';
import { orderPolicy, CURRENT_ORDER_POLICY_VERSION } from '../../workflows/order.policy';
import { HOUR, orderWorkflowHarness } from '../support/order-workflow-harness';
import { supplier } from '../support/order-fixtures';

const { withOrder, currentTime, state, events, confirm, payAll, deliver, skip, openClaim } = orderWorkflowHarness();

const policy = orderPolicy(CURRENT_ORDER_POLICY_VERSION);
const calendar = getCalendar(policy.opsCalendar, policy.opsCalendarVersion);
const accept = { actor: supplier, claimId: 'C1', kind: 'accept' as const, message: 'we will refund' };

describe('paying a decided refund', () => {
  it('pays the refund through the payment adapter once it is recorded, and tells the buyer', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await openClaim(h, 'QUALITY_MISMATCH', 100_000);
      await h.executeUpdate(respondToClaimUpdate, { args: [accept] });
      await skip(HOUR);
      const s = await state(h);
      expect(m.calls.payouts).toEqual([
        { key: `${h.workflowId}:claim:C1:payout`, orderId: s.orderId, claimId: 'C1', buyerId: 'buyer-1', amount: 100_000, currency: 'USD' },
      ]);
      expect(s.refundPayments).toEqual([
        expect.objectContaining({ claimId: 'C1', amount: 100_000, status: 'PAID', payoutId: `po-${h.workflowId}:claim:C1:payout` }),
      ]);
      expect(s.refundPayments![0].late).toBeUndefined();
      expect(events(m).slice(-2)).toEqual(['CLAIM_REFUNDED', 'REFUND_PAID']);
      expect(s.deadlines?.some((d) => d.kind === 'refund-payment')).toBe(false);
      // The refund's own change carried its payment deadline, counted in the pinned ops calendar.
      const refunded = m.calls.changes.find((c) => c.event.type === 'CLAIM_REFUNDED')!;
      const due = refunded.order.deadlines!.find((d) => d.kind === 'refund-payment')!;
      expect(Date.parse(due.dueAt)).toBe(addWorkingDays(calendar, Date.parse(s.refundPayments![0].decidedAt), 7));
      expect(due.rule).toMatch(/^a refund decided on a claim is paid to the buyer within 7 working days of the decision \(CN calendar 2026-12/);
      expect(refunded.notices?.parties?.text).toContain(`It is paid to the buyer by ${due.dueAt} (7 working days).`);
      const paid = m.calls.notices.at(-1)!;
      expect(paid).toMatchObject({ partyIds: ['buyer-1'], subject: expect.stringMatching(/refund of 1,000.00 USD paid/) });
    });
  });

  it('puts a refund the adapter has not completed within 7 working days on the late-task queue and pages ops leads; pays it when the adapter completes', async () => {
    await withOrder(
      async (h, m) => {
        await confirm(h);
        await payAll(h);
        await deliver(h);
        await openClaim(h, 'QUALITY_MISMATCH', 100_000);
        await h.executeUpdate(respondToClaimUpdate, { args: [accept] });
        const decided = await state(h);
        // The refund settles the delivered order; the order stays open while the refund is owed.
        expect(decided.status).toBe('SETTLED');
        const payment = decided.refundPayments![0];
        expect(payment).toMatchObject({ status: 'PENDING', dueAt: new Date(addWorkingDays(calendar, Date.parse(payment.decidedAt), 7)).toISOString() });
        expect(decided.deadlines?.map((d) => d.kind)).toEqual(expect.arrayContaining(['refund-payment', 'feedback-window']));

        await skip(Date.parse(payment.dueAt) - (await currentTime()) - HOUR);
        expect(events(m)).not.toContain('REFUND_PAYMENT_LATE');
        await skip(2 * HOUR);
        const late = await state(h);
        expect(events(m)).toContain('REFUND_PAYMENT_LATE');
        expect(late.refundPayments![0]).toMatchObject({ status: 'PENDING', late: true });
        const page = m.calls.opsNotices.find((n) => /LATE: refund on claim C1 not paid/.test(n.subject))!;
        expect(page.audience).toBe('ops-leads');
        expect(page.text).toContain(`was due to the buyer by ${payment.dueAt}; the payment adapter has not completed it`);
        const lateChange = m.calls.changes.find((c) => c.event.type === 'REFUND_PAYMENT_LATE')!;
        expect(lateChange.event.data).toMatchObject({ claimId: 'C1', amount: 100_000, dueAt: payment.dueAt });

        m.payouts.answer = 'paid';
        await skip(3 * HOUR);
        const paid = await state(h);
        expect(paid.refundPayments![0]).toMatchObject({ status: 'PAID', late: true });
        expect(events(m).at(-1)).toBe('REFUND_PAID');
        expect(m.calls.changes.at(-1)!.event.summary).toContain(`after its due time ${payment.dueAt}`);
        // Asked again and again with the same key: one payout.
        expect(new Set(m.calls.payouts.map((x) => x.key))).toEqual(new Set([`${h.workflowId}:claim:C1:payout`]));
      },
      { prepare: (m) => (m.payouts.answer = 'pending') },
    );
  });

  it('pages ops leads at once when the adapter refuses the payout, and stops watching it', async () => {
    await withOrder(
      async (h, m) => {
        await confirm(h);
        await payAll(h);
        await openClaim(h, 'QUALITY_MISMATCH', 100_000);
        await h.executeUpdate(respondToClaimUpdate, { args: [accept] });
        await skip(HOUR);
        const s = await state(h);
        expect(s.refundPayments![0]).toMatchObject({ status: 'FAILED', failure: expect.stringMatching(/account closed/) });
        expect(events(m).slice(-2)).toEqual(['CLAIM_REFUNDED', 'REFUND_PAYMENT_FAILED']);
        expect(m.calls.opsNotices.at(-1)).toMatchObject({ audience: 'ops-leads', subject: expect.stringMatching(/FAILED: refund on claim C1 not paid/) });
        expect(s.deadlines?.some((d) => d.kind === 'refund-payment')).toBe(false);
        expect(m.calls.payouts).toHaveLength(1);
      },
      { prepare: (m) => (m.payouts.answer = 'failed') },
    );
  });
});
