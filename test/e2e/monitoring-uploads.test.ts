/**
 * End to end: many uploads to one monitoring task at the same time, through the API on the real stack.
 * Sample pictures (different files, and copies of one file, more than the task takes) together with
 * progress photos, then reports (only one of which the inspection takes). Asserted: no 5xx; each
 * refusal is a 409 in the error shape; every accepted file is recorded once in the task, once in its
 * timeline, stored and downloadable; a refused file is in none of them, nor in storage.
 *
 * These uploads used to answer 500 now and then: each one read the task by a Query first, and
 * Temporal buffers one Query per workflow while a workflow task runs, so under a burst of Updates the
 * Queries failed (RESOURCE_EXHAUSTED, retried, then DEADLINE_EXCEEDED) and the API did not map them.
 *
 *   UPLOAD_ROUNDS=10 npx jest test/e2e/monitoring-uploads.test.ts   # repeat the burst
 */
import { getCalendar, localDate } from '../../workflows/calendar';
import { uniqueId } from '../support/env';
import { apiClient, registerParties, startTestStack, TestStack, draftFromRequest } from '../support/stack';
import { expectDownloads as expectDownloadsFrom, expectNoServerErrors, filesOf, pdf as pdfOf, png, sha, storedOf as storedIn, upload as uploadTo } from '../support/uploads';

let stack: TestStack;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startTestStack();
  call = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
});

const upload = (key: string, route: string, contentType: string, bytes: Buffer) => uploadTo(stack, key, route, contentType, bytes);
const storedOf = (shas: Set<string>) => storedIn(stack, shas);
const pdf = (tag: string) => pdfOf(`inspection report ${tag}`);
const expectDownloads = (id: string, key: string, files: Map<string, Buffer>) => expectDownloadsFrom(stack, key, (fileId) => `/monitoring/${id}/files/${fileId}`, files);

async function paidTask(): Promise<{ id: string; buyerKey: string }> {
  const p = await registerParties(stack, { assurance: false });
  const draft = await draftFromRequest(stack.apiUrl, p, {
    buyerId: p.buyerId,
    currency: 'USD',
    items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500, unitPrice: 1250 }],
    depositAmount: 210_000,
    shippingDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
    shippingMarks: 'ACME / C/No. 1-50',
    packaging: '10 units per export carton',
  });
  expect(draft.status).toBe(201);
  const booked = await call(p.buyerKey, 'POST', '/monitoring', { orderId: draft.body.orderId, addedVia: 'ORDER_DETAILS_SEPARATE', innerCartonMarkings: 'BT-SPK-200 x10' });
  expect(booked.status).toBe(201);
  const id: string = booked.body.monitoringId;
  const card = { number: '4242424242424242', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' };
  expect((await call(p.buyerKey, 'POST', `/monitoring/${id}/pay`, { card })).status).toBe(200);
  return { id, buyerKey: p.buyerKey };
}

