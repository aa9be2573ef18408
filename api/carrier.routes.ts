/**
 * The embedded simulated carrier, driven by hand for tests and demos
 * (`/carrier/simulated/:carrier/:trackingNumber`). Only where this process tracks parcels with the
 * simulated carrier it shares with the worker (`npm start`, the test stack); with a tracking
 * provider, or an API running apart from the worker, there is nothing to drive.
 */
import { z } from 'zod';
import { CarrierTracking, SimulatedCarrier } from '../adapters/carrier';
import { conflict, notFound } from './errors';
import type { RouteRegistry } from './routes';
import { carrierNameSchema, simulatedTrackingSchema, trackingNumberSchema } from './reports.schemas';

export interface CarrierRouteDeps {
  /** The carrier the worker in this process tracks parcels with, if it runs here. */
  carrier?: CarrierTracking;
}

export function registerCarrierRoutes(routes: RouteRegistry, deps: CarrierRouteDeps): void {
  function simulated(): SimulatedCarrier {
    const { carrier } = deps;
    if (!carrier) {
      throw notFound('no simulated carrier here: this API runs apart from the worker, so it cannot drive the carrier the worker asks (use npm start)');
    }
    if (!(carrier instanceof SimulatedCarrier)) {
      const source = (carrier as { describe?: string }).describe ?? 'a tracking provider';
      throw conflict(`tracking comes from ${source}: only the embedded simulated carrier can be driven by hand`);
    }
    return carrier;
  }
  const params = z.strictObject({ carrier: carrierNameSchema, trackingNumber: trackingNumberSchema });
  const tag = 'simulated carrier';
  const errors = { 404: 'no simulated carrier in this process (the API runs apart from the worker)', 409: 'tracking comes from a real provider' };

  routes.add({
    method: 'put', path: '/carrier/simulated/:carrier/:trackingNumber', tag, summary: 'Drive a simulated parcel into a tracking status', roles: ['ops'],
    params, body: simulatedTrackingSchema, errors,
    responses: { 200: 'what the carrier now answers for the parcel: { carrier, trackingNumber, tracking }' },
  }, async (_req, res, { params: { carrier, trackingNumber }, body }) => {
    const sim = simulated();
    sim.record(carrier, trackingNumber, body);
    res.json({ carrier, trackingNumber, tracking: await sim.track(carrier, trackingNumber) });
  });

  routes.add({
    method: 'get', path: '/carrier/simulated/:carrier/:trackingNumber', tag, summary: 'Read what the simulated carrier answers for a parcel', roles: ['ops', 'support'],
    params, errors, responses: { 200: '{ carrier, trackingNumber, tracking }' },
  }, async (_req, res, { params: { carrier, trackingNumber } }) => {
    const sim = simulated();
    res.json({ carrier, trackingNumber, tracking: await sim.track(carrier, trackingNumber) });
  });
}
