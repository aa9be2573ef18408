/**
 * Files come back as what their bytes are, on the real stack: an upload whose bytes are not of the
 * declared type is refused and stores nothing, whatever its name says; a stored file is served only
 * as its verified type, as an attachment under a safe name, with `nosniff` and a policy that runs
 * nothing; a file whose stored type its bytes do not bear out is served as application/octet-stream.
 */
import fs from 'node:fs';
import path from 'node:path';
import { uniqueId } from '../support/env';
import { apiClient, expectError, orderThrough, Parties, registerParties, startTestStack, TestStack } from '../support/stack';
import { pdf, png, sha, upload } from '../support/uploads';

let stack: TestStack;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startTestStack();
  call = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
});

const HTML = Buffer.from('<!doctype html><html><body><script>fetch("/orders").then(r => r.text()).then(alert)</script></body></html>');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"><rect width="10" height="10"/></svg>');
const jpeg = (tag: string) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(tag)]);
/** An ISO base media file with an ftyp box of major brand isom and compatible brands isom, mp41. */
const mp4 = (tag: string) => {
  const ftyp = Buffer.concat([Buffer.from([0, 0, 0, 20]), Buffer.from('ftypisom'), Buffer.from([0, 0, 2, 0]), Buffer.from('mp41')]);
  return Buffer.concat([ftyp, Buffer.from([0, 0, 0, 8]), Buffer.from('free'), Buffer.from(tag)]);
};

