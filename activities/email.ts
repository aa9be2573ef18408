import { log } from '@temporalio/activity';
import type { Db } from '../infra/db';

export interface PartyNotice {
  /** Unique per business event (e.g. order:42:7); each recipient's email is keyed by it. */
  key: string;
  partyIds: string[];
  subject: string;
  text: string;
}

export interface OpsNotice {
  key: string;
  /** `ops` for the service team's queue, `ops-leads` for a page about an overdue task. */
  audience: 'ops' | 'ops-leads';
  subject: string;
  text: string;
}

export interface OpsAddresses {
  ops: string;
  opsLeads: string;
}

/** The Message-ID of an outbox row: stable per key, so a receiver can recognise a resend. */
export function outboxMessageId(key: string): string {
  return `<${key.replace(/[^A-Za-z0-9.:_-]/g, '_')}@tradeguard>`;
}

/**
 * Email notices as outbox rows. An activity only inserts a row per recipient, keyed by the notice, so
 * a retried activity inserts nothing twice; the mail relay (worker/mail-relay.ts) of the deployment
 * named by `queue` sends each row and marks it sent. No SMTP conversation happens inside an activity,
 * so a worker that dies mid-activity cannot leave a message half-sent.
 */
export function createEmailActivities({ db, opsAddresses, temporal }: { db: Db; opsAddresses: OpsAddresses; temporal: { taskQueue: string } }) {
  async function deliver(key: string, to: string, subject: string, text: string): Promise<void> {
    await db.emailOutbox.createMany({
      data: [{ key, queue: temporal.taskQueue, to, subject, text, status: 'pending', messageId: outboxMessageId(key) }],
      skipDuplicates: true,
    });
  }

  return {
    /** Emails each party once per notice, through the outbox: a retried activity adds no second row. */
    async notifyParties(notice: PartyNotice): Promise<void> {
      const parties = await db.party.findMany({ where: { id: { in: notice.partyIds } } });
      for (const partyId of notice.partyIds) {
        const party = parties.find((p) => p.id === partyId);
        if (!party) {
          // A party without a registered address cannot be emailed; retrying would not change that.
          log.warn('no email address for party; notice not sent', { partyId, key: notice.key });
          continue;
        }
        await deliver(`${notice.key}:${partyId}`, party.email, notice.subject, notice.text);
      }
    },
    /** Emails a case's customer once per notice: the buyer party, or a manual order's address. */
    async notifyCaseCustomer(notice: { key: string; order: { buyerId?: string; customerEmail?: string }; subject: string; text: string }): Promise<void> {
      let to = notice.order.customerEmail;
      if (notice.order.buyerId) to = (await db.party.findUnique({ where: { id: notice.order.buyerId } }))?.email ?? to;
      if (!to) {
        log.warn('no email address for the case customer; notice not sent', { key: notice.key });
        return;
      }
      await deliver(`${notice.key}:customer`, to, notice.subject, notice.text);
    },
    /** Emails the ops team (or pages its leads) once per notice. */
    async notifyOps(notice: OpsNotice): Promise<void> {
      const to = notice.audience === 'ops' ? opsAddresses.ops : opsAddresses.opsLeads;
      await deliver(`${notice.key}:${notice.audience}`, to, notice.subject, notice.text);
    },
  };
}