describe('concurrent uploads to one monitoring task', () => {
  const rounds = Number(process.env.UPLOAD_ROUNDS ?? 1);
  for (let round = 1; round <= rounds; round++) {
    it(`records each accepted picture, photo and report once and leaves no trace of a refused one${rounds > 1 ? ` (round ${round})` : ''}`, async () => {
      const { id, buyerKey } = await paidTask();
      const tasksEvents = async () => (await call(buyerKey, 'GET', `/monitoring/${id}/timeline`)).body.events as { type: string; data: { fileId?: string } }[];

      // 28 pictures (22 different, 6 copies of one: 23 files) for a task that takes 20, with 6 progress photos.
      const copy = png(uniqueId('copy'));
      const pictureBytes = [...Array.from({ length: 22 }, (_, i) => png(uniqueId(`picture${i}`))), ...Array.from({ length: 6 }, () => copy)];
      const photoBytes = Array.from({ length: 6 }, (_, i) => png(uniqueId(`photo${i}`)));
      const [pictures, photos] = await Promise.all([
        Promise.all(pictureBytes.map((bytes, i) => upload(buyerKey, `/monitoring/${id}/product-pictures?name=p${i}.png`, 'image/png', bytes))),
        Promise.all(photoBytes.map((bytes, i) => upload(stack.opsKey, `/monitoring/${id}/progress-photos?name=f${i}.png&percentComplete=${10 + i}&note=line${i}`, 'image/png', bytes))),
      ]);
      expectNoServerErrors([...pictures, ...photos]);
      expect(photos.map((s) => s.reply.status)).toEqual(photos.map(() => 201));
      // The copies are one picture: all taken, or all refused.
      const copies = pictures.filter((s) => s.sha256 === sha(copy));
      expect(new Set(copies.map((s) => s.reply.status)).size).toBe(1);

      const acceptedPictures = new Set(pictures.filter((s) => s.reply.status === 201).map((s) => s.sha256));
      const refusedPictures = new Set(pictures.filter((s) => s.reply.status !== 201).map((s) => s.sha256));
      expect(acceptedPictures.size).toBe(20);
      expect([...refusedPictures].filter((s) => acceptedPictures.has(s))).toEqual([]);
      for (const s of pictures.filter((p) => p.reply.status === 201)) {
        expect(s.reply.body.file).toMatchObject({ fileId: s.sha256 });
        expect(s.reply.body.monitoring.productInfo.pictures.map((f: { fileId: string }) => f.fileId)).toContain(s.sha256);
      }
      const task = (await call(buyerKey, 'GET', `/monitoring/${id}`)).body.monitoring;
      expect(task.productInfo.pictures.map((f: { fileId: string }) => f.fileId).sort()).toEqual([...acceptedPictures].sort());
      expect(task.progress.flatMap((r: { photos: { fileId: string }[] }) => r.photos.map((f) => f.fileId)).sort()).toEqual(photos.map((s) => s.sha256).sort());
      const events = await tasksEvents();
      expect(events.filter((e) => e.type === 'PRODUCT_INFO_ADDED').map((e) => e.data.fileId).sort()).toEqual([...acceptedPictures].sort());
      expect(events.filter((e) => e.type === 'PROGRESS_RECORDED')).toHaveLength(photos.length);
      const photoShas = new Set(photos.map((s) => s.sha256));
      expect(storedOf(new Set([...acceptedPictures, ...refusedPictures, ...photoShas]))).toEqual(filesOf([...acceptedPictures, ...photoShas]));
      const bytesOf = new Map([...pictureBytes, ...photoBytes].map((b) => [sha(b), b]));
      await expectDownloads(id, buyerKey, new Map([...acceptedPictures, ...photoShas].map((s) => [s, bytesOf.get(s)!])));

      // The check, then 12 reports at once (8 different, 4 copies of one): the inspection takes one.
      const checkDate = localDate(getCalendar('CN'), Date.now());
      expect((await call(stack.opsKey, 'POST', `/monitoring/${id}/assign-inspector`, { inspector: 'Li Wei', checkDate })).status).toBe(200);
      const checked = await call(stack.opsKey, 'POST', `/monitoring/${id}/check`, {
        observed: { productName: 'Bluetooth speaker', quantity: 500, shippingMarks: 'ACME / C/No. 1-50', packaging: '10 units per export carton', innerCartonMarkings: 'BT-SPK-200 x10' },
        lotSize: 500,
        sampleInspected: 50,
        defects: { critical: 0, major: 0, minor: 0 },
      });
      expect(checked.status).toBe(200);
      const reportCopy = pdf(uniqueId('copy'));
      const reportBytes = [...Array.from({ length: 8 }, (_, i) => pdf(uniqueId(`report${i}`))), ...Array.from({ length: 4 }, () => reportCopy)];
      const reports = await Promise.all(reportBytes.map((bytes, i) => upload(stack.opsKey, `/monitoring/${id}/report?name=r${i}.pdf`, 'application/pdf', bytes)));
      expectNoServerErrors(reports);
      const accepted = reports.filter((s) => s.reply.status === 201);
      expect(accepted).toHaveLength(1);
      const report = accepted[0].sha256;
      const after = (await call(buyerKey, 'GET', `/monitoring/${id}`)).body.monitoring;
      expect(after).toMatchObject({ status: 'REPORT_READY' });
      expect(after.reports.map((f: { fileId: string }) => f.fileId)).toEqual([report]);
      expect((await tasksEvents()).filter((e) => e.type === 'REPORT_UPLOADED').map((e) => e.data.fileId)).toEqual([report]);
      expect(storedOf(new Set(reports.map((s) => s.sha256)))).toEqual(filesOf([report]));
      const download = await fetch(`${stack.apiUrl}/monitoring/${id}/report`, { headers: { authorization: `Bearer ${buyerKey}` } });
      expect(download.status).toBe(200);
      expect(sha(Buffer.from(await download.arrayBuffer()))).toBe(report);
    });
  }
});
