import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { RenderedDigest } from './types.ts';

/** DKIM signing (RFC 6376) with the sending domain's key, so receivers can trust the From. */
export interface DkimSettings {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

export type DigestTransport =
  | { kind: 'smtp'; url: string; dkim?: DkimSettings }
  | { kind: 'outbox'; dir: string; dkim?: DkimSettings };

export interface OutgoingDigest {
  from: string;
  to: string;
  replyTo: string;
  /** '<local@domain>', used verbatim: replies find their digest by it. */
  messageId: string;
  rendered: RenderedDigest;
  headers?: Record<string, string>;
  date?: Date;
}

export interface SendResult {
  messageId: string;
  /** The .eml path for the outbox; null for SMTP. */
  location: string | null;
}

/** A signal for the caller's retry policy: permanent failures must not be retried. */
export class DigestSendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DigestSendError';
  }
}

/** Sends one digest over a fresh connection (or into the outbox) and closes it. */
export async function sendDigest(transport: DigestTransport, mail: OutgoingDigest): Promise<SendResult> {
  const sender = createDigestTransporter(transport, { pool: false });
  try {
    return await sender.send(mail);
  } finally {
    sender.close();
  }
}

export interface DigestSender {
  send(mail: OutgoingDigest): Promise<SendResult>;
  close(): void;
}

/** A long-lived sender, pooled for SMTP, for a worker that sends many digests. */
export function createDigestTransporter(
  transport: DigestTransport,
  opts: { pool?: boolean } = {},
): DigestSender {
  return transport.kind === 'outbox'
    ? outboxSender(transport.dir, transport.dkim)
    : smtpSender(transport.url, opts.pool ?? true, transport.dkim);
}

// Short enough that a dead server fails a job within a minute, not nodemailer's two minutes.
const SMTP_TIMEOUTS = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 };

interface MailSender {
  sendMail(options: SendMailOptions): Promise<unknown>;
  close(): void;
}

function smtpSender(url: string, pool: boolean, dkim: DkimSettings | undefined): DigestSender {
  assertSmtpUrl(url);
  const transporter = openSmtp(url, pool, dkim);
  return {
    async send(mail) {
      const options = toMailOptions(mail);
      try {
        await transporter.sendMail(options);
      } catch (error) {
        throw toSendError(error);
      }
      return { messageId: mail.messageId, location: null };
    },
    close: () => transporter.close(),
  };
}

function openSmtp(url: string, pool: boolean, dkim: DkimSettings | undefined): MailSender {
  // Not `{ url }`: nodemailer then drops every other option (timeouts, pool, DKIM) silently.
  const options = { ...smtpOptions(url), ...SMTP_TIMEOUTS, ...(dkim ? { dkim } : {}) };
  if (pool) {
    const pooled = nodemailer.createTransport({ ...options, pool: true });
    return { sendMail: (mail) => pooled.sendMail(mail), close: () => pooled.close() };
  }
  const single = nodemailer.createTransport(options);
  return { sendMail: (mail) => single.sendMail(mail), close: () => single.close() };
}

function outboxSender(dir: string, dkim: DkimSettings | undefined): DigestSender {
  // CRLF line ends: an .eml file is the message exactly as it would go over SMTP.
  const transporter = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
    ...(dkim ? { dkim } : {}),
  });
  return {
    async send(mail) {
      const options = toMailOptions(mail);
      const info = await transporter.sendMail(options).catch((error: unknown) => {
        throw toSendError(error);
      });
      if (!Buffer.isBuffer(info.message)) throw new DigestSendError('Outbox: message was not buffered', true);
      const base = path.resolve(dir, safeFileName(mail.messageId));
      try {
        await mkdir(dir, { recursive: true });
        // The .eml is written last: its presence means the pair is complete.
        await writeAtomically(`${base}.html`, mail.rendered.html);
        await writeAtomically(`${base}.eml`, info.message);
      } catch (error) {
        throw toOutboxError(error, dir);
      }
      return { messageId: mail.messageId, location: `${base}.eml` };
    },
    close: () => transporter.close(),
  };
}

const MESSAGE_ID = /^<[^<>\s@]+@[^<>\s@]+>$/;

// Headers this module owns; a caller's header of the same name would duplicate or contradict them.
const RESERVED = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'auto-submitted',
  'x-auto-response-suppress',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
]);

