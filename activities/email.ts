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

/** A database client or an open transaction: outbox rows can commit together with the change they tell of. */
type Writer = Pick<Db, 'emailOutbox' | 'party'>;

/** A case's notice to its customer: the buyer party, or a manual order's address. */
export interface CustomerNotice {
  key: string;
  order: { buyerId?: string; customerEmail?: string };
  subject: string;
  text: string;
}

/** The notices one change sends: to its parties, to a case's customer, and to ops. */
export interface ChangeNotices {
  parties?: PartyNotice;
  customer?: CustomerNotice;
  ops?: OpsNotice;
}

/**
 * Writes email notices as outbox rows, one per recipient keyed by the notice, so writing them again
 * inserts nothing; the mail relay (worker/mail-relay.ts) of the deployment named by `queue` sends
 * them. No SMTP conversation happens inside an activity, so a worker that dies mid-activity cannot
 * leave a message half-sent.
 */
export function createOutbox({ opsAddresses, queue }: { opsAddresses: OpsAddresses; queue: string }) {
  async function deliver(db: Writer, key: string, to: string, subject: string, text: string): Promise<void> {
    await db.emailOutbox.createMany({
      data: [{ key, queue, to, subject, text, status: 'pending', messageId: outboxMessageId(key) }],
      skipDuplicates: true,
    });
  }

  /** Each party once per notice. */
  async function toParties(db: Writer, notice: PartyNotice): Promise<void> {
    const parties = await db.party.findMany({ where: { id: { in: notice.partyIds } } });
    for (const partyId of notice.partyIds) {
      const party = parties.find((p) => p.id === partyId);
      if (!party) {
        // A party without a registered address cannot be emailed; retrying would not change that.
        log.warn('no email address for party; notice not sent', { partyId, key: notice.key });
        continue;
      }
      await deliver(db, `${notice.key}:${partyId}`, party.email, notice.subject, notice.text);
    }
  }

  /** The ops team (or a page to its leads) once per notice. */
  async function toOps(db: Writer, notice: OpsNotice): Promise<void> {
    const to = notice.audience === 'ops' ? opsAddresses.ops : opsAddresses.opsLeads;
    await deliver(db, `${notice.key}:${notice.audience}`, to, notice.subject, notice.text);
  }

  /** A case's customer once per notice. */
  async function toCustomer(db: Writer, notice: CustomerNotice): Promise<void> {
    let to = notice.order.customerEmail;
    if (notice.order.buyerId) to = (await db.party.findUnique({ where: { id: notice.order.buyerId } }))?.email ?? to;
    if (!to) {
      log.warn('no email address for the case customer; notice not sent', { key: notice.key });
      return;
    }
    await deliver(db, `${notice.key}:customer`, to, notice.subject, notice.text);
  }

  return {
    toParties,
    toCustomer,
    toOps,
    /** Every notice of one change, in the order the separate notice activities sent them. */
    async write(db: Writer, notices: ChangeNotices): Promise<void> {
      if (notices.customer) await toCustomer(db, notices.customer);
      if (notices.parties) await toParties(db, notices.parties);
      if (notices.ops) await toOps(db, notices.ops);
    },
  };
}

export function createEmailActivities({ db, opsAddresses, temporal }: { db: Db; opsAddresses: OpsAddresses; temporal: { taskQueue: string } }) {
  const outbox = createOutbox({ opsAddresses, queue: temporal.taskQueue });
  return {
    /** Emails each party once per notice, through the outbox: a retried activity adds no second row. */
    async notifyParties(notice: PartyNotice): Promise<void> {
      await outbox.toParties(db, notice);
    },
    /** Emails a case's customer once per notice: the buyer party, or a manual order's address. */
    async notifyCaseCustomer(notice: CustomerNotice): Promise<void> {
      await outbox.toCustomer(db, notice);
    },
    /** Emails the ops team (or pages its leads) once per notice. */
    async notifyOps(notice: OpsNotice): Promise<void> {
      await outbox.toOps(db, notice);
    },
  };
}