async function download(key: string, route: string) {
  const res = await fetch(`${stack.apiUrl}${route}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** What storage holds of a file with these bytes (the file, its metadata, a staged copy). */
const storedNames = (bytes: Buffer) => fs.readdirSync(stack.storageDir).filter((n) => n.startsWith(sha(bytes)));

async function claimOn(p: Parties): Promise<{ orderId: string; route: string }> {
  const orderId = await orderThrough(stack, p, 'paid');
  const claim = await call(p.buyerKey, 'POST', `/orders/${orderId}/claims`, { cause: 'QUALITY_MISMATCH', refundAsked: 10_000, description: 'scratched casings' });
  expect(claim.status).toBe(201);
  return { orderId, route: `/orders/${orderId}/claims/C1/evidence` };
}

describe('uploads are checked against their bytes', () => {
  it('refuses HTML or SVG sent as a PNG, whatever the name, and stores nothing', async () => {
    const p = await registerParties(stack);
    const { orderId, route } = await claimOn(p);

    const html = await upload(stack, p.buyerKey, `${route}?name=evil.html`, 'image/png', HTML);
    expectError(html.reply, 400, 'invalid_input');
    expect(html.reply.body.error.fields).toEqual([{ field: '(body)', reason: 'the bytes are not a PNG image (Content-Type image/png): they look like an HTML page' }]);

    const svg = await upload(stack, p.buyerKey, `${route}?name=chart.png`, 'image/png', SVG);
    expectError(svg.reply, 400, 'invalid_input');
    expect(svg.reply.body.error.fields[0].reason).toMatch(/they look like an SVG image$/);
    // SVG is not a type evidence may have at all.
    const declaredSvg = await upload(stack, p.buyerKey, `${route}?name=chart.svg`, 'image/svg+xml', SVG);
    expectError(declaredSvg.reply, 400, 'invalid_input');
    expect(declaredSvg.reply.body.error.fields[0].field).toBe('Content-Type');

    // Each accepted type is held to its own signature: a PDF is not a JPEG, a PNG is not a PDF or an MP4.
    for (const [type, bytes] of [['image/jpeg', pdf('x')], ['application/pdf', png('y')], ['video/mp4', jpeg('z')]] as const) {
      const refused = await upload(stack, p.buyerKey, `${route}?name=file`, type, bytes);
      expect({ type, status: refused.reply.status, field: refused.reply.body.error?.fields?.[0]?.field }).toEqual({ type, status: 400, field: '(body)' });
    }
    for (const bytes of [HTML, SVG, pdf('x'), png('y'), jpeg('z')]) expect(storedNames(bytes)).toEqual([]);
    const order = await call(p.buyerKey, 'GET', `/orders/${orderId}`);
    expect(order.body.order.claims[0].evidence).toEqual([]);
  });

  it('serves an accepted file only as its verified type, as an attachment under a safe name, with nosniff', async () => {
    const p = await registerParties(stack);
    const { orderId, route } = await claimOn(p);
    const bytes = png(uniqueId('scratch'));
    const sent = await upload(stack, p.buyerKey, `${route}?name=evil.html`, 'image/png', bytes);
    expect(sent.reply.status).toBe(201);
    expect(sent.reply.body.file).toMatchObject({ contentType: 'image/png', name: 'evil.html', sha256: sha(bytes) });
    // The verified type is what storage keeps with the file.
    expect(JSON.parse(fs.readFileSync(path.join(stack.storageDir, `${sha(bytes)}.json`), 'utf8'))).toMatchObject({ contentType: 'image/png' });

    for (const key of [p.buyerKey, p.supplierKey, stack.opsKey]) {
      const got = await download(key, `/orders/${orderId}/claims/C1/evidence/${sha(bytes)}`);
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe('image/png');
      expect(got.headers.get('x-content-type-options')).toBe('nosniff');
      expect(got.headers.get('content-disposition')).toBe(`attachment; filename="evil.png"; filename*=UTF-8''evil.png`);
      expect(got.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
      expect(got.headers.get('cache-control')).toBe('no-store');
      expect(got.bytes.equals(bytes)).toBe(true);
    }
  });

  it('gives monitoring pictures and reports and case evidence the same treatment: a JPEG that is a PNG is refused, an MP4 is served as video/mp4', async () => {
    const p = await registerParties(stack);
    const orderId = await orderThrough(stack, p, 'paid');
    const booked = await call(p.buyerKey, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
    expect(booked.status).toBe(201);
    const monitoringId = booked.body.monitoringId as string;
    const card = { number: '4242424242424242', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' };
    expect((await call(p.buyerKey, 'POST', `/monitoring/${monitoringId}/pay`, { card })).status).toBe(200);

    const wrong = await upload(stack, p.buyerKey, `/monitoring/${monitoringId}/product-pictures?name=sample.jpg`, 'image/jpeg', png(uniqueId('not-a-jpeg')));
    expectError(wrong.reply, 400, 'invalid_input');
    expect(wrong.reply.body.error.fields[0].reason).toBe('the bytes are not a JPEG image (Content-Type image/jpeg): they look like a PNG image');
    const html = await upload(stack, stack.opsKey, `/monitoring/${monitoringId}/report?name=report.html`, 'application/pdf', HTML);
    expectError(html.reply, 400, 'invalid_input');

    const picture = jpeg(uniqueId('sample'));
    const sent = await upload(stack, p.buyerKey, `/monitoring/${monitoringId}/product-pictures?name=${encodeURIComponent('образец (1).svg')}`, 'image/jpeg', picture);
    expect(sent.reply.status).toBe(201);
    const got = await download(p.buyerKey, `/monitoring/${monitoringId}/files/${sha(picture)}`);
    expect(got.headers.get('content-type')).toBe('image/jpeg');
    expect(got.headers.get('content-disposition')).toBe(`attachment; filename="(1).jpg"; filename*=UTF-8''${encodeURIComponent('образец (1).jpg').replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`);

    const delivered = await orderThrough(stack, p, 'delivered');
    const caseOpened = await call(p.buyerKey, 'POST', '/cases', { orderId: delivered, type: 'QUALITY', description: 'two units arrived dented' });
    expect(caseOpened.status).toBe(201);
    const video = mp4(uniqueId('unboxing'));
    const evidence = await upload(stack, p.buyerKey, `/cases/${caseOpened.body.caseId}/evidence?name=unboxing`, 'video/mp4', video);
    expect(evidence.reply.status).toBe(201);
    const clip = await download(p.buyerKey, `/cases/${caseOpened.body.caseId}/files/${sha(video)}`);
    expect(clip.headers.get('content-type')).toBe('video/mp4');
    expect(clip.headers.get('x-content-type-options')).toBe('nosniff');
    expect(clip.headers.get('content-disposition')).toMatch(/^attachment; filename="unboxing\.mp4";/);
    expect(clip.bytes.equals(video)).toBe(true);
  });

  it('serves a stored file whose bytes do not bear out its stored type as application/octet-stream', async () => {
    const p = await registerParties(stack);
    const { orderId, route } = await claimOn(p);
    const bytes = png(uniqueId('legacy'));
    expect((await upload(stack, p.buyerKey, `${route}?name=page.html`, 'image/png', bytes)).reply.status).toBe(201);
    // As a file stored before uploads were checked would be: HTML bytes whose metadata says text/html.
    const file = path.join(stack.storageDir, sha(bytes));
    fs.writeFileSync(file, HTML);
    fs.writeFileSync(`${file}.json`, JSON.stringify({ ...JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')), contentType: 'text/html' }));
    const got = await download(p.buyerKey, `/orders/${orderId}/claims/C1/evidence/${sha(bytes)}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/octet-stream');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('content-disposition')).toBe(`attachment; filename="page.bin"; filename*=UTF-8''page.bin`);
  });
});
