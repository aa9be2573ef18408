/**
 * The mail relay: sends the email outbox of one deployment (rows whose `queue` is its task queue).
 *
 * Activities only insert outbox rows; the relay claims pending rows (`FOR UPDATE SKIP LOCKED`, so
 * several relays share the work), sends each over the mailer and marks it sent. Because it runs
 * apart from the Temporal worker, a worker that crashes mid-activity never interrupts an SMTP
 * conversation. What remains is the relay's own window between the SMTP server's acceptance and
 * the `sent` mark:
 * - the database going away in that window does not resend anything: the relay keeps the marks it
 *   could not write and writes them (before claiming more) once the database is back;
 * - the relay process dying in that window leaves the row `sending`; after `leaseMs` another claim
 *   sends it again, with the same Message-ID. SMTP has no transactional send, so this is
 *   at-least-once, never lost. Marks are written as messages are accepted, so the window is the
 *   messages accepted since the last mark write, not the whole claimed batch.
 * Messages to one recipient go out in the order they were written (a message retried after a failed
 * attempt may arrive after later ones, and several relays may interleave).
 * A message the SMTP server refuses for good (a 5xx reply) is marked `failed` with the reply; other
 * failures (no connection, 4xx) are retried with a growing back-off.
 */
import type { Mailer } from '../adapters/mailer';
import type { Db } from '../infra/db';

export interface MailRelayOptions {
  db: Db;
  mailer: Mailer;
  /** The deployment's task queue: the relay sends the rows its activities wrote. */
  queue: string;
  /** How often an idle relay looks for new rows, and how long it waits after a batch short of full. */
  pollMs?: number;
  /** Rows claimed at a time. */
  batchSize?: number;
  /** Messages in flight at once. */
  concurrency?: number;
  /** A `sending` row older than this is taken to belong to a relay that died. */
  leaseMs?: number;
  /** Longest back-off between attempts at one message. */
  maxBackoffMs?: number;
  log?: (line: string) => void;
}

interface ClaimedRow {
  key: string;
  to: string;
  subject: string;
  text: string;
  messageId: string | null;
  attempts: number;
  seq: bigint;
}

export interface MailRelay {
  /** Stops claiming, finishes the messages in flight and writes their marks (while the database answers). */
  stop(): Promise<void>;
  /** Counts since start, for logs and tests. */
  stats(): { sent: number; retried: number; failed: number; marksWaiting: number };
}

/** How long a claim holds its rows before another relay may send them (the claimer died): 2 minutes. */
export const MAIL_RELAY_LEASE_MS = 120_000;

/**
 * MAIL_RELAY_LEASE_MS from the environment, else the default. Shorter resends sooner after a relay
 * dies, but must stay well above one SMTP conversation, or a slow send is sent twice.
 */
export function mailRelayLeaseFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MAIL_RELAY_LEASE_MS;
  if (raw === undefined || raw === '') return MAIL_RELAY_LEASE_MS;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1000) throw new Error(`MAIL_RELAY_LEASE_MS=${raw} is not a whole number of milliseconds of at least 1000`);
  return value;
}

