/**
 * End to end: many evidence uploads at the same time to one claim and to one after-service case,
 * through the API on the real stack. Different files and copies of one file from each party that may
 * add evidence, then a burst that races the claim's withdrawal or the case's closing, then uploads
 * after it. Asserted: no 5xx; each refusal is a 409 in the error shape; every accepted file is
 * recorded once in the claim or case, once in its timeline, stored and downloadable with the same
 * bytes; a refused file is in none of them, nor in storage.
 *
 * These uploads used to answer 503 (before that 500) under a burst: each one read the order or case
 * by a Query first, and Temporal buffers one Query per workflow while a workflow task runs, so the
 * Queries were refused (RESOURCE_EXHAUSTED). They also stored the file before the workflow refused
 * it, and a claim recorded the same bytes once per request.
 *
 *   UPLOAD_ROUNDS=10 npx jest test/e2e/evidence-uploads.test.ts   # repeat the bursts
 */
import { uniqueId } from '../support/env';
import { apiClient, expectError, orderThrough, Parties, registerParties, startTestStack, TestStack } from '../support/stack';
import { expectDownloads, expectNoServerErrors, filesOf, png, Sent, sha, storedOf, upload } from '../support/uploads';

let stack: TestStack;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startTestStack();
  call = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
});

/** An order of 7,000.00 USD, paid, shipped and delivered. */
const deliveredOrder = (p: Parties): Promise<string> => orderThrough(stack, p, 'delivered');

async function claimOn(p: Parties): Promise<{ orderId: string; evidenceRoute: string }> {
  const orderId = await deliveredOrder(p);
  const opened = await call(p.buyerKey, 'POST', `/orders/${orderId}/claims`, { cause: 'QUALITY_MISMATCH', refundAsked: 150_000, description: 'colour differs from the golden sample' });
  expect(opened.status).toBe(201);
  return { orderId, evidenceRoute: `/orders/${orderId}/claims/C1/evidence` };
}

interface Upload {
  key: string;
  bytes: Buffer;
}

/** `count` different pictures and `copies` copies of one more, sent with `key`. */
function pictures(key: string, tag: string, count: number, copies = 0): Upload[] {
  const copy = png(uniqueId(`${tag}-copy`));
  return [...Array.from({ length: count }, (_, i) => ({ key, bytes: png(uniqueId(`${tag}${i}`)) })), ...Array.from({ length: copies }, () => ({ key, bytes: copy }))];
}

/**
 * Sends every upload at once, each starting a few milliseconds after the one before: a burst as
 * clients send it, so that requests arrive while the workflow is busy with the earlier ones.
 */
const sendAll = (route: string, uploads: Upload[]): Promise<Sent[]> =>
  Promise.all(
    uploads.map(async (u, i) => {
      await new Promise((r) => setTimeout(r, i * 10));
      return upload(stack, u.key, `${route}?name=evidence-${i}.png`, 'image/png', u.bytes);
    }),
  );

const shasOf = (sent: Sent[], accepted: boolean) => new Set(sent.filter((s) => (s.reply.status === 201) === accepted).map((s) => s.sha256));
const bytesBySha = (uploads: Upload[]) => new Map(uploads.map((u) => [sha(u.bytes), u.bytes]));
const sorted = (values: Iterable<string>) => [...values].sort();

