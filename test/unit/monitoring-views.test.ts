/** What a supplier and an inspector see of a monitoring task whose card charge went unanswered: nothing of the buyer's card. */
import { monitoringTimelineFor, monitoringViewFor } from '../../api/views';
import type { MonitoringState } from '../../workflows/monitoring.messages';

const lapsed = {
  seq: 2,
  type: 'BOOKING_LAPSED',
  summary: 'Booking lapsed: the fee was not paid by the cutoff 2026-12-20T16:00:00.000Z; the processor never answered the charge of 299.00 USD asked at 2026-12-19T08:00:00.000Z',
  data: { cutoffAt: '2026-12-20T16:00:00.000Z', unansweredCharge: { amount: 29_900, brand: 'visa', last4: '0341', askedAt: '2026-12-19T08:00:00.000Z' } },
};

describe('monitoring views with an unanswered charge', () => {
  it('show the buyer, ops and support the whole lapse, and a supplier or inspector only its cutoff', () => {
    for (const role of ['buyer', 'ops', 'support'] as const) expect(monitoringTimelineFor(role, [lapsed])).toEqual([lapsed]);
    for (const role of ['supplier', 'inspector'] as const) {
      expect(monitoringTimelineFor(role, [lapsed])).toEqual([
        { seq: 2, type: 'BOOKING_LAPSED', summary: 'Booking lapsed: the fee was not paid by the cutoff 2026-12-20T16:00:00.000Z', data: { cutoffAt: '2026-12-20T16:00:00.000Z' } },
      ]);
    }
  });

  it("keep the unconfirmed card out of a supplier's and an inspector's view of the task", () => {
    const task = {
      monitoringId: 'PM-1',
      status: 'AWAITING_PAYMENT',
      uncertainCharge: { card: { token: 'sbx_pm_lost_visa_0341_0123456789abcdef', brand: 'visa', last4: '0341' }, amount: 29_900, askedAt: '2026-12-19T08:00:00.000Z' },
    } as unknown as MonitoringState;
    expect(monitoringViewFor('buyer', task).uncertainCharge).toEqual(task.uncertainCharge);
    expect('uncertainCharge' in monitoringViewFor('supplier', task)).toBe(false);
    expect('uncertainCharge' in monitoringViewFor('inspector', task)).toBe(false);
    expect(monitoringViewFor('supplier', task)).toMatchObject({ monitoringId: 'PM-1', status: 'AWAITING_PAYMENT' });
  });
});
