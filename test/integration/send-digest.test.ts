import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import PostalMime from 'postal-mime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderDigest } from '../../src/digest/render-digest.ts';
import {
  createDigestTransporter,
  DigestSendError,
  type OutgoingDigest,
  sendDigest,
} from '../../src/digest/send-digest.ts';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';

const USER = 'sam@example.com';

function outgoing(overrides: Partial<OutgoingDigest> = {}): OutgoingDigest {
  const rendered = renderDigest(
    {
      user: { email: USER, name: 'Sam', timeZone: 'Europe/Berlin' },
      period: '2025-W24',
      generatedAt: new Date('2025-06-09T06:30:00Z'),
      notices: [],
      reading: [],
      items: [
        {
          n: 1,
          kind: 'owe-reply',
          contact: { id: 'j', name: 'Jonas Weber', emails: ['jonas@example.com'] },
          lastContactAt: null,
          cadenceDays: null,
          lastDirection: null,
          subject: 'Dinner on Friday? — ça va',
          threadId: 't1',
          since: new Date('2025-06-04T06:30:00Z'),
        },
      ],
    },
    { publicUrl: 'https://touchbase.example' },
  );
  return {
    from: 'touchbase <digest@touchbase.example>',
    to: USER,
    replyTo: USER,
    messageId: `<digest.${Math.random().toString(36).slice(2)}@touchbase.example>`,
    rendered,
    headers: { 'X-Touchbase-Period': '2025-W24' },
    date: new Date('2025-06-09T06:30:00Z'),
    ...overrides,
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function sendError(promise: Promise<unknown>): Promise<DigestSendError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DigestSendError);
  return error as DigestSendError;
}

describe('sendDigest over SMTP', () => {
  let sink: SmtpSink | undefined;
  afterEach(async () => {
    await sink?.close();
    sink = undefined;
  });

  it('delivers a multipart message with our Message-ID and headers', async () => {
    sink = await startSmtpSink();
    const mail = outgoing();
    const result = await sendDigest({ kind: 'smtp', url: sink.url }, mail);
    expect(result).toEqual({ messageId: mail.messageId, location: null });
    expect(sink.messages).toHaveLength(1);
    const [received] = sink.messages;
    expect(received?.envelope).toEqual({ from: 'digest@touchbase.example', to: [USER] });
    const parsed = await PostalMime.parse(received?.raw ?? Buffer.alloc(0));
    expect(parsed.messageId).toBe(mail.messageId);
    expect(parsed.subject).toBe(mail.rendered.subject);
    expect(parsed.replyTo?.map((a) => ('address' in a ? a.address : ''))).toEqual([USER]);
    expect(parsed.text).toContain('1. Jonas Weber wrote 5 days ago and is waiting for your reply');
    expect(parsed.text).toContain('ça va');
    expect(parsed.html).toContain(`mailto:${USER}?subject=done%201`);
    const header = (name: string) => parsed.headers.find((h) => h.key === name)?.value;
    expect(header('auto-submitted')).toBe('auto-generated');
    expect(header('x-auto-response-suppress')).toBe('All');
    expect(header('x-touchbase-period')).toBe('2025-W24');
    expect(new Date(parsed.date ?? '').toISOString()).toBe('2025-06-09T06:30:00.000Z');
  });

  it('reuses one pooled transporter for several digests', async () => {
    sink = await startSmtpSink();
    const sender = createDigestTransporter({ kind: 'smtp', url: sink.url });
    try {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await sender.send(outgoing())).messageId);
      const received = await Promise.all(sink.messages.map((m) => PostalMime.parse(m.raw)));
      expect(received.map((m) => m.messageId)).toEqual(ids);
    } finally {
      sender.close();
    }
  });

  it('reports a 550 rejection as permanent', async () => {
    sink = await startSmtpSink({ rejectWith: { code: 550, message: 'No such user here' } });
    const error = await sendError(sendDigest({ kind: 'smtp', url: sink.url }, outgoing()));
    expect(error.permanent).toBe(true);
    expect(error.message).toMatch(/rejected.*550.*No such user here/);
    expect(sink.messages).toHaveLength(0);
  });

  it('reports a 451 deferral as transient', async () => {
    sink = await startSmtpSink({ rejectWith: { code: 451, message: 'Try again later' } });
    const error = await sendError(sendDigest({ kind: 'smtp', url: sink.url }, outgoing()));
    expect(error.permanent).toBe(false);
    expect(error.message).toMatch(/deferred.*451/);
  });

  it('reports a refused connection as transient', async () => {
    const url = `smtp://127.0.0.1:${await closedPort()}`;
    const error = await sendError(sendDigest({ kind: 'smtp', url }, outgoing()));
    expect(error.permanent).toBe(false);
    expect(error.message).toMatch(/Could not reach the SMTP server.*ECONNREFUSED/);
  });

  it('rejects a bad URL, Message-ID or header before connecting', async () => {
    const bad = [
      sendDigest({ kind: 'smtp', url: 'http://user:secret@mail.example' }, outgoing()),
      sendDigest({ kind: 'smtp', url: 'smtp://127.0.0.1:1' }, outgoing({ messageId: 'no-brackets@x' })),
      sendDigest(
        { kind: 'smtp', url: 'smtp://127.0.0.1:1' },
        outgoing({ headers: { 'Message-ID': '<a@b>' } }),
      ),
      sendDigest(
        { kind: 'smtp', url: 'smtp://127.0.0.1:1' },
        outgoing({ headers: { 'X-A': 'a\r\nBcc: x@y' } }),
      ),
    ];
    for (const attempt of bad) {
      const error = await sendError(attempt);
      expect(error.permanent).toBe(true);
      expect(error.message).not.toContain('secret');
    }
  });
});

describe('sendDigest to the outbox', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'touchbase-outbox-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a parseable .eml and the HTML beside it, creating the folder', async () => {
    const outbox = path.join(dir, 'nested', 'outbox');
    const mail = outgoing({ messageId: '<digest.2025-W24.u1@touchbase.example>' });
    const result = await sendDigest({ kind: 'outbox', dir: outbox }, mail);
    expect(result.messageId).toBe(mail.messageId);
    expect(result.location).toBe(path.join(outbox, 'digest.2025-W24.u1@touchbase.example.eml'));
    const eml = await readFile(result.location ?? '');
    expect(eml.includes('\r\n')).toBe(true);
    const parsed = await PostalMime.parse(eml);
    expect(parsed.messageId).toBe(mail.messageId);
    expect(parsed.text?.replace(/\r\n/g, '\n').trimEnd()).toBe(mail.rendered.text.trimEnd());
    const html = await readFile((result.location ?? '').replace(/\.eml$/, '.html'), 'utf8');
    expect(html).toBe(mail.rendered.html);
  });

  it('keeps ids that differ only in unsafe characters apart, and rewrites the same id in place', async () => {
    const a = await sendDigest({ kind: 'outbox', dir }, outgoing({ messageId: '<a/b@x.example>' }));
    const b = await sendDigest({ kind: 'outbox', dir }, outgoing({ messageId: '<a:b@x.example>' }));
    const again = await sendDigest({ kind: 'outbox', dir }, outgoing({ messageId: '<a/b@x.example>' }));
    expect(a.location).not.toBe(b.location);
    expect(again.location).toBe(a.location);
    expect(path.dirname(a.location ?? '')).toBe(dir);
  });
});
