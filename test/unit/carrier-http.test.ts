/**
 * The tracking provider adapter against a real HTTP server on 127.0.0.1 that answers like the
 * provider: the request it makes (path, slug, API key), every tag mapped onto TradeGuard's statuses,
 * the first and latest scans, NotFound for unknown parcels and tags, and errors that must retry.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { SimulatedCarrier } from '../../adapters/carrier';
import { HttpTrackingProvider, TrackingProviderError, carrierFromEnv, parseSlugs } from '../../adapters/carrier-http';

interface Seen {
  method?: string;
  url?: string;
  apiKey?: string | string[];
}

/** What the server answers for a path; every request is recorded. */
let answer: (url: string) => { status: number; body: unknown } = () => ({ status: 500, body: {} });
const seen: Seen[] = [];
let server: http.Server;
let baseUrl: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, apiKey: req.headers['as-api-key'] });
    const { status, body } = answer(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tracking/2024-04/`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
});

const provider = () => new HttpTrackingProvider({ baseUrl, apiKey: 'key-123', slugs: { 'China Post': 'china-post' } });

function trackingBody(tag: string, checkpoints: string[] = []) {
  return { meta: { code: 200 }, data: { tracking: { tag, checkpoints: checkpoints.map((t) => ({ checkpoint_time: t, tag })) } } };
}

describe('HttpTrackingProvider', () => {
  it('asks GET /trackings/:slug/:number with the API key and reads the first and latest scans', async () => {
    answer = () => ({ status: 200, body: trackingBody('InTransit', ['2026-11-03T08:00:00+08:00', '2026-11-01T10:00:00Z', '2026-11-02T09:30:00']) });
    const info = await provider().track('DHL Express', 'JD014600');
    expect(seen).toEqual([{ method: 'GET', url: '/tracking/2024-04/trackings/dhl-express/JD014600', apiKey: 'key-123' }]);
    expect(info).toEqual({ status: 'InTransit', firstScanAt: '2026-11-01T10:00:00.000Z', lastUpdateAt: '2026-11-03T00:00:00.000Z' });
  });

  it('uses a configured slug for a carrier name, whatever its case', async () => {
    answer = () => ({ status: 200, body: trackingBody('Pending') });
    await provider().track('china post', 'RR123456789CN');
    expect(seen[0].url).toBe('/tracking/2024-04/trackings/china-post/RR123456789CN');
  });

  it.each([
    ['Pending', 'Pending'],
    ['InfoReceived', 'InfoReceived'],
    ['InTransit', 'InTransit'],
    ['OutForDelivery', 'OutForDelivery'],
    ['AttemptFail', 'AttemptFail'],
    ['Delivered', 'Delivered'],
    ['AvailableForPickup', 'AvailableForPickup'],
    ['Exception', 'Exception'],
    ['Expired', 'Expired'],
    ['NotFound', 'NotFound'],
    ['in_transit', 'InTransit'],
    ['DELIVERY_FAILURE', 'AttemptFail'],
    ['Alert', 'Exception'],
    ['PickUp', 'AvailableForPickup'],
    ['SomethingNew', 'NotFound'],
  ])('tag %s → %s', async (tag, status) => {
    answer = () => ({ status: 200, body: trackingBody(tag, ['2026-11-01T10:00:00Z']) });
    expect((await provider().track('UPS', '1Z999AA1')).status).toBe(status);
  });

  it('reads the newer envelopes too (data.trackings[0], or the tracking as data)', async () => {
    answer = () => ({ status: 200, body: { data: { trackings: [{ tag: 'Expired', checkpoints: [] }] } } });
    expect(await provider().track('UPS', '1Z999AA1')).toEqual({ status: 'Expired' });
    answer = () => ({ status: 200, body: { data: { tag: 'Exception', checkpoints: [{ checkpoint_time: '2026-11-05T00:00:00Z' }] } } });
    expect(await provider().track('UPS', '1Z999AA1')).toEqual({ status: 'Exception', firstScanAt: '2026-11-05T00:00:00.000Z', lastUpdateAt: '2026-11-05T00:00:00.000Z' });
    answer = () => ({ status: 200, body: { data: { trackings: [] } } });
    expect(await provider().track('UPS', '1Z999AA1')).toEqual({ status: 'NotFound' });
  });

  it('a parcel the provider does not know, or a number it rejects, is NotFound', async () => {
    for (const status of [404, 400, 422]) {
      answer = () => ({ status, body: { meta: { code: 4004, message: 'Tracking does not exist.' }, data: {} } });
      expect(await provider().track('UPS', '1Z999AA1')).toEqual({ status: 'NotFound' });
    }
  });

  it('a refused key, a rate limit or a server error throws (the activity retries)', async () => {
    answer = () => ({ status: 401, body: { meta: { code: 401 } } });
    await expect(provider().track('UPS', '1Z999AA1')).rejects.toThrow('the tracking provider refused the API key (HTTP 401): check TRACKING_API_KEY');
    answer = () => ({ status: 429, body: {} });
    await expect(provider().track('UPS', '1Z999AA1')).rejects.toThrow(TrackingProviderError);
    answer = () => ({ status: 503, body: {} });
    await expect(provider().track('UPS', '1Z999AA1')).rejects.toThrow('HTTP 503');
    answer = () => ({ status: 200, body: '<html>' });
    await expect(provider().track('UPS', '1Z999AA1')).rejects.toThrow('not JSON');
  });
});

describe('carrierFromEnv', () => {
  it('is the simulated carrier without TRACKING_API_KEY, the provider with it', async () => {
    expect(carrierFromEnv({})).toBeInstanceOf(SimulatedCarrier);
    const configured = carrierFromEnv({ TRACKING_API_KEY: 'k', TRACKING_API_URL: baseUrl, TRACKING_CARRIER_SLUGS: 'Royal Mail=royal-mail' });
    expect(configured).toBeInstanceOf(HttpTrackingProvider);
    answer = () => ({ status: 200, body: trackingBody('Delivered') });
    expect(await configured.track('Royal Mail', 'AB123456789GB')).toEqual({ status: 'Delivered' });
    expect(seen[0]).toEqual({ method: 'GET', url: '/tracking/2024-04/trackings/royal-mail/AB123456789GB', apiKey: 'k' });
  });

  it('parses carrier slugs', () => {
    expect(parseSlugs(' DHL Express = dhl , China Post=china-post,broken')).toEqual({ 'DHL Express': 'dhl', 'China Post': 'china-post' });
    expect(parseSlugs(undefined)).toEqual({});
  });
});