function toMailOptions(mail: OutgoingDigest): SendMailOptions {
  if (!MESSAGE_ID.test(mail.messageId)) {
    throw new DigestSendError(
      `Invalid Message-ID ${JSON.stringify(mail.messageId)}: expected <id@domain>`,
      true,
    );
  }
  const extra: Record<string, string> = {};
  for (const [name, value] of Object.entries(mail.headers ?? {})) {
    if (RESERVED.has(name.toLowerCase())) {
      throw new DigestSendError(`Header ${name} is set by sendDigest and cannot be overridden`, true);
    }
    if (!/^[!-9;-~]+$/.test(name) || /[\r\n]/.test(value)) {
      throw new DigestSendError(`Header ${JSON.stringify(name)} has an invalid name or a line break`, true);
    }
    extra[name] = value;
  }
  return {
    from: mail.from,
    to: mail.to,
    replyTo: mail.replyTo,
    subject: mail.rendered.subject,
    text: mail.rendered.text,
    html: mail.rendered.html,
    messageId: mail.messageId,
    date: mail.date ?? new Date(),
    headers: {
      ...extra,
      // RFC 3834: marks the digest as machine-sent so auto-responders stay quiet.
      'Auto-Submitted': 'auto-generated',
      // Exchange/Outlook ignore Auto-Submitted for out-of-office replies; this stops them.
      'X-Auto-Response-Suppress': 'All',
    },
  };
}

function assertSmtpUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch (error) {
    // The URL may hold a password, so it is not repeated in the message.
    throw new DigestSendError('SMTP URL is not a valid URL', true, { cause: error });
  }
  if (protocol !== 'smtp:' && protocol !== 'smtps:') {
    throw new DigestSendError(`SMTP URL must start with smtp:// or smtps://, not ${protocol}//`, true);
  }
}

// nodemailer error codes that no retry can fix when the server gave no reply code.
const PERMANENT_CODES = new Set(['EAUTH', 'EENVELOPE', 'EMESSAGE']);

/** 5xx replies are permanent, 4xx replies and network failures transient. */
function toSendError(error: unknown): DigestSendError {
  if (error instanceof DigestSendError) return error;
  const fields: Record<string, unknown> = typeof error === 'object' && error !== null ? { ...error } : {};
  const code = typeof fields.code === 'string' ? fields.code : 'UNKNOWN';
  const responseCode = typeof fields.responseCode === 'number' ? fields.responseCode : null;
  const response = typeof fields.response === 'string' ? fields.response.trim() : null;
  const command = typeof fields.command === 'string' ? ` after ${fields.command}` : '';
  const detail = response ?? (error instanceof Error ? error.message : String(error));
  if (responseCode !== null && responseCode >= 500) {
    return new DigestSendError(`SMTP server rejected the digest${command}: ${detail}`, true, {
      cause: error,
    });
  }
  if (responseCode !== null && responseCode >= 400) {
    return new DigestSendError(`SMTP server deferred the digest${command}: ${detail}`, false, {
      cause: error,
    });
  }
  const permanent = PERMANENT_CODES.has(code);
  const what = permanent ? 'SMTP send failed' : 'Could not reach the SMTP server';
  return new DigestSendError(`${what} (${code}): ${detail}`, permanent, { cause: error });
}

// Retrying cannot fix permissions or a path that is a file; a full disk may clear.
const PERMANENT_FS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR']);

function toOutboxError(error: unknown, dir: string): DigestSendError {
  const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : '';
  const reason = error instanceof Error ? error.message : String(error);
  return new DigestSendError(
    `Could not write the digest to outbox ${dir}: ${reason}`,
    PERMANENT_FS.has(code),
    {
      cause: error,
    },
  );
}

/** A file name from the Message-ID: the same digest always lands in the same file. */
function safeFileName(messageId: string): string {
  const bare = messageId.slice(1, -1);
  const safe = bare
    .replace(/[^A-Za-z0-9@._-]/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 150);
  // Replacing characters could make two ids collide; a short hash keeps them apart.
  if (safe === bare) return safe;
  return `${safe}-${createHash('sha256').update(messageId).digest('hex').slice(0, 10)}`;
}

async function writeAtomically(file: string, data: string | Buffer): Promise<void> {
  // A reader polling the outbox never sees half a file.
  const tmp = `${file}.${randomUUID()}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/** SMTP_URL as nodemailer options: smtp(s)://user:pass@host:port?requireTLS=true&tls.rejectUnauthorized=false */
function smtpOptions(url: string) {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'smtps:';
  const flag = (name: string) => parsed.searchParams.get(name) === 'true';
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
    ...(parsed.username
      ? { auth: { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) } }
      : {}),
    ...(flag('requireTLS') ? { requireTLS: true } : {}),
    ...(flag('ignoreTLS') ? { ignoreTLS: true } : {}),
    ...(parsed.searchParams.get('tls.rejectUnauthorized') === 'false'
      ? { tls: { rejectUnauthorized: false } }
      : {}),
  };
}
