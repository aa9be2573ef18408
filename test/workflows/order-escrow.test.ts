/**
 * The escrow promises of tradeOrderWorkflow, each from a reported reproduction: refunds never exceed
 * what was paid or covered, held funds are never released while a claim is open, a cancelled order
 * stays cancelled, a party cannot grow the order's history without bound, and an effect that fails
 * for good does not jam the order. Time-skipping test server, typed in-memory activities.
 */
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ACTION_REFUSED, EVIDENCE_HELD } from '../../workflows/common';
import { ORDER_VIEW_MAX_CHARS } from '../../workflows/read-model';
import {
  TERMINAL_STATUSES,
  acceptCounterOfferUpdate,
  addEvidenceUpdate,
  cancelOrderUpdate,
  confirmByBuyerUpdate,
  confirmBySupplierUpdate,
  confirmReceiptUpdate,
  requestEvidenceUpdate,
  respondToClaimUpdate,
  shipUpdate,
  markDeliveredUpdate,
  withdrawClaimUpdate,
} from '../../workflows/order.messages';
import { DAY, HOUR, Handle, Mocks, orderWorkflowHarness } from '../support/order-workflow-harness';
import { buyer, ops, supplier } from '../support/order-fixtures';

const { withOrder, state, after, refusal, events, confirm, payAll, deliver, skip, openClaim, currentTime } = orderWorkflowHarness();

/** Everything the order refunded to the buyer, from escrow and from the supplier's payable. */
const refundedTotal = (m: Mocks) => [...m.calls.refunds, ...m.calls.supplierRefunds].reduce((sum, r) => sum + r.amount, 0);
const releasedTotal = (m: Mocks) => m.calls.releases.reduce((sum, r) => sum + r.amount, 0);

const accept = (h: Handle, claimId: string) => h.executeUpdate(respondToClaimUpdate, { args: [{ actor: supplier, claimId, kind: 'accept', message: 'agreed' }] });
const counter = (h: Handle, claimId: string, counterAmount: number) =>
  h.executeUpdate(respondToClaimUpdate, { args: [{ actor: supplier, claimId, kind: 'counter', counterAmount, message: 'part of it' }] });

describe('refund ceilings across claims', () => {
  it('refunds a paid order at most once in full when the supplier accepts two full claims', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await deliver(h);
      await openClaim(h, 'QUALITY_MISMATCH', 700_000);
      await openClaim(h, 'NOT_AS_DESCRIBED', 700_000);
      await accept(h, 'C1');
      const second = await refusal(accept(h, 'C2'));
      expect(second.type).toBe(ACTION_REFUSED);
      expect(second.message).toBe(
        'cannot accept claim C2 in full: its refund 7,000.00 USD exceeds the covered amount 7,000.00 USD less 7,000.00 USD already refunded on claims (0.00 USD left); counter-offer at most what is left, or reject it',
      );
      // Funds stay held for the open claim; the order settles once it closes.
      let s = await state(h);
      expect(s.status).toBe('DELIVERED');
      expect(s.amounts).toMatchObject({ paid: 700_000, held: 0, refunded: 700_000, claimRefunded: 700_000 });
      s = await after(h, h.executeUpdate(withdrawClaimUpdate, { args: [{ actor: buyer, claimId: 'C2' }] }));
      expect(s.status).toBe('SETTLED');
      expect(refundedTotal(m)).toBe(700_000);
      expect(releasedTotal(m)).toBe(0);
      expect(m.calls.coverageReleases).toHaveLength(1);
    });
  });

  it('refuses to accept a second counter-offer beyond what is left to refund', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await deliver(h);
      await openClaim(h, 'QUALITY_MISMATCH', 500_000);
      await openClaim(h, 'NOT_AS_DESCRIBED', 500_000);
      await counter(h, 'C1', 400_000);
      await counter(h, 'C2', 400_000);
      await h.executeUpdate(acceptCounterOfferUpdate, { args: [{ actor: buyer, claimId: 'C1' }] });
      const refused = await refusal(h.executeUpdate(acceptCounterOfferUpdate, { args: [{ actor: buyer, claimId: 'C2' }] }));
      expect(refused.message).toMatch(/^cannot accept the counter-offer: its refund 4,000.00 USD exceeds .*\(3,000.00 USD left\); escalate the claim to the platform instead$/);
      expect(refundedTotal(m)).toBe(400_000);
      expect((await state(h)).claims?.[1]).toMatchObject({ status: 'RESPONDED' });
    });
  });

  it('caps claim refunds at the coverage when coverage is below what was paid', async () => {
    await withOrder(
      async (h, m) => {
        await confirm(h);
        await payAll(h);
        expect((await state(h)).amounts.covered).toBe(300_000);
        const tooMuch = await refusal(openClaim(h, 'QUALITY_MISMATCH', 300_001));
        expect(tooMuch.message).toBe('refund asked 3,000.01 USD exceeds the covered amount 3,000.00 USD');
        await openClaim(h, 'QUALITY_MISMATCH', 300_000);
        await openClaim(h, 'NOT_AS_DESCRIBED', 300_000);
        await accept(h, 'C1');
        await refusal(accept(h, 'C2'));
        const third = await refusal(openClaim(h, 'QUALITY_MISMATCH', 1));
        expect(third.message).toMatch(/exceeds the covered amount 3,000.00 USD less 3,000.00 USD already refunded on claims \(0.00 USD left\)/);
        expect(refundedTotal(m)).toBe(300_000);
      },
      { granted: 300_000 },
    );
  });

  it('grants a missed supplier evidence request only what is still refundable', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await deliver(h);
      await openClaim(h, 'QUALITY_MISMATCH', 600_000);
      await openClaim(h, 'NOT_AS_DESCRIBED', 500_000);
      await accept(h, 'C1');
      const dueAt = new Date((await currentTime()) + 2 * DAY).toISOString();
      await h.executeUpdate(requestEvidenceUpdate, { args: [{ actor: ops, claimId: 'C2', party: 'supplier', description: 'QC report', dueAt }] });
      await skip(2 * DAY + HOUR);
      const s = await state(h);
      expect(s.claims?.[1]).toMatchObject({ status: 'CLOSED', outcome: 'REFUNDED', decision: { refund: 100_000, by: 'system' } });
      expect(s.claims?.[1].decision?.reason).toMatch(/5,000.00 USD asked; 1,000.00 USD was still refundable on this order/);
      expect(refundedTotal(m)).toBe(700_000);
      expect(s.status).toBe('SETTLED');
      expect(releasedTotal(m)).toBe(0);
    });
  });
});

