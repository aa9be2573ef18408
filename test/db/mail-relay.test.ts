/**
 * The mail relay against the suite's PostgreSQL and real SMTP servers on 127.0.0.1: it sends its own
 * deployment's outbox rows once each with their Message-ID, two relays share a queue without sending
 * anything twice, an SMTP server that is down is retried, a permanent refusal is kept as `failed`,
 * a `sent` mark the database could not take is written later without a resend, a claim left by
 * a relay that died is sent again only after its lease, and after a batch short of full the relay
 * waits its poll interval, so the rows that arrive meanwhile go out in one claim.
 */
import { SMTPServer } from 'smtp-server';
import { AddressInfo } from 'node:net';
import { createEmailActivities } from '../../activities/email';
import { createMailer, type MailMessage, type Mailer } from '../../adapters/mailer';
import { Db, createDb } from '../../infra/db';
import { MAIL_RELAY_LEASE_MS, MailRelay, mailRelayLeaseFromEnv, startMailRelay } from '../../worker/mail-relay';
import { testDatabaseUrl, uniqueId } from '../support/env';
import { eventually } from '../support/stack';
import { startSmtpServer } from '../support/smtp';

const FROM = 'TradeGuard <no-reply@tradeguard.local>';
const OPS = { ops: 'ops@tradeguard.test', opsLeads: 'ops-leads@tradeguard.test' };

let db: Db;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let mailer: Mailer;
const relays: MailRelay[] = [];

beforeAll(async () => {
  db = createDb(testDatabaseUrl());
  smtp = await startSmtpServer();
  mailer = createMailer({ smtpUrl: smtp.url, outboxDir: '/nonexistent', from: FROM });
});

afterEach(async () => {
  for (const r of relays.splice(0)) await r.stop();
});

afterAll(async () => {
  mailer?.close();
  await smtp?.stop();
  await db?.$disconnect();
});

function relay(queue: string, opts: Partial<Parameters<typeof startMailRelay>[0]> = {}): MailRelay {
  const r = startMailRelay({ db, mailer, queue, pollMs: 20, ...opts });
  relays.push(r);
  return r;
}

/** Outbox rows written by the email activities of a deployment on `queue`. */
async function notices(queue: string, count: number): Promise<string[]> {
  const email = createEmailActivities({ db, opsAddresses: OPS, temporal: { taskQueue: queue } });
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    await email.notifyOps({ key: `${queue}:${i}`, audience: 'ops', subject: `${queue} notice ${i}`, text: `body ${i}` });
    keys.push(`${queue}:${i}:ops`);
  }
  return keys;
}

const delivered = (queue: string) => smtp.messages.filter((m) => m.subject.startsWith(`${queue} `));

test('sends its own queue once each, in the order written, with the stable Message-ID, and leaves other queues alone', async () => {
  const mine = uniqueId('relay-mine');
  const theirs = uniqueId('relay-theirs');
  const keys = await notices(mine, 12);
  await notices(theirs, 2);
  // A retried activity writes no second row.
  await notices(mine, 12);
  relay(mine);

  const rows = await eventually(
    async () => db.emailOutbox.findMany({ where: { key: { in: keys } }, orderBy: { key: 'asc' } }),
    (r) => r.every((row) => row.status === 'sent'),
    'every row of the queue sent',
  );
  expect(rows.map((r) => r.attempts)).toEqual(keys.map(() => 1));
  await new Promise((r) => setTimeout(r, 200));
  // One recipient (ops): its messages arrive in the order the activities wrote them.
  expect(delivered(mine).map((m) => m.messageId)).toEqual(keys.map((k) => `<${k}@tradeguard>`));
  expect(delivered(theirs)).toEqual([]);
  expect(await db.emailOutbox.count({ where: { queue: theirs, status: 'pending' } })).toBe(2);
});

