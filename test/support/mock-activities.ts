import { ApplicationFailure } from '@temporalio/activity';
import type { Activities } from '../../activities';
import { PAYOUT_FAILED, PAYOUT_PENDING, type RefundPayout } from '../../activities/payouts';
import type { LedgerPosting, EscrowMovement } from '../../activities/ledger';
import { orderRowOf, type OrderChange, type OrderReadModel } from '../../activities/orders';
import type { OpsNotice, PartyNotice } from '../../activities/email';
import type { CoverageRequest } from '../../activities/coverage';
import type { FeeCharge, FeeRefund, MonitoringChange } from '../../activities/monitoring';
import type { CaseChange, CaseRefund, Outcome } from '../../activities/cases';
import type { FlaggedShipment, ShipmentPageRequest } from '../../activities/self-check';
import type { ReportRequest } from '../../activities/report';
import { effectFailureTaskId, type EffectFailure } from '../../activities/effect-failures';
import { computeReport } from '../../workflows/after-service-report';
import { PAYMENT_OUTCOME_UNKNOWN } from '../../workflows/common';
import { SimulatedCarrier } from '../../adapters/carrier';

/** In-memory activities for workflow tests: they record every call the workflow made. */
export function createMockActivities() {
  const calls = {
    /** Each recorded change with the row the real activity writes from it. */
    changes: [] as (OrderChange & { order: OrderReadModel })[],
    notices: [] as PartyNotice[],
    holds: [] as EscrowMovement[],
    releases: [] as EscrowMovement[],
    postings: [] as LedgerPosting[],
    refunds: [] as EscrowMovement[],
    supplierRefunds: [] as EscrowMovement[],
    reservations: [] as CoverageRequest[],
    coverageReleases: [] as string[],
    opsNotices: [] as OpsNotice[],
    trackingChecks: [] as string[],
    monitoringChanges: [] as MonitoringChange[],
    feeCharges: [] as FeeCharge[],
    feeRefunds: [] as FeeRefund[],
    orderLinks: [] as { orderId: string; monitoringId: string; shipmentDate: string }[],
    caseChanges: [] as CaseChange[],
    customerNotices: [] as { key: string; subject: string; text: string }[],
    caseRefunds: [] as CaseRefund[],
    orderCancels: [] as { key: string; caseId: string; reason: string }[],
    resends: [] as { caseId: string; carrier: string; trackingNumber: string; shippingPaidBy: string }[],
    shipmentPages: [] as ShipmentPageRequest[],
    caseOpenings: [] as FlaggedShipment[][],
    reports: [] as ReportRequest[],
    effectFailures: [] as EffectFailure[],
    payouts: [] as RefundPayout[],
  };
  /** What the order answers when a case asks it to cancel or refund; tests change it. */
  const orderAnswers: { cancel: Outcome; refund: Outcome } = { cancel: { ok: true }, refund: { ok: true } };
  /** What the payment adapter answers a refund payout: paid at once unless a test holds or refuses it. */
  const payouts: { answer: 'paid' | 'pending' | 'failed' } = { answer: 'paid' };
  /**
   * What the card gateway answers a fee charge: taken at once unless a test declines it, makes the
   * processor fail, or holds the answer until `release` is called.
   */
  const cardCharges: { answer: 'succeeded' | 'declined' | 'error' | 'unknown'; held?: Promise<void> } = { answer: 'succeeded' };
  /** Coverage the mock grants (per order); tests change it. */
  const coverage = { granted: 1_000_000_00 };
  /** What the simulated carrier answers. */
  const carrier = new SimulatedCarrier();
  const activities: Activities = {
    async recordOrderChange(change) {
      const order = change.order ?? (change.view && orderRowOf(change.view));
      if (!order) throw ApplicationFailure.create({ type: 'InvalidChange', message: 'recordOrderChange: neither the order nor its row', nonRetryable: true });
      calls.changes.push({ ...change, order });
      // Notices recorded with the change count as sent, as with the separate notice activities.
      if (change.notices?.parties) calls.notices.push(change.notices.parties);
      if (change.notices?.ops) calls.opsNotices.push(change.notices.ops);
    },
    async notifyParties(notice) {
      calls.notices.push(notice);
    },
    async holdPaymentInEscrow(m) {
      calls.holds.push(m);
      return { posted: true };
    },
    async releaseEscrowToSupplier(m) {
      calls.releases.push(m);
      return { posted: true };
    },
    async postLedgerTransaction(p) {
      calls.postings.push(p);
      return { posted: true };
    },
    async refundEscrowToBuyer(m) {
      calls.refunds.push(m);
      return { posted: true };
    },
    async payRefundToBuyer(r) {
      calls.payouts.push(r);
      if (payouts.answer === 'pending') throw ApplicationFailure.retryable(`payout of the refund on claim ${r.claimId} is still pending`, PAYOUT_PENDING);
      if (payouts.answer === 'failed') throw ApplicationFailure.nonRetryable(`the payment adapter refused the refund payout on claim ${r.claimId}: account closed`, PAYOUT_FAILED);
      return { payoutId: `po-${r.key}` };
    },
    async refundFromSupplierPayable(m) {
      calls.supplierRefunds.push(m);
      return { posted: true };
    },
    async reserveCoverage(req) {
      calls.reservations.push(req);
      const covered = Math.min(req.requested, coverage.granted);
      return { covered, granted: coverage.granted, available: coverage.granted };
    },
    async releaseCoverage({ orderId }) {
      calls.coverageReleases.push(orderId);
    },
    async notifyOps(notice) {
      calls.opsNotices.push(notice);
    },
    async trackShipment({ carrier: name, trackingNumber }) {
      calls.trackingChecks.push(trackingNumber);
      return carrier.track(name, trackingNumber);
    },
    async linkMonitoringToOrder(link) {
      calls.orderLinks.push(link);
      return { linked: false };
    },
    async recordMonitoringChange(change) {
      calls.monitoringChanges.push(change);
      if (change.notices?.parties) calls.notices.push(change.notices.parties);
      if (change.notices?.ops) calls.opsNotices.push(change.notices.ops);
    },
    async chargeMonitoringFee(c) {
      calls.feeCharges.push(c);
      await cardCharges.held;
      if (cardCharges.answer === 'error') throw ApplicationFailure.create({ type: 'PaymentProcessorError', message: 'the card processor had an error' });
      if (cardCharges.answer === 'unknown') throw ApplicationFailure.create({ type: PAYMENT_OUTCOME_UNKNOWN, message: 'the card processor did not answer' });
      if (cardCharges.answer === 'declined') return { status: 'declined', reason: 'the card was declined by its issuer; use another card' };
      return { status: 'succeeded', paymentId: `ch-${c.idempotencyKey}` };
    },
    async refundMonitoringFee(r) {
      calls.feeRefunds.push(r);
      return { refundId: `re-${r.idempotencyKey}` };
    },
    async recordCaseChange(change) {
      calls.caseChanges.push(change);
      if (change.notices?.customer) calls.customerNotices.push({ key: change.notices.customer.key, subject: change.notices.customer.subject, text: change.notices.customer.text });
      if (change.notices?.parties) calls.notices.push(change.notices.parties);
      if (change.notices?.ops) calls.opsNotices.push(change.notices.ops);
    },
    async notifyCaseCustomer({ key, subject, text }) {
      calls.customerNotices.push({ key, subject, text });
    },
    async refundForCase(r) {
      calls.caseRefunds.push(r);
      return orderAnswers.refund;
    },
    async cancelOrderForCase({ key, caseId, reason }) {
      calls.orderCancels.push({ key, caseId, reason });
      return orderAnswers.cancel;
    },
    async recordResend({ caseId, carrier: name, trackingNumber, shippingPaidBy }) {
      calls.resends.push({ caseId, carrier: name, trackingNumber, shippingPaidBy });
    },
    async checkShipmentsPage(req) {
      calls.shipmentPages.push(req);
      return { checked: 0, delivered: 0, flagged: [] };
    },
    async openProactiveCases({ flagged }) {
      calls.caseOpenings.push(flagged);
      return { opened: [], alreadyOpen: [], outsideWindow: [], orderMissing: [] };
    },
    async buildWeeklyReport(req) {
      calls.reports.push(req);
      const none = { total: 0, proactive: 0, customerRaised: 0 };
      return computeReport({ weekStart: req.weekStart, weekEnd: req.weekStart, generatedAt: req.generatedAt, policyVersion: '2026-11', defectRateTarget: 0.002, shipments: 0, cases: { tracking: none, quality: none, warehouse: none }, previous: [] });
    },
    async raiseEffectFailure(failure) {
      const raised = !calls.effectFailures.some((f) => f.key === failure.key);
      if (raised) calls.effectFailures.push(failure);
      return { taskId: effectFailureTaskId(failure.resource, failure.resourceId, failure.key), raised };
    },
  };
  return { activities, calls, coverage, carrier, orderAnswers, payouts, cardCharges };
}
