/**
 * Carrier tracking. The embedded default is a simulated carrier whose shipments are driven by hand
 * (tests, demos); a production adapter asks a tracking provider's HTTP API behind the same interface.
 */
export type TrackingStatus =
  | 'Pending'
  | 'InfoReceived'
  | 'InTransit'
  | 'OutForDelivery'
  | 'AttemptFail'
  | 'Delivered'
  | 'AvailableForPickup'
  | 'Exception'
  | 'Expired'
  | 'NotFound';

export interface TrackingInfo {
  status: TrackingStatus;
  /** The carrier's first scan of the parcel, if it has any data. */
  firstScanAt?: string;
  lastUpdateAt?: string;
}

export interface CarrierTracking {
  track(carrier: string, trackingNumber: string): Promise<TrackingInfo>;
}

/** In-memory carrier: unknown tracking numbers are NotFound until a scan is recorded. */
export class SimulatedCarrier implements CarrierTracking {
  private readonly shipments = new Map<string, TrackingInfo>();

  private key(carrier: string, trackingNumber: string): string {
    return `${carrier.toLowerCase()}:${trackingNumber}`;
  }

  record(carrier: string, trackingNumber: string, info: TrackingInfo): void {
    this.shipments.set(this.key(carrier, trackingNumber), info);
  }

  async track(carrier: string, trackingNumber: string): Promise<TrackingInfo> {
    return this.shipments.get(this.key(carrier, trackingNumber)) ?? { status: 'NotFound' };
  }
}
