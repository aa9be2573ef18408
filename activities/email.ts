import { log } from '@temporalio/activity';
import type { Db } from '../infra/db';
import { Prisma } from '../generated/prisma/client';
import { stopRetryingDataErrors } from './failures';

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
 * One email of a notice, to one recipient: a party's registered address (`partyId`), else `to`.
 * Its key (the notice's key and the recipient) is the outbox row's key.
 */
export interface OutboxRow {
  key: string;
  partyId?: string;
  to?: string;
  subject: string;
  text: string;
}

/**
 * The statement parts that write outbox rows: `notices` (each row with its address, looked up in the
 * same statement) and `mail` (the insert; a key already there is left alone), plus `unsent`, the keys
 * of rows with no address at all. Rows are inserted in the given order, which is the order each
 * recipient's messages are sent in.
 */
export function outboxCtes(queue: string, rows: OutboxRow[]): { ctes: Prisma.Sql[]; unsent: Prisma.Sql } {
  if (rows.length === 0) return { ctes: [], unsent: Prisma.sql`'[]'::json` };
  const data = rows.map((r, ord) => ({ ...r, messageId: outboxMessageId(r.key), ord }));
  return {
    ctes: [
      Prisma.sql`"notices" AS (
        SELECT n.*, coalesce(p."email", n."to") AS "address"
        FROM jsonb_to_recordset(${JSON.stringify(data)}::jsonb)
          AS n("key" text, "partyId" text, "to" text, "subject" text, "text" text, "messageId" text, "ord" int)
        LEFT JOIN "Party" AS p ON p."id" = n."partyId")`,
      Prisma.sql`"mail" AS (
        INSERT INTO "EmailOutbox" ("key", "queue", "to", "subject", "text", "status", "messageId")
        SELECT n."key", ${queue}, n."address", n."subject", n."text", 'pending', n."messageId"
        FROM "notices" AS n WHERE n."address" IS NOT NULL ORDER BY n."ord"
        ON CONFLICT ("key") DO NOTHING)`,
    ],
    unsent: Prisma.sql`(SELECT coalesce(json_agg(n."key" ORDER BY n."ord"), '[]'::json) FROM "notices" AS n WHERE n."address" IS NULL)`,
  };
}

/** Logs the notices that had nobody to go to (a party or customer without an address); retrying would not change that. */
export function warnUnsent(keys: string[]): void {
  for (const key of keys) log.warn('no email address for the recipient; notice not sent', { key });
}

/**
 * Turns notices into outbox rows, one per recipient keyed by the notice, so writing them again
 * inserts nothing; the mail relay (worker/mail-relay.ts) of the deployment named by `queue` sends
 * them. No SMTP conversation happens inside an activity, so a worker that dies mid-activity cannot
 * leave a message half-sent.
 */
export function createOutbox({ opsAddresses, queue }: { opsAddresses: OpsAddresses; queue: string }) {
  const toParties = (n: PartyNotice): OutboxRow[] =>
    [...new Set(n.partyIds)].map((partyId) => ({ key: `${n.key}:${partyId}`, partyId, subject: n.subject, text: n.text }));
  const toCustomer = (n: CustomerNotice): OutboxRow[] => [
    { key: `${n.key}:customer`, partyId: n.order.buyerId, to: n.order.customerEmail, subject: n.subject, text: n.text },
  ];
  const toOps = (n: OpsNotice): OutboxRow[] => [
    { key: `${n.key}:${n.audience}`, to: n.audience === 'ops' ? opsAddresses.ops : opsAddresses.opsLeads, subject: n.subject, text: n.text },
  ];
  /** Every email of one change: a case's customer, then its parties, then ops. */
  function rows(notices: ChangeNotices | undefined): OutboxRow[] {
    if (!notices) return [];
    return [
      ...(notices.customer ? toCustomer(notices.customer) : []),
      ...(notices.parties ? toParties(notices.parties) : []),
      ...(notices.ops ? toOps(notices.ops) : []),
    ];
  }
  return {
    queue,
    rows,
    /** Writes notices on their own (workflows that send them apart from their change). */
    async write(db: Pick<Db, '$queryRaw'>, notices: ChangeNotices): Promise<void> {
      const { ctes, unsent } = outboxCtes(queue, rows(notices));
      if (ctes.length === 0) return;
      const [result] = await db.$queryRaw<{ unsent: string[] }[]>`WITH ${Prisma.join(ctes, ',\n')} SELECT ${unsent} AS "unsent"`;
      warnUnsent(result?.unsent ?? []);
    },
  };
}

export function createEmailActivities({ db, opsAddresses, temporal }: { db: Db; opsAddresses: OpsAddresses; temporal: { taskQueue: string } }) {
  const outbox = createOutbox({ opsAddresses, queue: temporal.taskQueue });
  return stopRetryingDataErrors({
    /** Emails each party once per notice, through the outbox: a retried activity adds no second row. */
    async notifyParties(notice: PartyNotice): Promise<void> {
      await outbox.write(db, { parties: notice });
    },
    /** Emails a case's customer once per notice: the buyer party, or a manual order's address. */
    async notifyCaseCustomer(notice: CustomerNotice): Promise<void> {
      await outbox.write(db, { customer: notice });
    },
    /** Emails the ops team (or pages its leads) once per notice. */
    async notifyOps(notice: OpsNotice): Promise<void> {
      await outbox.write(db, { ops: notice });
    },
  });
}