describe('held funds and open claims', () => {
  it('keeps the rest held while another claim is open, and settles when the last one closes', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await deliver(h);
      await openClaim(h, 'QUALITY_MISMATCH', 100_000);
      await openClaim(h, 'NOT_AS_DESCRIBED', 100_000);
      let s = await after(h, accept(h, 'C1'));
      expect(s.status).toBe('DELIVERED');
      expect(s.amounts).toMatchObject({ held: 600_000, refunded: 100_000, released: 0 });
      expect(m.calls.releases).toEqual([]);
      expect(s.settlementPending).toBe('C1');
      // The receiving window ends while C2 is open: nothing is released, receipt waits.
      await skip(31 * DAY);
      s = await state(h);
      expect(s.status).toBe('DELIVERED');
      expect(m.calls.releases).toEqual([]);
      s = await after(h, h.executeUpdate(withdrawClaimUpdate, { args: [{ actor: buyer, claimId: 'C2' }] }));
      expect(s.status).toBe('SETTLED');
      expect(m.calls.releases.map((r) => [r.id, r.amount])).toEqual([[`${h.workflowId}:claim:C1:release`, 600_000]]);
      const money = ['CLAIM_REFUNDED', 'RECEIPT_AUTO_CONFIRMED', 'FUNDS_RELEASED', 'CLAIM_WITHDRAWN', 'ORDER_SETTLED'];
      expect(events(m).filter((e) => money.includes(e))).toEqual(['CLAIM_REFUNDED', 'CLAIM_WITHDRAWN', 'ORDER_SETTLED']);
      expect(refundedTotal(m) + releasedTotal(m)).toBe(700_000);
    });
  });

  it('lets a partially refunded order ship, and releases only the rest on receipt', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await openClaim(h, 'QUALITY_MISMATCH', 100_000);
      let s = await after(h, accept(h, 'C1'));
      expect(s.status).toBe('PAID');
      expect(s.settlementPending).toBeUndefined();
      await h.executeUpdate(shipUpdate, { args: [{ actor: supplier, carrier: 'DHL', trackingNumber: 'JD0146' }] });
      await h.executeUpdate(markDeliveredUpdate, { args: [{ actor: ops }] });
      s = await after(h, h.executeUpdate(confirmReceiptUpdate, { args: [{ actor: buyer }] }));
      expect(s.status).toBe('COMPLETED');
      expect(m.calls.refunds.map((r) => r.amount)).toEqual([100_000]);
      expect(m.calls.releases.map((r) => r.amount)).toEqual([600_000]);
    });
  });

  it('settles an order refunded in full before shipment; it cannot ship afterwards', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await openClaim(h, 'QUALITY_MISMATCH', 700_000);
      const s = await after(h, accept(h, 'C1'));
      expect(s.status).toBe('SETTLED');
      const ship = await refusal(h.executeUpdate(shipUpdate, { args: [{ actor: supplier, carrier: 'DHL', trackingNumber: 'X' }] }));
      expect(ship.message).toMatch(/^cannot ship/);
      expect(refundedTotal(m)).toBe(700_000);
      expect(releasedTotal(m)).toBe(0);
    });
  });
});

