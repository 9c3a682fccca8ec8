import { generateKeyPairSync } from 'node:crypto';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendWeeklyDigest } from '../../src/digest/send-weekly-digest.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { buildServer } from '../../src/web/server.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

const now = new Date('2026-11-23T09:00:00Z');
const sample = buildSampleMailbox({ owner: SAMPLE_OWNER.email, ownerName: SAMPLE_OWNER.name, now });
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().replaceAll('\n', '\\n');

describe('the digest as a well-behaved sender: DKIM, one-click unsubscribe', () => {
  let env: TestEnv;
  let sink: SmtpSink;
  let ctx: AppContext;
  let userId: string;
  let unsubscribe: URL;

  beforeAll(async () => {
    sink = await startSmtpSink();
    env = await startTestEnv({
      owner: SAMPLE_OWNER.email,
      messages: sample.messages,
      settings: {
        SMTP_URL: sink.url,
        PUBLIC_URL: 'https://touchbase.example.org',
        DKIM_DOMAIN: 'touchbase.example.org',
        DKIM_SELECTOR: 'tb2026',
        DKIM_PRIVATE_KEY: pem,
      },
    });
    ctx = env.context({ clock: fixedClock(now) });
    const connected = await connectFake(ctx);
    userId = connected.user.id;
    await syncOnce(ctx, connected.account.id);
    expect((await sendWeeklyDigest(ctx, userId)).status).toBe('sent');
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  it('signs the digest and offers a one-click unsubscribe', async () => {
    const parsed = await PostalMime.parse(sink.messages[0]?.raw ?? Buffer.alloc(0));
    const header = (name: string) => parsed.headers.find((h) => h.key === name)?.value ?? '';
    expect(header('dkim-signature')).toMatch(/d=touchbase\.example\.org/);
    expect(header('dkim-signature')).toMatch(/s=tb2026/);
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    const link = header('list-unsubscribe').match(/<(https:[^>]+)>/)?.[1];
    expect(link).toMatch(/^https:\/\/touchbase\.example\.org\/unsubscribe\?u=/);
    unsubscribe = new URL(link as string);
  });

  it('only shows a button on GET (link scanners open links), and pauses on the one-click POST', async () => {
    const app = await buildServer(ctx);
    const path = `${unsubscribe.pathname}${unsubscribe.search}`;
    const shown = await app.inject({ method: 'GET', url: path });
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toMatch(/<form method="post"/);
    expect((await ctx.prisma.user.findUniqueOrThrow({ where: { id: userId } })).digestPaused).toBe(false);

    // Tampered in the middle of the signature, and in its last character (lenient base64 bits).
    const middle = path.length - 8;
    const tampered = `${path.slice(0, middle)}${path[middle] === 'A' ? 'B' : 'A'}${path.slice(middle + 1)}`;
    expect((await app.inject({ method: 'POST', url: tampered })).statusCode).toBe(400);
    const lastChar = path.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await app.inject({ method: 'POST', url: lastChar })).statusCode).toBe(400);
    expect((await ctx.prisma.user.findUniqueOrThrow({ where: { id: userId } })).digestPaused).toBe(false);

    const oneClick = await app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.statusCode).toBe(200);
    expect((await ctx.prisma.user.findUniqueOrThrow({ where: { id: userId } })).digestPaused).toBe(true);
    await app.close();

    // Next week nothing is sent.
    const later = env.context({ clock: fixedClock(new Date(now.getTime() + 7 * 86_400_000)) });
    expect((await sendWeeklyDigest(later, userId)).status).toBe('paused');
    expect(sink.messages).toHaveLength(1);
  });
});
