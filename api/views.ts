/**
 * What each role sees of a monitoring task: the task's full state is the workflow's; a role's view
 * carries only what that role needs to do its part. The card payment (its id, brand and last four
 * digits) is the payer's business: the buyer's, and ops' and support's who answer for it. A supplier
 * sees the task without the card; an inspector sees what the inspection needs (the product, the
 * supplier, the dates, its own checks, progress and reports) and nothing of the booking, the fee,
 * the payment or the buyer's review.
 */
import type { MonitoringState } from '../workflows/monitoring.messages';
import type { Role } from './keys';

const INSPECTOR_FIELDS = [
  'monitoringId', 'orderId', 'status', 'supplierId', 'policyVersion', 'supplierCalendar', 'calendarVersion', 'shipmentDate',
  'proforma', 'details', 'productInfo', 'inspector', 'round', 'checks', 'progress', 'reports', 'late', 'closedReason',
  'deadlines', 'nextStep', 'revision', 'createdAt', 'updatedAt',
] as const satisfies readonly (keyof MonitoringState)[];

const SUPPLIER_HIDDEN = ['payment', 'uncertainCharge'] as const satisfies readonly (keyof MonitoringState)[];

export type MonitoringView = Partial<MonitoringState>;

export function monitoringViewFor(role: Role, task: MonitoringState): MonitoringView {
  if (role === 'inspector') return Object.fromEntries(INSPECTOR_FIELDS.filter((k) => k in task).map((k) => [k, task[k]])) as MonitoringView;
  if (role === 'supplier') {
    const view: MonitoringView = { ...task };
    for (const k of SUPPLIER_HIDDEN) delete view[k];
    return view;
  }
  return task;
}

/** A row of the task list: an inspector gets no money and no booking details. */
export function monitoringRowViewFor<R extends Record<string, unknown>>(role: Role, row: R): Partial<R> {
  if (role !== 'inspector') return row;
  const { fee: _fee, paid: _paid, refunded: _refunded, currency: _currency, addedVia: _addedVia, bookingCutoffAt: _cutoff, ...rest } = row;
  return rest as Partial<R>;
}

interface TimelineEventView {
  type: string;
  summary: string;
  data: unknown;
}

/**
 * A task's timeline as a role sees it: for a supplier or an inspector, the payment is "the fee was
 * paid", a lapse says its cutoff and a cancellation its reason, without the card, the fee or what was
 * refunded; an inspector reads that the buyer reviewed the service, not the review.
 */
export function monitoringTimelineFor<E extends TimelineEventView>(role: Role, events: E[]): E[] {
  if (role !== 'supplier' && role !== 'inspector') return events;
  return events.map((e): E => {
    if (e.type === 'PAID') return { ...e, summary: 'Fee paid', data: {} };
    if (e.type === 'CANCELLED' || e.type === 'DESELECTED') {
      const reason = (e.data as { reason?: unknown } | null)?.reason;
      return { ...e, summary: `Service ${e.type === 'CANCELLED' ? 'cancelled' : 'deselected'}${typeof reason === 'string' ? `: ${reason}` : ''}`, data: typeof reason === 'string' ? { reason } : {} };
    }
    if (e.type === 'BOOKING_LAPSED') {
      // Without a charge the processor never answered, if there was one: that is the buyer's card.
      const cutoffAt = (e.data as { cutoffAt?: unknown } | null)?.cutoffAt;
      return { ...e, summary: `Booking lapsed: the fee was not paid by the cutoff${typeof cutoffAt === 'string' ? ` ${cutoffAt}` : ''}`, data: typeof cutoffAt === 'string' ? { cutoffAt } : {} };
    }
    if (e.type === 'REVIEWED' && role === 'inspector') return { ...e, summary: 'Service reviewed by the buyer', data: {} };
    return e;
  });
}
