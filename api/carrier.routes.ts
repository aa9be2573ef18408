/**
 * The embedded simulated carrier, driven by hand for tests and demos
 * (`/carrier/simulated/:carrier/:trackingNumber`). Only where this process tracks parcels with the
 * simulated carrier it shares with the worker (`npm start`, the test stack); with a tracking
 * provider, or an API running apart from the worker, there is nothing to drive.
 */
import type express from 'express';
import type { Request } from 'express';
import { CarrierTracking, SimulatedCarrier } from '../adapters/carrier';
import { conflict, notFound } from './errors';
import { allow, asyncRoute, parse } from './http';
import { carrierNameSchema, simulatedTrackingSchema, trackingNumberSchema } from './reports.schemas';

export interface CarrierRouteDeps {
  /** The carrier the worker in this process tracks parcels with, if it runs here. */
  carrier?: CarrierTracking;
}

export function registerCarrierRoutes(app: express.Express, deps: CarrierRouteDeps): void {
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
  const parcel = (req: Request) => ({
    carrier: parse(carrierNameSchema, req.params.carrier, 'carrier'),
    trackingNumber: parse(trackingNumberSchema, req.params.trackingNumber, 'trackingNumber'),
  });

  app.put('/carrier/simulated/:carrier/:trackingNumber', asyncRoute(async (req, res) => {
    allow(req, ['ops'], 'drive the simulated carrier');
    const sim = simulated();
    const { carrier, trackingNumber } = parcel(req);
    const body = parse(simulatedTrackingSchema, req.body);
    sim.record(carrier, trackingNumber, body);
    res.json({ carrier, trackingNumber, tracking: await sim.track(carrier, trackingNumber) });
  }));

  app.get('/carrier/simulated/:carrier/:trackingNumber', asyncRoute(async (req, res) => {
    allow(req, ['ops', 'support'], 'read the simulated carrier');
    const sim = simulated();
    const { carrier, trackingNumber } = parcel(req);
    res.json({ carrier, trackingNumber, tracking: await sim.track(carrier, trackingNumber) });
  }));
}
