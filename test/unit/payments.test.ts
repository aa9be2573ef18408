/**
 * The embedded sandbox card gateway: a token says nothing of the card number, any process charges
 * it, a key is one charge, a processing error is not remembered, and the journal lists every call;
 * a charge whose answer is lost, in the sandbox and as the Stripe adapter reads Stripe's answers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { CardDetails, SandboxCardGateway, StripeGateway, TokenizedCard } from '../../adapters/payments';

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

describe('a charge whose answer is lost', () => {
  it('sandbox: the answer-lost card is charged on the first request, answers unknown 4 times, then answers that first charge', async () => {
    const gateway = new SandboxCardGateway();
    const t = await tokenOf(gateway, SandboxCardGateway.TEST_CARDS.answerLost);
    const ask = () => gateway.charge({ idempotencyKey: 'monitoring:PM-1:fee:lost', paymentMethod: t.token, amount: 29_900, currency: 'USD' });
    const answers = [];
    for (let i = 0; i < SandboxCardGateway.LOST_ANSWERS + 2; i++) answers.push(await ask());
    expect(answers.map((a) => a.status)).toEqual(['unknown', 'unknown', 'unknown', 'unknown', 'succeeded', 'succeeded']);
    expect(new Set(answers.slice(4).map((a) => a.paymentId)).size).toBe(1);
  });

  it('Stripe: no answer (the connection fails) and a 5xx are unknown, a 402 is declined, a 4xx error is an error', async () => {
    const replies: { status: number; body: unknown }[] = [];
    const server = http.createServer((req, res) => {
      const reply = replies.shift();
      if (!reply) {
        req.socket.destroy();
        return;
      }
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as { port: number };
      const stripe = new StripeGateway('sk_test_x', `http://127.0.0.1:${port}`);
      const ask = () => stripe.charge({ idempotencyKey: 'monitoring:PM-1:fee:pm_1', paymentMethod: 'pm_1', amount: 29_900, currency: 'USD' });
      expect(await ask()).toMatchObject({ status: 'unknown', reason: expect.stringMatching(/^no answer from Stripe/) });
      replies.push({ status: 500, body: { error: { message: 'An unknown error occurred' } } });
      expect(await ask()).toMatchObject({ status: 'unknown', reason: 'An unknown error occurred' });
      replies.push({ status: 402, body: { error: { code: 'card_declined', message: 'Your card was declined.' } } });
      expect(await ask()).toMatchObject({ status: 'declined', reason: 'Your card was declined.' });
      replies.push({ status: 400, body: { error: { code: 'parameter_invalid', message: 'Invalid currency' } } });
      expect(await ask()).toMatchObject({ status: 'error', reason: 'Invalid currency' });
      replies.push({ status: 200, body: { id: 'pi_1', status: 'succeeded' } });
      expect(await ask()).toEqual({ paymentId: 'pi_1', status: 'succeeded', reason: undefined });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