export function startMailRelay(opts: MailRelayOptions): MailRelay {
  const { db, mailer, queue } = opts;
  const pollMs = opts.pollMs ?? 200;
  const batchSize = opts.batchSize ?? 20;
  const concurrency = opts.concurrency ?? 4;
  const leaseMs = opts.leaseMs ?? MAIL_RELAY_LEASE_MS;
  const maxBackoffMs = opts.maxBackoffMs ?? 600_000;
  const log = opts.log ?? (() => undefined);
  const counts = { sent: 0, retried: 0, failed: 0 };
  /** Messages the SMTP server accepted whose `sent` mark the database has not taken yet. */
  const unmarked = new Map<string, Date>();
  let stopping = false;
  let wake: (() => void) | undefined;
  let lastDbError = '';

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  /** Writes every waiting `sent` mark in one statement; on failure they all stay waiting. */
  async function writeMarks(): Promise<void> {
    if (unmarked.size === 0) return;
    const marks = [...unmarked].map(([key, sentAt]) => ({ key, sentAt: sentAt.toISOString() }));
    await db.$executeRaw`
      UPDATE "EmailOutbox" AS o SET "status" = 'sent', "sentAt" = (m."sentAt")::timestamptz AT TIME ZONE 'UTC', "claimedAt" = NULL, "lastError" = NULL
      FROM jsonb_to_recordset(${JSON.stringify(marks)}::jsonb) AS m("key" text, "sentAt" text)
      WHERE o."key" = m."key" AND o."status" = 'sending'`;
    for (const { key } of marks) unmarked.delete(key);
  }

  /**
   * Marks go out as the SMTP server accepts messages, not when the whole batch is done: one write at
   * a time, each carrying the marks that arrived meanwhile. A relay that dies therefore sends again
   * only what was accepted since the last write. A write the database refuses is left to the loop,
   * which retries it before claiming anything else.
   */
  let flushing: Promise<void> | undefined;
  function flushMarks(): void {
    if (flushing || unmarked.size === 0) return;
    flushing = writeMarks().then(
      () => {
        flushing = undefined;
        flushMarks();
      },
      () => {
        flushing = undefined;
      },
    );
  }

  /** Waits for the write in flight, then writes what is still waiting (throws when the database refuses). */
  async function settleMarks(): Promise<void> {
    while (flushing) await flushing;
    await writeMarks();
  }

  async function claim(): Promise<ClaimedRow[]> {
    const staleBefore = new Date(Date.now() - leaseMs);
    const rows = await db.$queryRaw<ClaimedRow[]>`
      UPDATE "EmailOutbox" SET "status" = 'sending', "claimedAt" = now(), "attempts" = "attempts" + 1
      WHERE "key" IN (
        SELECT "key" FROM "EmailOutbox"
        WHERE "queue" = ${queue}
          AND (("status" = 'pending' AND "nextAttemptAt" <= now()) OR ("status" = 'sending' AND "claimedAt" < ${staleBefore}))
        ORDER BY "seq"
        LIMIT ${batchSize}
        FOR UPDATE SKIP LOCKED)
      RETURNING "key", "to", "subject", "text", "messageId", "attempts", "seq"`;
    // RETURNING follows no order: put the rows back in the order they were written.
    return rows.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
  }

  async function send(row: ClaimedRow): Promise<void> {
    try {
      await mailer.send({ messageId: row.messageId ?? `<${row.key}@tradeguard>`, to: row.to, subject: row.subject, text: row.text });
    } catch (err) {
      const e = err as Error & { responseCode?: number };
      const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
      const backoff = Math.min(maxBackoffMs, 1000 * 2 ** Math.min(20, row.attempts - 1));
      log(`mail ${row.key} to ${row.to}: ${permanent ? 'refused for good' : `not sent, retrying in ${Math.round(backoff / 1000)} s`}: ${e.message}`);
      // If this write fails too, the row stays `sending` and is claimed again after the lease: nothing was sent.
      await db.emailOutbox
        .updateMany({
          where: { key: row.key, status: 'sending' },
          data: permanent
            ? { status: 'failed', claimedAt: null, lastError: e.message.slice(0, 1000) }
            : { status: 'pending', claimedAt: null, lastError: e.message.slice(0, 1000), nextAttemptAt: new Date(Date.now() + backoff) },
        })
        .catch(() => undefined);
      if (permanent) counts.failed++;
      else counts.retried++;
      return;
    }
    counts.sent++;
    unmarked.set(row.key, new Date());
    flushMarks();
  }

  async function loop(): Promise<void> {
    let dbBackoff = pollMs;
    while (!stopping) {
      let rows: ClaimedRow[] = [];
      try {
        // Marks first: a message already accepted is never claimed, and so never sent, again.
        await settleMarks();
        rows = await claim();
        if (lastDbError) log('mail relay: the database answers again');
        lastDbError = '';
        dbBackoff = pollMs;
      } catch (err) {
        const message = (err as Error).message.split('\n')[0];
        if (message !== lastDbError) log(`mail relay: database unavailable, retrying: ${message}`);
        lastDbError = message;
        await pause(dbBackoff);
        dbBackoff = Math.min(5_000, dbBackoff * 2);
        continue;
      }
      if (rows.length === 0) {
        await pause(pollMs);
        continue;
      }
      // Each recipient's messages one after another, in the order they were written; recipients side by side.
      const groups = new Map<string, ClaimedRow[]>();
      for (const row of rows) groups.set(row.to, [...(groups.get(row.to) ?? []), row]);
      const byRecipient = [...groups.values()];
      let next = 0;
      const lanes = Array.from({ length: Math.min(concurrency, byRecipient.length) }, async () => {
        while (next < byRecipient.length) for (const row of byRecipient[next++]) await send(row);
      });
      await Promise.all(lanes);
      await settleMarks().catch(() => undefined);
      // A batch short of full means the backlog is sent: wait as an idle relay does before claiming
      // again, so that under a steady stream of notices each claim (and its marks) takes what
      // arrived meanwhile, instead of one claim and one mark write for every few new rows.
      if (rows.length < batchSize && !stopping) await pause(pollMs);
    }
  }

  const running = loop();
  return {
    async stop() {
      stopping = true;
      wake?.();
      await running;
      // One last try at the marks; any left are logged, and those rows are sent again after the lease.
      await settleMarks().catch(() => undefined);
      if (unmarked.size > 0) log(`mail relay stopped with ${unmarked.size} sent message(s) not marked; they will be sent again`);
    },
    stats: () => ({ ...counts, marksWaiting: unmarked.size }),
  };
}
