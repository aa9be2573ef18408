/**
 * The embedded sandbox card gateway: a token says nothing of the card number, any process charges
 * it, a key is one charge, a processing error is not remembered, and the journal lists every call.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CardDetails, SandboxCardGateway, TokenizedCard } from '../../adapters/payments';

const card = (number: string): CardDetails => ({ number, expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' });

async function tokenOf(gateway: SandboxCardGateway, number: string): Promise<TokenizedCard> {
  const t = await gateway.tokenize(card(number));
  if (t.status !== 'succeeded') throw new Error(`not tokenized: ${t.reason}`);
  return t;
}

describe('sandbox card gateway', () => {
  it('tokenizes a card into brand, last four and a token that carries neither the number nor its plain hash', async () => {
    const api = new SandboxCardGateway();
    const t = await tokenOf(api, '4242 4242 4242 4242');
    expect(t).toMatchObject({ brand: 'visa', last4: '4242' });
    expect(t.token).not.toContain('4242424242424242');
    expect((await tokenOf(api, '4242424242424242')).token).toBe(t.token);
    // Another gateway (another process) makes another token for the same card.
    expect((await tokenOf(new SandboxCardGateway(), '4242424242424242')).token).not.toBe(t.token);
    expect((await tokenOf(api, '5555555555554444')).brand).toBe('mastercard');
  });

  it("charges a token another process made, once per key, and refunds no more than the charge", async () => {
    const api = new SandboxCardGateway();
    const worker = new SandboxCardGateway();
    const { token } = await tokenOf(api, '4242424242424242');
    const first = await worker.charge({ idempotencyKey: 'monitoring:PM-1:fee:x', paymentMethod: token, amount: 29_900, currency: 'USD' });
    expect(first).toMatchObject({ status: 'succeeded' });
    // A restarted worker asked again with the key answers for the same charge.
    const again = await new SandboxCardGateway().charge({ idempotencyKey: 'monitoring:PM-1:fee:x', paymentMethod: token, amount: 29_900, currency: 'USD' });
    expect(again.paymentId).toBe(first.paymentId);
    expect(await worker.refund({ idempotencyKey: 'r1', paymentId: first.paymentId, amount: 20_000 })).toMatchObject({ status: 'succeeded' });
    expect(await worker.refund({ idempotencyKey: 'r2', paymentId: first.paymentId, amount: 10_000 })).toMatchObject({ status: 'failed', reason: 'refunds would exceed the amount charged' });
  });

  it('declines the declined test card and a token it did not make; a processing error may be retried with the same key', async () => {
    const gateway = new SandboxCardGateway();
    const declined = await tokenOf(gateway, '4000000000000002');
    expect(await gateway.charge({ idempotencyKey: 'k1', paymentMethod: declined.token, amount: 100, currency: 'USD' })).toMatchObject({ status: 'declined', reason: 'the card was declined by its issuer; use another card' });
    expect(await gateway.charge({ idempotencyKey: 'k2', paymentMethod: 'pm_made_up', amount: 100, currency: 'USD' })).toMatchObject({ status: 'declined' });
    const failing = await tokenOf(gateway, '4000000000000119');
    expect((await gateway.charge({ idempotencyKey: 'k3', paymentMethod: failing.token, amount: 100, currency: 'USD' })).status).toBe('error');
    const ok = await tokenOf(gateway, '4242424242424242');
    // The key that met an error is free: the same key with a working card is charged.
    expect((await gateway.charge({ idempotencyKey: 'k3', paymentMethod: ok.token, amount: 100, currency: 'USD' })).status).toBe('succeeded');
  });

  it('appends every charge and refund to its journal, from every gateway writing to it', async () => {
    const journal = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tradeguard-payments-')), 'payments.jsonl');
    const a = new SandboxCardGateway(journal);
    const b = new SandboxCardGateway(journal);
    const { token } = await tokenOf(a, '4242424242424242');
    const charged = await a.charge({ idempotencyKey: 'k', paymentMethod: token, amount: 500, currency: 'USD' });
    await b.charge({ idempotencyKey: 'k', paymentMethod: token, amount: 500, currency: 'USD' });
    await b.refund({ idempotencyKey: 'r', paymentId: charged.paymentId, amount: 500 });
    const lines = fs.readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { kind: 'charge', idempotencyKey: 'k', status: 'succeeded' },
      { kind: 'charge', idempotencyKey: 'k', status: 'succeeded' },
      { kind: 'refund', idempotencyKey: 'r', status: 'succeeded' },
    ]);
    fs.rmSync(path.dirname(journal), { recursive: true, force: true });
  });
});
