import type { Activities } from '../../activities';
import type { LedgerPosting, EscrowMovement } from '../../activities/ledger';
import type { OrderChange } from '../../activities/orders';
import type { PartyNotice } from '../../activities/email';

/** In-memory activities for workflow tests: they record every call the workflow made. */
export function createMockActivities() {
  const calls = {
    changes: [] as OrderChange[],
    notices: [] as PartyNotice[],
    holds: [] as EscrowMovement[],
    releases: [] as EscrowMovement[],
    postings: [] as LedgerPosting[],
  };
  const activities: Activities = {
    async recordOrderChange(change) {
      calls.changes.push(change);
    },
    async notifyParties(notice) {
      calls.notices.push(notice);
    },
    async holdPaymentInEscrow(m) {
      calls.holds.push(m);
      return { posted: true };
    },
    async releaseEscrowToSupplier(m) {
      calls.releases.push(m);
      return { posted: true };
    },
    async postLedgerTransaction(p) {
      calls.postings.push(p);
      return { posted: true };
    },
  };
  return { activities, calls };
}