test('two relays on one queue send every message exactly once', async () => {
  const queue = uniqueId('relay-shared');
  const keys = await notices(queue, 60);
  relay(queue, { batchSize: 5 });
  relay(queue, { batchSize: 5 });
  await eventually(
    async () => db.emailOutbox.count({ where: { key: { in: keys }, status: 'sent' } }),
    (n) => n === keys.length,
    'all 60 sent',
  );
  await new Promise((r) => setTimeout(r, 200));
  const ids = delivered(queue).map((m) => m.messageId);
  expect(ids).toHaveLength(60);
  expect(new Set(ids).size).toBe(60);
});

test('after a batch short of full it waits its poll interval before claiming again, so new rows gather into one claim', async () => {
  const queue = uniqueId('relay-pace');
  let claims = 0;
  // The relay's database, counting its claim statements (the only ones that set rows to 'sending').
  const counted = new Proxy(db, {
    get(target, name) {
      if (name === '$queryRaw') {
        return (sql: TemplateStringsArray, ...values: unknown[]) => {
          if (sql.join('').includes(`"status" = 'sending'`)) claims++;
          return target.$queryRaw(sql, ...values);
        };
      }
      const value = Reflect.get(target, name) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const sent = (keys: string[]) =>
    eventually(async () => db.emailOutbox.count({ where: { key: { in: keys }, status: 'sent' } }), (n) => n === keys.length, `${keys.length} sent`);
  const first = await notices(queue, 3);
  relay(queue, { db: counted, pollMs: 1500 });
  await sent(first);
  await new Promise((r) => setTimeout(r, 150));
  // Three rows of a batch of 20: the relay waits instead of claiming again at once.
  expect(claims).toBe(1);

  const email = createEmailActivities({ db, opsAddresses: OPS, temporal: { taskQueue: queue } });
  const later: string[] = [];
  for (let i = 3; i < 8; i++) {
    await email.notifyOps({ key: `${queue}:${i}`, audience: 'ops', subject: `${queue} notice ${i}`, text: `body ${i}` });
    later.push(`${queue}:${i}:ops`);
  }
  expect(await db.emailOutbox.count({ where: { key: { in: later }, status: 'pending' } })).toBe(later.length);
  // After the wait, one claim takes all five.
  await sent(later);
  expect(claims).toBe(2);
  await new Promise((r) => setTimeout(r, 200));
  expect(delivered(queue).map((m) => m.messageId)).toEqual([...first, ...later].map((k) => `<${k}@tradeguard>`));
});

test('an SMTP server that is down is retried after a back-off; nothing is lost', async () => {
  const queue = uniqueId('relay-down');
  const [key] = await notices(queue, 1);
  // A port where nothing listens, then the real server.
  const dead = createMailer({ smtpUrl: 'smtp://127.0.0.1:1?ignoreTLS=true', outboxDir: '/nonexistent', from: FROM });
  let target: Mailer = dead;
  const switching: Mailer = { describe: 'switching', send: (m: MailMessage) => target.send(m), close: () => undefined };
  relay(queue, { mailer: switching, maxBackoffMs: 100 });

  const failed = await eventually(
    async () => db.emailOutbox.findUniqueOrThrow({ where: { key } }),
    (row) => row.attempts >= 2 && row.status === 'pending',
    'two failed attempts',
  );
  expect(failed.lastError).toMatch(/ECONNREFUSED|connect/i);
  expect(delivered(queue)).toEqual([]);

  target = mailer;
  const sent = await eventually(async () => db.emailOutbox.findUniqueOrThrow({ where: { key } }), (row) => row.status === 'sent', 'sent once the server is up');
  expect(sent.lastError).toBeNull();
  await new Promise((r) => setTimeout(r, 200));
  expect(delivered(queue)).toHaveLength(1);
  dead.close();
});

test('a permanent refusal (5xx) is kept as failed with the reply, and not retried', async () => {
  const queue = uniqueId('relay-refused');
  const refusing = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
    },
  });
  await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', () => resolve()));
  const port = (refusing.server.address() as AddressInfo).port;
  const refusedMailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}?ignoreTLS=true`, outboxDir: '/nonexistent', from: FROM });
  try {
    const [key] = await notices(queue, 1);
    relay(queue, { mailer: refusedMailer, maxBackoffMs: 10 });
    const row = await eventually(async () => db.emailOutbox.findUniqueOrThrow({ where: { key } }), (r) => r.status === 'failed', 'failed');
    expect(row.lastError).toContain('mailbox unavailable');
    await new Promise((r) => setTimeout(r, 300));
    expect((await db.emailOutbox.findUniqueOrThrow({ where: { key } })).attempts).toBe(1);
  } finally {
    refusedMailer.close();
    await new Promise<void>((resolve) => refusing.close(() => resolve()));
  }
});

test('a sent mark the database refused is written once it answers, without sending again', async () => {
  const queue = uniqueId('relay-mark');
  const [key] = await notices(queue, 1);
  // The real database, except that the first three writes of `sent` marks fail as if it had gone away.
  let refusals = 3;
  const flakyDb = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop !== '$executeRaw') return Reflect.get(target, prop, receiver);
      return (sql: TemplateStringsArray, ...values: unknown[]) => {
        if (sql.join('?').includes(`SET "status" = 'sent'`) && refusals > 0) {
          refusals--;
          return Promise.reject(new Error("Can't reach database server"));
        }
        return target.$executeRaw(sql, ...values);
      };
    },
  });
  const r = relay(queue, { db: flakyDb });

  const row = await eventually(async () => db.emailOutbox.findUniqueOrThrow({ where: { key } }), (x) => x.status === 'sent', 'marked sent');
  expect(refusals).toBe(0);
  expect(row.attempts).toBe(1);
  await new Promise((res) => setTimeout(res, 200));
  expect(delivered(queue)).toHaveLength(1);
  expect(r.stats()).toMatchObject({ sent: 1, marksWaiting: 0 });
});

test("a claim left by a relay that died is sent again after its lease, and a live claim is left alone", async () => {
  const queue = uniqueId('relay-lease');
  const [stale, live] = await notices(queue, 2);
  await db.emailOutbox.update({ where: { key: stale }, data: { status: 'sending', attempts: 1, claimedAt: new Date(Date.now() - 60_000) } });
  await db.emailOutbox.update({ where: { key: live }, data: { status: 'sending', attempts: 1, claimedAt: new Date() } });
  relay(queue, { leaseMs: 30_000 });

  const row = await eventually(async () => db.emailOutbox.findUniqueOrThrow({ where: { key: stale } }), (x) => x.status === 'sent', 'stale claim sent');
  expect(row.attempts).toBe(2);
  await new Promise((res) => setTimeout(res, 300));
  expect(await db.emailOutbox.findUniqueOrThrow({ where: { key: live } })).toMatchObject({ status: 'sending', attempts: 1 });
  expect(delivered(queue).map((m) => m.messageId)).toEqual([`<${stale}@tradeguard>`]);
});

test('MAIL_RELAY_LEASE_MS sets the lease from the environment; a value under a second or not whole milliseconds is refused by name', () => {
  expect(mailRelayLeaseFromEnv({})).toBe(MAIL_RELAY_LEASE_MS);
  expect(mailRelayLeaseFromEnv({ MAIL_RELAY_LEASE_MS: '5000' })).toBe(5000);
  expect(() => mailRelayLeaseFromEnv({ MAIL_RELAY_LEASE_MS: '500' })).toThrow('MAIL_RELAY_LEASE_MS=500 is not a whole number of milliseconds of at least 1000');
  expect(() => mailRelayLeaseFromEnv({ MAIL_RELAY_LEASE_MS: '2m' })).toThrow('MAIL_RELAY_LEASE_MS=2m');
});
