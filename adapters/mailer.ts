import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';

export interface MailMessage {
  /** Stable Message-ID so a receiver can recognise a resend of the same message. */
  messageId: string;
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  /** Where mail goes, for logs and /health: "smtp://host:port" or "files:/path". */
  readonly describe: string;
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export interface MailerOptions {
  /** SMTP URL (smtp://user:pass@host:port, smtps://…); without it messages are written as .eml files. */
  smtpUrl?: string;
  /** Folder for .eml files when there is no SMTP server. */
  outboxDir: string;
  from: string;
  log?: (line: string) => void;
}

export function createMailer(opts: MailerOptions): Mailer {
  const log = opts.log ?? (() => undefined);
  if (opts.smtpUrl) {
    const url = new URL(opts.smtpUrl);
    const transport = nodemailer.createTransport({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 25)),
      secure: url.protocol === 'smtps:',
      ignoreTLS: url.searchParams.get('ignoreTLS') === 'true',
      auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    });
    return {
      describe: `smtp://${url.hostname}:${url.port || (url.protocol === 'smtps:' ? 465 : 25)}`,
      async send(message) {
        await transport.sendMail({ from: opts.from, ...message });
        log(`mail to ${message.to}: ${message.subject}`);
      },
      close: () => transport.close(),
    };
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    describe: `files:${opts.outboxDir}`,
    async send(message) {
      const info = await transport.sendMail({ from: opts.from, ...message });
      // Readable, and unique per Message-ID: the same message rewrites its own file, never another's.
      const readable = message.messageId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
      const digest = createHash('sha256').update(message.messageId).digest('hex').slice(0, 12);
      const file = path.join(opts.outboxDir, `${readable}-${digest}.eml`);
      await fs.promises.writeFile(file, info.message as Buffer).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
        // The folder is created with the first message (and again if it was removed).
        await fs.promises.mkdir(opts.outboxDir, { recursive: true });
        await fs.promises.writeFile(file, info.message as Buffer);
      });
      log(`mail to ${message.to}: ${message.subject} (written to ${file})`);
    },
    close: () => transport.close(),
  };
}
