import type { Client } from '@temporalio/client';
import type { CarrierTracking } from '../adapters/carrier';
import type { PaymentGateway } from '../adapters/payments';
import type { Db } from '../infra/db';
import { createCaseActivities } from './cases';
import { createCoverageActivities } from './coverage';
import { createEffectFailureActivities } from './effect-failures';
import { OpsAddresses, createEmailActivities } from './email';
import { createLedgerActivities } from './ledger';
import { createMonitoringActivities } from './monitoring';
import { createOrderActivities } from './orders';
import { createPayoutActivities } from './payouts';
import { createReportActivities } from './report';
import { createSelfCheckActivities } from './self-check';
import { createTrackingActivities } from './tracking';

export interface ActivityDeps {
  db: Db;
  carrier: CarrierTracking;
  opsAddresses: OpsAddresses;
  payments: PaymentGateway;
  /** Activities that start or update other workflows (cases, an order's refund) use this client. */
  temporal: { client: Client; taskQueue: string };
}

/** Every activity the workers register, built from their adapters (nothing is created at import time). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createOrderActivities(deps),
    ...createLedgerActivities(deps),
    ...createPayoutActivities(deps),
    ...createEmailActivities(deps),
    ...createCoverageActivities(deps),
    ...createTrackingActivities(deps),
    ...createMonitoringActivities(deps),
    ...createCaseActivities(deps),
    ...createSelfCheckActivities(deps),
    ...createReportActivities(deps),
    ...createEffectFailureActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