describe('conflicting updates at once', () => {
  it('never accepts both of two full acceptances sent together', async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await deliver(h);
      await openClaim(h, 'QUALITY_MISMATCH', 700_000);
      await openClaim(h, 'NOT_AS_DESCRIBED', 700_000);
      const results = await Promise.allSettled([accept(h, 'C1'), accept(h, 'C2')]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(refundedTotal(m)).toBe(700_000);
    });
  });

  it('keeps a cancelled order cancelled when the supplier confirms at the same moment', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      await withOrder(
        async (h, m) => {
          await h.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
          const [confirmed, cancelled] = await Promise.allSettled([
            h.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] }),
            h.executeUpdate(cancelOrderUpdate, { args: [{ actor: buyer, reason: 'changed plans' }] }),
          ]);
          const s = await state(h);
          if (cancelled.status === 'fulfilled') {
            // Cancelled (before or after the confirmation): it stays cancelled, with nothing open.
            expect(s.status).toBe('CANCELLED');
            expect(events(m).at(-1)).toBe('CANCELLED');
            const final = await h.result();
            expect(final.status).toBe('CANCELLED');
            expect(final.deadlines).toEqual([]);
            expect(m.calls.coverageReleases.length).toBeGreaterThanOrEqual(m.calls.reservations.length);
          } else {
            // Refused while the confirmation was reserving coverage: the order is confirmed.
            expect(confirmed.status).toBe('fulfilled');
            expect((cancelled.reason as { cause?: ApplicationFailure }).cause?.message).toMatch(/^cannot cancel/);
            expect(s.status).toBe('CONFIRMED');
            expect(s.deadlines?.map((d) => d.kind)).toContain('deposit-due');
          }
          expect(TERMINAL_STATUSES.includes(s.status) || s.deadlines?.length).toBeTruthy();
        },
        {
          // A slow coverage reservation leaves the confirmation in flight when the cancellation arrives.
          prepare: (mocks) => {
            const reserve = mocks.activities.reserveCoverage;
            mocks.activities.reserveCoverage = async (req) => {
              await new Promise((resolve) => setTimeout(resolve, 200));
              return reserve(req);
            };
          },
        },
      );
    }
  });
});

