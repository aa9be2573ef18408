/**
 * Before both parties confirm: either party asks for changes with a message, the supplier revises the
 * draft (new terms, a new revision in the timeline), earlier confirmations are void and both confirm
 * again. On the time-skipping test server with in-memory activities.
 */
import { ACTION_REFUSED, ACTOR_NOT_ALLOWED } from '../../workflows/common';
import {
  OrderTermsInput,
  confirmByBuyerUpdate,
  confirmBySupplierUpdate,
  payUpdate,
  requestChangesUpdate,
  reviseDraftUpdate,
} from '../../workflows/order.messages';
import { DAY, HOUR, orderWorkflowHarness } from '../support/order-workflow-harness';
import { buyer, ops, supplier } from '../support/order-fixtures';

const { withOrder, currentTime, state, after, refusal, events, confirm, skip } = orderWorkflowHarness();

const revisedTerms = async (overrides: Partial<OrderTermsInput> = {}): Promise<OrderTermsInput> => ({
  currency: 'USD',
  items: [
    { sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 400, unitPrice: 1250 },
    { sku: 'USB-C-1M', description: 'USB-C cable', quantity: 400, unitPrice: 150 },
  ],
  depositAmount: 168_000,
  shippingDate: new Date((await currentTime()) + 25 * DAY).toISOString().slice(0, 10),
  qualityRequirements: 'golden sample v2',
  ...overrides,
});

