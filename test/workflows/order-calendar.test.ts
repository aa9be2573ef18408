/**
 * The order's working-day calendar on the time-skipping test server: an order counts its ops deadlines
 * in the calendar release its policy pins, and a deadline counted on provisional calendar data says so.
 */
import { addWorkingDays, getCalendar, localDate } from '../../workflows/calendar';
import { escalateClaimUpdate, payUpdate } from '../../workflows/order.messages';
import { orderPolicy } from '../../workflows/order.policy';
import { DAY, HOUR, orderWorkflowHarness } from '../support/order-workflow-harness';
import { buyer } from '../support/order-fixtures';

const { withOrder, currentTime, state, confirm, skip, openClaim } = orderWorkflowHarness();

const oldCn = getCalendar('CN', '2026-11');
const newCn = getCalendar('CN', '2026-12');

/**
 * The first 10:00 Shanghai time (02:00 UTC), from 4 to 80 days ahead, at which "2 working days later"
 * differs between the two CN releases (a statutory holiday on a weekend, with its day off in lieu in
 * the newer one); undefined when none is that close.
 */
function escalationWhereReleasesDiffer(now: number): number | undefined {
  const firstDay = Date.parse(`${new Date(now + 4 * DAY).toISOString().slice(0, 10)}T02:00:00Z`);
  for (let t = firstDay; t < now + 80 * DAY; t += DAY) {
    if (addWorkingDays(oldCn, t, 2) !== addWorkingDays(newCn, t, 2)) return t;
  }
  return undefined;
}

describe("the order's calendar", () => {
  it.each([
    ['2026-11', oldCn, newCn],
    ['2026-12', newCn, oldCn],
  ])('an order of policy %s counts the claim decision in the CN release its policy pins, and marks a provisional due time', async (policyVersion, pinned, other) => {
    expect(orderPolicy(policyVersion).opsCalendarVersion).toBe(pinned.version);
    await withOrder(
      async (h) => {
        await confirm(h);
        await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] });
        const now = await currentTime();
        const target = escalationWhereReleasesDiffer(now) ?? now + 4 * DAY;
        // The buyer may escalate from claim day 4: open the claim three days before the escalation.
        await skip(target - 3 * DAY - now);
        await openClaim(h);
        await skip(3 * DAY);
        await h.executeUpdate(escalateClaimUpdate, { args: [{ actor: buyer, claimId: 'C1' }] });
        const s = await state(h);
        const escalatedAt = Date.parse(s.claims![0].escalatedAt!);
        const due = s.deadlines!.find((d) => d.kind === 'claim-decision-due')!;
        expect(Date.parse(due.dueAt)).toBe(addWorkingDays(pinned, escalatedAt, 2));
        if (escalationWhereReleasesDiffer(now) !== undefined) expect(Date.parse(due.dueAt)).not.toBe(addWorkingDays(other, escalatedAt, 2));
        const provisional = localDate(pinned, Date.parse(due.dueAt)) >= pinned.provisionalFrom!;
        expect(due.rule).toBe(
          `ops decides within 2 working days of escalation (CN calendar ${pinned.version}` +
            (provisional
              ? `; PROVISIONAL: from ${pinned.provisionalFrom} the calendar holds the statutory holidays and their days off in lieu by rule until the official schedule is published, so this due time may differ from the official one)`
              : ')'),
        );
        expect(due.provisional).toBe(provisional ? true : undefined);
      },
      { policyVersion, shipInDays: 85 },
    );
  });

  it('a decision due in the provisional year 2027 skips the estimated days off in lieu after the Spring Festival, and says it is provisional', async () => {
    const now = Date.now();
    // Wednesday 3 February 2027, 10:00 in Shanghai: Thursday 4, then Friday 5 to Wednesday 10 are off.
    const escalation = Date.parse('2027-02-03T02:00:00Z');
    if (escalation - 3 * DAY < now + HOUR || escalation > now + 80 * DAY) {
      // Out of reach of an order started today (its shipping period is at most 90 days).
      expect(addWorkingDays(newCn, escalation, 2)).toBe(Date.parse('2027-02-11T02:00:00Z'));
      return;
    }
    await withOrder(
      async (h) => {
        await confirm(h);
        await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] });
        await skip(escalation - 3 * DAY - (await currentTime()));
        await openClaim(h);
        await skip(3 * DAY);
        await h.executeUpdate(escalateClaimUpdate, { args: [{ actor: buyer, claimId: 'C1' }] });
        const s = await state(h);
        const due = s.deadlines!.find((d) => d.kind === 'claim-decision-due')!;
        // On the day, within the hour the test server took to get there: due Thursday 11 February.
        expect(localDate(newCn, Date.parse(due.dueAt))).toBe('2027-02-11');
        expect(due).toMatchObject({ provisional: true, policyVersion: '2026-12', rule: expect.stringContaining('PROVISIONAL') });
      },
      { policyVersion: '2026-12', shipInDays: 85 },
    );
  });
});
