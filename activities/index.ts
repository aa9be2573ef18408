import type { Mailer } from '../adapters/mailer';
import type { Db } from '../infra/db';
import { createEmailActivities } from './email';
import { createLedgerActivities } from './ledger';
import { createOrderActivities } from './orders';

export interface ActivityDeps {
  db: Db;
  mailer: Mailer;
}

/** Every activity the workers register, built from their adapters (nothing is created at import time). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createOrderActivities(deps),
    ...createLedgerActivities(deps),
    ...createEmailActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
