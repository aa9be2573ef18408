/** What an order's emails say (workflows/order.notices.ts): amounts in the order's currency, and the parts that depend on the change. */
import { orderNotices } from '../../workflows/order.notices';

const say = orderNotices('PO-7', 'USD');

describe("an order's notices", () => {
  it('name the order and give amounts in its currency', () => {
    expect(say.buyerConfirmed(700_000)).toEqual({
      subject: 'buyer confirmed the purchase order',
      text: 'The buyer confirmed purchase order PO-7 (7,000.00 USD). Please confirm it to accept all terms.',
    });
    expect(orderNotices('PO-8', 'JPY').completed(70_000).text).toBe('Order PO-8 is complete. 70,000 JPY was released from escrow to the supplier.');
  });

  it('warn the buyer when the deposit exceeds what Trade Assurance covers, and only then', () => {
    expect(say.confirmed({ deposit: 210_000, depositDueDays: 7, covered: 700_000 }).text).not.toContain('Note:');
    expect(say.confirmed({ deposit: 210_000, depositDueDays: 7, covered: 200_000 }).text).toMatch(
      /Trade Assurance covers 2,000\.00 USD of this order\. Note: the deposit exceeds the covered amount by 100\.00 USD; only 2,000\.00 USD is protected\.$/,
    );
  });

  it('say what a cancellation refunds only when it refunds something', () => {
    expect(say.cancelled({ reason: 'the buyer withdrew' }).text).toBe('Order PO-7 is cancelled: the buyer withdrew.');
    expect(say.cancelled({ reason: 'the buyer withdrew', refunded: 210_000 }).text).toBe('Order PO-7 is cancelled: the buyer withdrew. 2,100.00 USD held in escrow is refunded to the buyer.');
  });

  it("name the buyer's request a draft answers, the party that asked for changes, and what a payment leaves due", () => {
    expect(say.drafted({ supplierId: 'S-1', requestId: 'RQ-3', total: 700_000, deposit: 210_000, shippingDate: '2027-01-10' }).text).toBe(
      'Supplier S-1 drafted purchase order PO-7 from your request RQ-3 for 7,000.00 USD (deposit 2,100.00 USD, shipping by 2027-01-10). Please review and confirm it, or ask for changes.',
    );
    expect(say.changesRequested({ by: 'buyer', revision: 2, message: 'fewer units', voided: true }).text).toContain("(revision 2): fewer units. The supplier revises the draft; then both parties confirm it again. The buyer's earlier confirmation no longer counts.");
    expect(say.paid({ kind: 'deposit', amount: 210_000, fullyPaid: false, shippingDate: '2027-01-10', balance: 490_000 })).toEqual({
      subject: 'deposit of 2,100.00 USD received and held in escrow',
      text: 'The deposit of 2,100.00 USD for order PO-7 is held in escrow. The balance of 4,900.00 USD is due before shipment.',
    });
    expect(say.paid({ kind: 'balance', amount: 490_000, fullyPaid: true, shippingDate: '2027-01-10', balance: 490_000 }).text).toBe(
      'Payment of 4,900.00 USD for order PO-7 is held in escrow. The order is fully paid; the supplier may ship by 2027-01-10.',
    );
  });

  it('page ops leads with what to do about a refund that was not paid', () => {
    expect(say.refundPaymentFailed({ claimId: 'C1', amount: 100_000, buyerId: 'B-1', failure: 'account closed', dueAt: '2027-01-20T00:00:00.000Z' })).toEqual({
      subject: 'FAILED: refund on claim C1 not paid',
      text: 'The payment adapter refused to pay the refund of 1,000.00 USD on claim C1 (order PO-7) to buyer B-1: account closed. Pay it by hand by 2027-01-20T00:00:00.000Z.',
    });
  });

  it("tell the parties of a claim's refund what was asked, when it is paid and what stays held", () => {
    expect(say.claimRefunded({ claimId: 'C1', refund: 50_000, reason: 'accepted by the supplier' }).text).toBe('Claim C1 on order PO-7: 500.00 USD is refunded to the buyer (accepted by the supplier).');
    expect(
      say.claimRefunded({ claimId: 'C2', refund: 50_000, reason: 'decided by ops', capped: ' (1,000.00 USD asked; 500.00 USD was still refundable on this order)', paidBy: '2027-01-20T00:00:00.000Z', paymentDays: 7, restHeld: true }),
    ).toEqual({
      subject: 'claim C2 decided: refund of 500.00 USD',
      text:
        'Claim C2 on order PO-7: 500.00 USD is refunded to the buyer (decided by ops) (1,000.00 USD asked; 500.00 USD was still refundable on this order).' +
        ' It is paid to the buyer by 2027-01-20T00:00:00.000Z (7 working days). The rest of the held funds stay in escrow until every open claim is closed.',
    });
  });

  it("put a supplier's counter-offer and rejection to the buyer with what the buyer may do", () => {
    const counter = say.claimAnswered({ claimId: 'C1', kind: 'counter', counterAmount: 30_000, message: 'minor scratches', escalationFrom: '2027-01-05T00:00:00.000Z' });
    expect(counter.subject).toBe('claim C1: counter-offer of 300.00 USD');
    expect(counter.text).toBe('On claim C1 (order PO-7) the supplier offers 300.00 USD: minor scratches. You may accept the offer or escalate to the platform from 2027-01-05T00:00:00.000Z.');
    const rejected = say.claimAnswered({ claimId: 'C1', kind: 'reject', counterAmount: 0, message: 'as agreed', escalationFrom: '2027-01-05T00:00:00.000Z' });
    expect(rejected).toEqual({ subject: 'claim C1: rejected by the supplier', text: 'On claim C1 (order PO-7) the supplier rejects the claim: as agreed. You may escalate to the platform from 2027-01-05T00:00:00.000Z.' });
  });
});