describe('changes to the draft before both confirm', () => {
  it("voids the buyer's confirmation when changes are asked for; the supplier revises; both confirm the new terms", async () => {
    await withOrder(async (h, m) => {
      await h.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      const asked = await after(h, h.executeUpdate(requestChangesUpdate, { args: [{ actor: buyer, message: 'please make it 400 units, shipping a week later' }] }));
      expect(asked).toMatchObject({ status: 'DRAFT', changesPending: true });
      expect(asked.changeRequests).toEqual([{ by: 'buyer', message: 'please make it 400 units, shipping a week later', at: expect.any(String), revision: 1 }]);
      const askedChange = m.calls.changes.at(-1)!;
      expect(askedChange.event).toMatchObject({ type: 'CHANGES_REQUESTED', data: { by: 'buyer', revision: 1, voidedConfirmation: true } });
      expect(askedChange.notices?.parties).toMatchObject({ partyIds: ['supplier-1'], subject: expect.stringMatching(/changes requested/) });

      // Nobody confirms the old terms while changes are pending.
      const buyerConfirms = await refusal(h.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] }));
      expect(buyerConfirms.message).toMatch(/^cannot confirm as buyer: the buyer asked for changes at .* \("please make it 400 units, shipping a week later"\); the supplier revises the draft first$/);
      const supplierConfirms = await refusal(h.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] }));
      expect(supplierConfirms.message).toBe('cannot confirm as supplier: the buyer has not confirmed the purchase order yet');
      const buyerRevises = await refusal(h.executeUpdate(reviseDraftUpdate, { args: [{ actor: buyer, terms: await revisedTerms() }] }));
      expect(buyerRevises.type).toBe(ACTOR_NOT_ALLOWED);

      await skip(10 * DAY);
      const terms = await revisedTerms();
      const revised = await after(h, h.executeUpdate(reviseDraftUpdate, { args: [{ actor: supplier, terms, message: '400 units as asked' }] }));
      expect(revised).toMatchObject({ status: 'DRAFT', draftRevision: 2, changesPending: false, terms, shippingDate: terms.shippingDate });
      expect(revised.amounts).toMatchObject({ total: 560_000, deposit: 168_000, balance: 392_000 });
      // A new revision has its own 14 days to be confirmed.
      const expiry = revised.deadlines!.find((d) => d.kind === 'draft-expiry')!;
      expect(Date.parse(expiry.dueAt) - Date.parse(revised.updatedAt)).toBe(14 * DAY);
      const revisedChange = m.calls.changes.at(-1)!;
      expect(revisedChange.event).toMatchObject({
        type: 'DRAFT_REVISED',
        data: { revision: 2, total: 560_000, deposit: 168_000, previous: { total: 700_000, deposit: 210_000 }, message: '400 units as asked' },
      });
      expect(revisedChange.order).toMatchObject({ totalAmount: 560_000, depositAmount: 168_000, shippingDate: terms.shippingDate });
      expect(revisedChange.notices?.parties).toMatchObject({ partyIds: ['buyer-1'], subject: `[TradeGuard ${revised.orderId}] purchase order revised (revision 2): please review and confirm` });

      await skip(5 * DAY); // past the first draft's 14 days: the revision's own window runs
      await confirm(h);
      const confirmed = await state(h);
      expect(confirmed.status).toBe('CONFIRMED');
      expect(m.calls.reservations.at(-1)).toMatchObject({ requested: 560_000 });
      const oldDeposit = await refusal(h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] }));
      expect(oldDeposit.message).toBe('deposit must be 1,680.00 USD as agreed on the purchase order, not 2,100.00 USD');
      expect(events(m)).toEqual(['DRAFTED', 'BUYER_CONFIRMED', 'CHANGES_REQUESTED', 'DRAFT_REVISED', 'BUYER_CONFIRMED', 'SUPPLIER_CONFIRMED']);
    });
  });

  it('lets the supplier ask for changes too (the buyer is told), and ops revise on its behalf', async () => {
    await withOrder(async (h, m) => {
      await h.executeUpdate(requestChangesUpdate, { args: [{ actor: supplier, message: 'the cable is discontinued; offering the 2 m one' }] });
      expect(m.calls.changes.at(-1)!.notices?.parties?.partyIds).toEqual(['buyer-1']);
      const terms = await revisedTerms({ items: [{ sku: 'USB-C-2M', description: 'USB-C cable 2 m', quantity: 500, unitPrice: 180 }], depositAmount: 27_000 });
      const revised = await after(h, h.executeUpdate(reviseDraftUpdate, { args: [{ actor: ops, terms }] }));
      expect(revised).toMatchObject({ draftRevision: 2, amounts: { total: 90_000, deposit: 27_000 } });
    });
  });

  it('refuses changes once both have confirmed, and revisions that break the draft rules or change the currency', async () => {
    await withOrder(async (h) => {
      const tooLarge = await refusal(h.executeUpdate(reviseDraftUpdate, { args: [{ actor: supplier, terms: await revisedTerms({ depositAmount: 900_000 }) }] }));
      expect(tooLarge.message).toBe('cannot revise the draft: terms.depositAmount: the deposit cannot exceed the order total');
      const euro = await refusal(h.executeUpdate(reviseDraftUpdate, { args: [{ actor: supplier, terms: await revisedTerms({ currency: 'EUR' }) }] }));
      expect(euro.message).toBe('cannot revise the currency: the purchase order is in USD; cancel it and draft a new one in EUR');
      await confirm(h);
      const late = await refusal(h.executeUpdate(requestChangesUpdate, { args: [{ actor: buyer, message: 'one more thing' }] }));
      expect(late.type).toBe(ACTION_REFUSED);
      expect(late.message).toBe('cannot request changes: changes are asked for before both parties confirm the purchase order (order is CONFIRMED)');
      const lateRevision = await refusal(h.executeUpdate(reviseDraftUpdate, { args: [{ actor: supplier, terms: await revisedTerms() }] }));
      expect(lateRevision.message).toMatch(/^cannot revise the draft: a purchase order is revised before both parties confirm it/);
    });
  });

  it('caps the requests for changes and the revisions of one draft, naming the limit', async () => {
    await withOrder(async (h) => {
      for (let i = 0; i < 20; i++) await h.executeUpdate(requestChangesUpdate, { args: [{ actor: i % 2 ? buyer : supplier, message: `round ${i}` }] });
      const more = await refusal(h.executeUpdate(requestChangesUpdate, { args: [{ actor: buyer, message: 'again' }] }));
      expect(more.message).toMatch(/the most allowed \(limit maxChangeRequests = 20\)/);
      for (let i = 2; i <= 10; i++) await h.executeUpdate(reviseDraftUpdate, { args: [{ actor: supplier, terms: await revisedTerms({ depositAmount: 100_000 + i }) }] });
      expect((await state(h)).draftRevision).toBe(10);
      const eleventh = await refusal(h.executeUpdate(reviseDraftUpdate, { args: [{ actor: supplier, terms: await revisedTerms() }] }));
      expect(eleventh.message).toMatch(/it is at revision 10, the most allowed \(limit maxDraftRevisions = 10\)/);
      await skip(HOUR);
    });
  });
});
