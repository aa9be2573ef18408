import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { createMailer, type MailMessage, type Mailer } from '../../adapters/mailer';

const FROM = 'TradeGuard <no-reply@tradeguard.local>';

describe('createMailer without smtpUrl (file outbox)', () => {
  let root: string;
  let outboxDir: string;
  let mailer: Mailer;
  const lines: string[] = [];

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tradeguard-mailer-'));
    outboxDir = path.join(root, 'outbox');
    lines.length = 0;
    mailer = createMailer({ outboxDir, from: FROM, log: (line) => lines.push(line) });
  });

  afterEach(() => {
    mailer.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const deposit: MailMessage = {
    messageId: '<order-PO-1.deposit@tradeguard.local>',
    to: 'buyer@acme.example',
    subject: 'Deposit received: 1,200.00 USD',
    text: 'We received your deposit of 1,200.00 USD for order PO-1.',
  };

  const fileFor = (messageId: string) =>
    `${messageId.replace(/[^A-Za-z0-9._-]/g, '_')}-${createHash('sha256').update(messageId).digest('hex').slice(0, 12)}.eml`;

  it('describes itself as files:<outboxDir>', () => {
    expect(mailer.describe.startsWith('files:')).toBe(true);
    expect(mailer.describe).toBe(`files:${outboxDir}`);
  });

  it('creates the outbox folder and writes one .eml file named from the messageId', async () => {
    expect(fs.existsSync(outboxDir)).toBe(false);
    await mailer.send(deposit);
    const files = fs.readdirSync(outboxDir);
    expect(files).toEqual([fileFor('<order-PO-1.deposit@tradeguard.local>')]);
  });

  it('writes the From, To, Subject and Message-ID headers and the text', async () => {
    await mailer.send(deposit);
    const [file] = fs.readdirSync(outboxDir);
    const raw = fs.readFileSync(path.join(outboxDir, file!), 'utf8');
    const [head, ...bodyParts] = raw.split('\n\n');
    expect(head).toContain('From: TradeGuard <no-reply@tradeguard.local>');
    expect(head).toContain('To: buyer@acme.example');
    expect(head).toContain('Subject: Deposit received: 1,200.00 USD');
    expect(head).toContain('Message-ID: <order-PO-1.deposit@tradeguard.local>');
    expect(bodyParts.join('\n\n')).toContain(deposit.text);

    const parsed = await simpleParser(raw);
    expect(parsed.messageId).toBe('<order-PO-1.deposit@tradeguard.local>');
    expect(parsed.subject).toBe(deposit.subject);
    expect(parsed.text?.trim()).toBe(deposit.text);
  });

  it('keeps non-ASCII text intact', async () => {
    await mailer.send({ ...deposit, subject: 'Acompte reçu', text: 'Montant : 1 200,00 € — merci' });
    const raw = fs.readFileSync(path.join(outboxDir, fs.readdirSync(outboxDir)[0]!));
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe('Acompte reçu');
    expect(parsed.text?.trim()).toBe('Montant : 1 200,00 € — merci');
  });

  it('writes one file per message', async () => {
    await mailer.send(deposit);
    await mailer.send({ ...deposit, messageId: '<order-PO-1.balance@tradeguard.local>', subject: 'Balance received' });
    await mailer.send({ ...deposit, messageId: 'plain-id', to: 'supplier@maker.example' });
    expect(fs.readdirSync(outboxDir).sort()).toEqual([
      fileFor('<order-PO-1.balance@tradeguard.local>'),
      fileFor('<order-PO-1.deposit@tradeguard.local>'),
      fileFor('plain-id'),
    ].sort());
    const plain = fs.readFileSync(path.join(outboxDir, fileFor('plain-id')), 'utf8');
    expect(plain).toContain('To: supplier@maker.example');
  });

  it('leaves one file when the same messageId is sent twice', async () => {
    await mailer.send(deposit);
    await mailer.send({ ...deposit, text: 'Resent: we received your deposit.' });
    const files = fs.readdirSync(outboxDir);
    expect(files).toEqual([fileFor('<order-PO-1.deposit@tradeguard.local>')]);
    const parsed = await simpleParser(fs.readFileSync(path.join(outboxDir, files[0]!)));
    expect(parsed.text?.trim()).toBe('Resent: we received your deposit.');
  });

  it('keeps the file name inside the outbox for a messageId with path characters', async () => {
    await mailer.send({ ...deposit, messageId: '../../escape/attempt' });
    expect(fs.readdirSync(root)).toEqual(['outbox']);
    expect(fs.readdirSync(outboxDir)).toEqual([fileFor('../../escape/attempt')]);
  });

  it('gives two message IDs that differ only in punctuation two files', async () => {
    await mailer.send({ ...deposit, messageId: '<a@b>' });
    await mailer.send({ ...deposit, messageId: '_a_b_' });
    expect(fs.readdirSync(outboxDir)).toHaveLength(2);
  });

  it('logs each message with where it was written', async () => {
    await mailer.send(deposit);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('buyer@acme.example');
    expect(lines[0]).toContain(deposit.subject);
    expect(lines[0]).toContain(path.join(outboxDir, fileFor('<order-PO-1.deposit@tradeguard.local>')));
  });
});