describe('concurrent evidence uploads', () => {
  const rounds = Number(process.env.UPLOAD_ROUNDS ?? 1);
  for (let round = 1; round <= rounds; round++) {
    const suffix = rounds > 1 ? ` (round ${round})` : '';

    it(`to one claim: records each accepted file once, leaves no trace of a refused one${suffix}`, async () => {
      const p = await registerParties(stack);
      const { orderId, evidenceRoute } = await claimOn(p);
      const claimOf = async () => (await call(p.buyerKey, 'GET', `/orders/${orderId}`)).body.order.claims[0] as { status: string; evidence: { fileId: string; uploadedBy: string }[] };
      const timelineFiles = async () =>
        ((await call(p.buyerKey, 'GET', `/orders/${orderId}/timeline`)).body.events as { type: string; data: { fileId?: string } }[])
          .filter((e) => e.type === 'CLAIM_EVIDENCE_ADDED')
          .map((e) => e.data.fileId!);

      // 22 buyer uploads (16 different, 6 copies of one: 17 files) and 6 supplier files, at once.
      const buyerFiles = pictures(p.buyerKey, 'buyer', 16, 6);
      const supplierFiles = pictures(p.supplierKey, 'supplier', 6);
      const first = await sendAll(evidenceRoute, [...buyerFiles, ...supplierFiles]);
      expectNoServerErrors(first);
      expect(first.map((s) => s.reply.status)).toEqual(first.map(() => 201));
      for (const s of first) {
        expect(s.reply.body.file).toMatchObject({ fileId: s.sha256 });
        expect(s.reply.body.order.claims[0].evidence.map((f: { fileId: string }) => f.fileId)).toContain(s.sha256);
      }
      const accepted = shasOf(first, true);
      expect(accepted.size).toBe(23);
      let claim = await claimOf();
      expect(sorted(claim.evidence.map((f) => f.fileId))).toEqual(sorted(accepted));
      const supplierShas = new Set(supplierFiles.map((u) => sha(u.bytes)));
      expect(claim.evidence.filter((f) => f.uploadedBy === 'supplier').map((f) => f.fileId).sort()).toEqual(sorted(supplierShas));
      expect(sorted(await timelineFiles())).toEqual(sorted(accepted));
      const allFirst = [...buyerFiles, ...supplierFiles];
      expect(storedOf(stack, new Set(allFirst.map((u) => sha(u.bytes))))).toEqual(filesOf(accepted));
      await expectDownloads(stack, p.supplierKey, (fileId) => `/orders/${orderId}/claims/C1/evidence/${fileId}`, bytesBySha(allFirst));

      // 12 more (8 different, 4 copies of one) while the buyer withdraws the claim: each is taken or refused whole.
      const racing = [...pictures(p.buyerKey, 'race', 4, 4), ...pictures(p.supplierKey, 'race-supplier', 4)];
      const [withdrawn, second] = await Promise.all([
        new Promise((r) => setTimeout(r, 20)).then(() => call(p.buyerKey, 'POST', `/orders/${orderId}/claims/C1/withdraw`, {})),
        sendAll(evidenceRoute, racing),
      ]);
      expect(withdrawn.status).toBe(200);
      expectNoServerErrors(second);
      const copies = second.filter((s) => s.sha256 === sha(racing[7].bytes));
      expect(new Set(copies.map((s) => s.reply.status)).size).toBe(1);
      const acceptedRacing = shasOf(second, true);
      const refusedRacing = shasOf(second, false);
      expect(sorted([...refusedRacing].filter((s) => acceptedRacing.has(s)))).toEqual([]);
      const acceptedAll = new Set([...accepted, ...acceptedRacing]);
      claim = await claimOf();
      expect(claim.status).toBe('CLOSED');
      expect(sorted(claim.evidence.map((f) => f.fileId))).toEqual(sorted(acceptedAll));
      expect(sorted(await timelineFiles())).toEqual(sorted(acceptedAll));
      expect(storedOf(stack, new Set(racing.map((u) => sha(u.bytes))))).toEqual(filesOf(acceptedRacing));

      // After the withdrawal every upload is refused, and leaves nothing behind.
      const late = pictures(p.buyerKey, 'late', 3, 3);
      const third = await sendAll(evidenceRoute, late);
      expectNoServerErrors(third);
      expect(third.map((s) => s.reply.status)).toEqual(third.map(() => 409));
      expect(storedOf(stack, new Set(late.map((u) => sha(u.bytes))))).toEqual([]);
      expect((await claimOf()).evidence).toHaveLength(acceptedAll.size);
    });

    it(`to one claim: the same file sent again and again is answered as the first each time, and adds nothing to the order's history${suffix}`, async () => {
      const p = await registerParties(stack);
      const { orderId, evidenceRoute } = await claimOn(p);
      const [bytes] = pictures(p.buyerKey, 'repeat', 1).map((u) => u.bytes);
      const first = await upload(stack, p.buyerKey, `${evidenceRoute}?name=crack.png`, 'image/png', bytes);
      expect(first.reply.status).toBe(201);
      const historyLength = async () => ((await stack.client.workflow.getHandle(`order:${orderId}`).fetchHistory()).events ?? []).length;
      const before = await historyLength();
      for (let i = 0; i < 20; i++) {
        const again = await upload(stack, p.buyerKey, `${evidenceRoute}?name=crack.png`, 'image/png', bytes);
        expect(again.reply.status).toBe(201);
        expect(again.reply.body.file).toMatchObject({ fileId: sha(bytes) });
        expect(again.reply.body.order.claims[0].evidence.map((f: { fileId: string }) => f.fileId)).toEqual([sha(bytes)]);
      }
      expect(await historyLength()).toBe(before);
      // The other party's copy of the same bytes is its own evidence.
      const supplierCopy = await upload(stack, p.supplierKey, `${evidenceRoute}?name=crack.png`, 'image/png', bytes);
      expect(supplierCopy.reply.status).toBe(201);
      const claim = (await call(p.buyerKey, 'GET', `/orders/${orderId}`)).body.order.claims[0];
      expect(claim.evidence.map((f: { uploadedBy: string }) => f.uploadedBy)).toEqual(['buyer', 'supplier']);
    });

    it(`to one claim: the same file sent again after ops asked for evidence is recorded again and answers the request${suffix}`, async () => {
      const p = await registerParties(stack);
      const { orderId, evidenceRoute } = await claimOn(p);
      const [bytes] = pictures(p.buyerKey, 'again', 1).map((u) => u.bytes);
      const before = await sendAll(evidenceRoute, [{ key: p.buyerKey, bytes }, { key: p.buyerKey, bytes }]);
      expect(before.map((s) => s.reply.status)).toEqual([201, 201]);
      const asked = await call(stack.opsKey, 'POST', `/orders/${orderId}/claims/C1/evidence-requests`, {
        party: 'buyer',
        description: 'a photo of the carton label',
        dueAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
      });
      expect(asked.status).toBe(200);
      const again = await upload(stack, p.buyerKey, `${evidenceRoute}?name=label.png`, 'image/png', bytes);
      expect(again.reply.status).toBe(201);
      const claim = (await call(p.buyerKey, 'GET', `/orders/${orderId}`)).body.order.claims[0];
      expect(claim.evidence.map((f: { fileId: string }) => f.fileId)).toEqual([sha(bytes), sha(bytes)]);
      expect(claim.evidenceRequests.map((r: { status: string }) => r.status)).toEqual(['FULFILLED']);
    });

    it(`to one case: records each accepted file once, leaves no trace of a refused one${suffix}`, async () => {
      const p = await registerParties(stack);
      const orderId = await deliveredOrder(p);
      const opened = await call(p.buyerKey, 'POST', '/cases', { orderId, type: 'QUALITY', description: 'three speakers arrived with cracked grilles' });
      expect(opened.status).toBe(201);
      const caseId: string = opened.body.caseId;
      const evidenceRoute = `/cases/${caseId}/evidence`;
      const caseOf = async () => (await call(p.buyerKey, 'GET', `/cases/${caseId}`)).body.case as { status: string; evidence: { fileId: string; addedBy: string }[] };
      const timelineFiles = async () =>
        ((await call(p.buyerKey, 'GET', `/cases/${caseId}/timeline`)).body.events as { type: string; data: { fileId?: string } }[])
          .filter((e) => e.type === 'EVIDENCE_ADDED')
          .map((e) => e.data.fileId!);

      // 22 buyer uploads (16 different, 6 copies of one: 17 files) and 4 from ops, at once. The case
      // holds a file once: a copy is taken once, and the others refused as already attached.
      const buyerFiles = pictures(p.buyerKey, 'buyer', 16, 6);
      const opsFiles = pictures(stack.opsKey, 'ops', 4);
      const first = await sendAll(evidenceRoute, [...buyerFiles, ...opsFiles]);
      expectNoServerErrors(first);
      const copy = sha(buyerFiles[21].bytes);
      expect(first.filter((s) => s.sha256 !== copy).map((s) => s.reply.status)).toEqual(first.filter((s) => s.sha256 !== copy).map(() => 201));
      for (const s of first.filter((c) => c.sha256 === copy && c.reply.status !== 201)) expect(s.reply.body.error.message).toMatch(/is already attached to the case$/);
      for (const s of first.filter((c) => c.reply.status === 201)) {
        expect(s.reply.body.file).toMatchObject({ fileId: s.sha256 });
        expect(s.reply.body.case.evidence.map((f: { fileId: string }) => f.fileId)).toContain(s.sha256);
      }
      const accepted = shasOf(first, true);
      expect(accepted.size).toBe(21);
      let state = await caseOf();
      expect(sorted(state.evidence.map((f) => f.fileId))).toEqual(sorted(accepted));
      expect(sorted(await timelineFiles())).toEqual(sorted(accepted));
      const allFirst = [...buyerFiles, ...opsFiles];
      expect(storedOf(stack, new Set(allFirst.map((u) => sha(u.bytes))))).toEqual(filesOf(accepted));
      await expectDownloads(stack, p.buyerKey, (fileId) => `/cases/${caseId}/files/${fileId}`, bytesBySha(allFirst));

      // 12 more (8 different, 4 copies of one) while ops closes the case: each is taken or refused whole.
      const racing = [...pictures(p.buyerKey, 'race', 8, 4)];
      const [closed, second] = await Promise.all([
        new Promise((r) => setTimeout(r, 20)).then(() => call(stack.opsKey, 'POST', `/cases/${caseId}/resolve`, { kind: 'REJECTED', reason: 'the grilles were cracked in the buyer\'s warehouse' })),
        sendAll(evidenceRoute, racing),
      ]);
      expect(closed.status).toBe(200);
      expectNoServerErrors(second);
      expect(second.filter((s) => s.sha256 === sha(racing[11].bytes) && s.reply.status === 201).length).toBeLessThanOrEqual(1);
      const acceptedRacing = shasOf(second, true);
      const refusedRacing = new Set([...shasOf(second, false)].filter((s) => !acceptedRacing.has(s)));
      const acceptedAll = new Set([...accepted, ...acceptedRacing]);
      state = await caseOf();
      expect(state.status).toBe('CLOSED');
      expect(sorted(state.evidence.map((f) => f.fileId))).toEqual(sorted(acceptedAll));
      expect(sorted(await timelineFiles())).toEqual(sorted(acceptedAll));
      expect(storedOf(stack, new Set([...acceptedRacing, ...refusedRacing]))).toEqual(filesOf(acceptedRacing));
      await expectDownloads(stack, p.buyerKey, (fileId) => `/cases/${caseId}/files/${fileId}`, new Map([...bytesBySha(racing)].filter(([s]) => acceptedRacing.has(s))));

      // After the case closed every upload is refused, and leaves nothing behind.
      const late = pictures(p.buyerKey, 'late', 3, 3);
      const third = await sendAll(evidenceRoute, late);
      expectNoServerErrors(third);
      expect(third.map((s) => s.reply.status)).toEqual(third.map(() => 409));
      expect(storedOf(stack, new Set(late.map((u) => sha(u.bytes))))).toEqual([]);
      expectError(third[0].reply, 409, 'action_refused');
    });
  }
});
