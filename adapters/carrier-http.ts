/**
 * Carrier tracking from a tracking provider's REST API (AfterShip-compatible): one GET per parcel,
 * `GET {TRACKING_API_URL}/trackings/{slug}/{tracking_number}` with the key in the `as-api-key`
 * header. The provider's tags map onto TradeGuard's nine statuses; a parcel the provider does not
 * know (404, or a tracking number it rejects) is NotFound. Authentication failures, rate limits and
 * server errors throw, so the calling activity retries.
 */
import { CarrierTracking, SimulatedCarrier, TrackingInfo, TrackingStatus } from './carrier';

export const DEFAULT_TRACKING_API_URL = 'https://api.aftership.com/tracking/2024-04';

const TAGS: Record<string, TrackingStatus> = {
  pending: 'Pending',
  inforeceived: 'InfoReceived',
  intransit: 'InTransit',
  outfordelivery: 'OutForDelivery',
  attemptfail: 'AttemptFail',
  deliveryfailure: 'AttemptFail',
  undelivered: 'AttemptFail',
  delivered: 'Delivered',
  availableforpickup: 'AvailableForPickup',
  pickup: 'AvailableForPickup',
  exception: 'Exception',
  alert: 'Exception',
  expired: 'Expired',
  notfound: 'NotFound',
};

/** The provider's tag (any case, with or without separators) as a TradeGuard status; unknown tags are NotFound. */
export function statusFromTag(tag: unknown): TrackingStatus {
  if (typeof tag !== 'string') return 'NotFound';
  return TAGS[tag.toLowerCase().replace(/[^a-z]/g, '')] ?? 'NotFound';
}

/** A checkpoint time as an instant; a time without an offset is read as UTC. */
function instant(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(value.trim());
  const ms = Date.parse(hasOffset ? value : `${value}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

interface ProviderTracking {
  tag?: unknown;
  checkpoints?: { checkpoint_time?: unknown }[];
  updated_at?: unknown;
}

/** The provider's tracking object, whichever envelope the API version uses. */
function trackingOf(body: unknown): ProviderTracking | undefined {
  const data = (body as { data?: Record<string, unknown> } | undefined)?.data;
  if (!data || typeof data !== 'object') return undefined;
  if (data.tracking && typeof data.tracking === 'object') return data.tracking as ProviderTracking;
  if (Array.isArray(data.trackings)) return data.trackings[0] as ProviderTracking | undefined;
  if ('tag' in data) return data as ProviderTracking;
  return undefined;
}

/** The tracking info a provider's answer carries: the status, and the first and latest scans. */
export function trackingInfoFrom(body: unknown): TrackingInfo {
  const tracking = trackingOf(body);
  if (!tracking) return { status: 'NotFound' };
  const times = (Array.isArray(tracking.checkpoints) ? tracking.checkpoints : [])
    .map((c) => instant(c?.checkpoint_time))
    .filter((t): t is number => t !== undefined)
    .sort((a, b) => a - b);
  return {
    status: statusFromTag(tracking.tag),
    ...(times.length > 0 ? { firstScanAt: new Date(times[0]).toISOString(), lastUpdateAt: new Date(times[times.length - 1]).toISOString() } : {}),
  };
}

export class TrackingProviderError extends Error {}

export interface HttpTrackingOptions {
  baseUrl: string;
  apiKey: string;
  /** Carrier name → the provider's slug; otherwise the name in lower case with "-" for spaces. */
  slugs?: Record<string, string>;
  timeoutMs?: number;
}

export class HttpTrackingProvider implements CarrierTracking {
  readonly describe: string;
  private readonly baseUrl: string;

  constructor(private readonly opts: HttpTrackingOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.describe = `the tracking provider at ${this.baseUrl}`;
  }

  slugOf(carrier: string): string {
    const mapped = Object.entries(this.opts.slugs ?? {}).find(([name]) => name.toLowerCase() === carrier.trim().toLowerCase());
    return mapped ? mapped[1] : carrier.trim().toLowerCase().replace(/[\s_]+/g, '-');
  }

  async track(carrier: string, trackingNumber: string): Promise<TrackingInfo> {
    const url = `${this.baseUrl}/trackings/${encodeURIComponent(this.slugOf(carrier))}/${encodeURIComponent(trackingNumber)}`;
    const res = await fetch(url, {
      headers: { 'as-api-key': this.opts.apiKey, accept: 'application/json' },
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
    });
    const text = await res.text();
    if (res.status === 404 || res.status === 400 || res.status === 422) return { status: 'NotFound' };
    if (res.status === 401 || res.status === 403) {
      throw new TrackingProviderError(`the tracking provider refused the API key (HTTP ${res.status}): check TRACKING_API_KEY`);
    }
    if (!res.ok) throw new TrackingProviderError(`the tracking provider answered HTTP ${res.status} for ${carrier} ${trackingNumber}; retrying`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new TrackingProviderError(`the tracking provider answered HTTP ${res.status} with a body that is not JSON`);
    }
    return trackingInfoFrom(body);
  }
}

/** "DHL Express=dhl,China Post=china-post" → { 'DHL Express': 'dhl', 'China Post': 'china-post' }. */
export function parseSlugs(raw: string | undefined): Record<string, string> {
  const slugs: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',')) {
    const [name, slug] = pair.split('=').map((s) => s.trim());
    if (name && slug) slugs[name] = slug;
  }
  return slugs;
}

/** TRACKING_API_KEY set: the provider's API; otherwise the embedded simulated carrier. */
export function carrierFromEnv(env: NodeJS.ProcessEnv = process.env): CarrierTracking {
  if (!env.TRACKING_API_KEY) return new SimulatedCarrier();
  return new HttpTrackingProvider({
    baseUrl: env.TRACKING_API_URL || DEFAULT_TRACKING_API_URL,
    apiKey: env.TRACKING_API_KEY,
    slugs: parseSlugs(env.TRACKING_CARRIER_SLUGS),
  });
}

/** Every status a carrier can be in (the nine tracking statuses, and NotFound). */
export const TRACKING_STATUSES = [
  'Pending',
  'InfoReceived',
  'InTransit',
  'OutForDelivery',
  'AttemptFail',
  'Delivered',
  'AvailableForPickup',
  'Exception',
  'Expired',
  'NotFound',
] as const satisfies readonly TrackingStatus[];