describe('bounded histories', () => {
  const file = (n: number, size = 2048) => ({ fileId: `f${n}`, name: `photo-${n}.jpg`, contentType: 'image/jpeg', size, sha256: n.toString(16).padStart(64, '0') });

  it('answers each Update with a small acknowledgement, not the order', async () => {
    await withOrder(async (h) => {
      await confirm(h);
      const ack = await h.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] }).catch(() => undefined);
      expect(ack).toBeUndefined();
      await payAll(h);
      const opened = await openClaim(h);
      expect(opened).toEqual({ orderId: expect.any(String), status: 'PAID', revision: expect.any(Number), claimId: 'C1' });
      expect(JSON.stringify(opened).length).toBeLessThan(120);
    });
  });

  it('caps the evidence files and bytes each party adds to a claim, naming the limit', async () => {
    await withOrder(async (h) => {
      await confirm(h);
      await payAll(h);
      await openClaim(h);
      for (let n = 1; n <= 20; n++) await h.executeUpdate(addEvidenceUpdate, { args: [{ actor: buyer, claimId: 'C1', file: file(n) }] });
      const refused = await refusal(h.executeUpdate(addEvidenceUpdate, { args: [{ actor: buyer, claimId: 'C1', file: file(21) }] }));
      expect(refused.message).toBe('cannot add evidence: the buyer has added 20 files to claim C1, the most allowed (limit maxEvidenceFilesPerParty = 20)');
      // A file the claim already holds from the buyer, sent again (a retry), is refused as held before it
      // is accepted (the API answers it as the first): it records nothing and adds nothing to the history.
      const revision = (await state(h)).revision;
      // No Update is accepted (the test server records a workflow task for a rejected Update; a real
      // server drops it: test/e2e/evidence-uploads.test.ts sees no event at all).
      const accepted = async () =>
        (await h.fetchHistory()).events?.filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED).length;
      const acceptedBefore = await accepted();
      const repeat = await h.executeUpdate(addEvidenceUpdate, { args: [{ actor: buyer, claimId: 'C1', file: file(7) }] }).catch((err: Error) => err.cause);
      expect(repeat).toBeInstanceOf(ApplicationFailure);
      expect(repeat).toMatchObject({ type: EVIDENCE_HELD, message: `claim C1 already holds this file (${file(7).sha256}) from the buyer` });
      expect((await state(h)).revision).toBe(revision);
      expect(await accepted()).toBe(acceptedBefore);
      expect((await state(h)).claims?.[0].evidence.filter((e) => e.uploadedBy === 'buyer')).toHaveLength(20);
      // The supplier's own allowance is untouched by the buyer's uploads, and has a byte limit too.
      await h.executeUpdate(addEvidenceUpdate, { args: [{ actor: supplier, claimId: 'C1', file: file(100, 30 * 1024 * 1024) }] });
      const big = await refusal(h.executeUpdate(addEvidenceUpdate, { args: [{ actor: supplier, claimId: 'C1', file: file(101, 30 * 1024 * 1024) }] }));
      expect(big.message).toMatch(/over the limit maxEvidenceBytesPerParty = 52428800 bytes$/);
      expect((await state(h)).claims?.[0].evidence).toHaveLength(21);
    });
  });

  it("sends the order's view with each change while it is short, and its row alone once the view outgrows ORDER_VIEW_MAX_CHARS", async () => {
    await withOrder(async (h, m) => {
      await confirm(h);
      await payAll(h);
      await openClaim(h);
      for (let n = 1; n <= 20; n++) {
        await h.executeUpdate(addEvidenceUpdate, { args: [{ actor: buyer, claimId: 'C1', file: file(n) }] });
        await h.executeUpdate(addEvidenceUpdate, { args: [{ actor: supplier, claimId: 'C1', file: file(200 + n) }] });
      }
      const s = await state(h);
      expect(JSON.stringify(s).length).toBeGreaterThan(ORDER_VIEW_MAX_CHARS);
      const changes = m.calls.changes;
      expect(changes.map((c) => c.order.revision)).toEqual(changes.map((_, i) => i + 1));
      // Short views travel whole and the row is the one derived from them; from the first view past the
      // limit on, every change sends the row alone (the API answers such an order's actions by a Query).
      const firstRowOnly = changes.findIndex((c) => c.view === undefined);
      expect(firstRowOnly).toBeGreaterThan(5);
      for (const c of changes.slice(0, firstRowOnly)) {
        expect(c.view?.revision).toBe(c.order.revision);
        expect(JSON.stringify(c.view).length).toBeLessThanOrEqual(ORDER_VIEW_MAX_CHARS);
      }
      expect(changes.slice(firstRowOnly).every((c) => c.view === undefined)).toBe(true);
      expect(changes.at(-1)?.order).toMatchObject({ revision: s.revision, status: s.status, paidAmount: s.amounts.paid, heldAmount: s.amounts.held, deadlines: s.deadlines });
    });
  });

  it('caps the claims one order takes', async () => {
    await withOrder(async (h) => {
      await confirm(h);
      await payAll(h);
      for (let n = 1; n <= 8; n++) {
        await openClaim(h, 'QUALITY_MISMATCH', 1_000);
        await h.executeUpdate(withdrawClaimUpdate, { args: [{ actor: buyer, claimId: `C${n}` }] });
      }
      const ninth = await refusal(openClaim(h, 'QUALITY_MISMATCH', 1_000));
      expect(ninth.message).toMatch(/an order takes at most 8 claims \(limit maxClaims\)/);
    });
  });
});

describe('effects that fail for good', () => {
  it('puts a change the database refuses on the ops queue, and the order goes on', async () => {
    await withOrder(
      async (h, m) => {
        await confirm(h);
        await payAll(h);
        // The API refuses such text; an activity refusing data for good must not jam the order either.
        await openClaim(h, 'QUALITY_MISMATCH', 10_000);
        expect(m.calls.effectFailures).toEqual([
          expect.objectContaining({ resource: 'order', resourceId: expect.any(String), effect: 'CLAIM_OPENED:record', error: expect.stringMatching(/22P02/) }),
        ]);
        const s = await after(h, h.executeUpdate(withdrawClaimUpdate, { args: [{ actor: buyer, claimId: 'C1' }] }));
        expect(s.failedEffects).toBe(1);
        expect(events(m).at(-1)).toBe('CLAIM_WITHDRAWN');
      },
      {
        prepare: (mocks) => {
          const record = mocks.activities.recordOrderChange;
          mocks.activities.recordOrderChange = async (change) => {
            if (change.event.type === 'CLAIM_OPENED') throw ApplicationFailure.create({ type: 'DataError', message: 'recordOrderChange: PostgreSQL 22P02', nonRetryable: true });
            return record(change);
          };
        },
      },
    );
  });
});
