import type { CarrierTracking, TrackingInfo } from '../adapters/carrier';

export function createTrackingActivities({ carrier }: { carrier: CarrierTracking }) {
  return {
    /** What the carrier knows of a shipment now. */
    async trackShipment({ carrier: name, trackingNumber }: { carrier: string; trackingNumber: string }): Promise<TrackingInfo> {
      return carrier.track(name, trackingNumber);
    },
  };
}
