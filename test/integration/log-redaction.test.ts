import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppContext, createContext } from '../../src/lib/context.ts';
import { createLinkSigner } from '../../src/lib/link-signer.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { enqueueSync } from '../../src/queues/queues.ts';
import { buildServer } from '../../src/web/server.ts';
import { startWorkers } from '../../workers/index.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { connectFake, startTestEnv, type TestEnv } from '../support/test-env.ts';

const sample = buildSampleMailbox({
  owner: SAMPLE_OWNER.email,
  ownerName: SAMPLE_OWNER.name,
  now: new Date(),
});

/** Every address and subject in the sample mailbox: none may reach an info log. */
function personalStrings(): string[] {
  const found = new Set<string>([SAMPLE_OWNER.email]);
  for (const message of sample.messages) {
    for (const header of message.headers) {
      const name = header.name.toLowerCase();
      if (name === 'subject' && header.value.trim().length > 6) found.add(header.value.trim());
      if (['from', 'to', 'cc', 'reply-to'].includes(name)) {
        for (const address of header.value.match(/[\w.+-]+@[\w.-]+\.\w+/g) ?? [])
          found.add(address.toLowerCase());
      }
    }
  }
  return [...found];
}

describe('logs at info carry request and job ids, and nothing personal', () => {
  let env: TestEnv;
  let ctx: AppContext;
  const lines: string[] = [];

  beforeAll(async () => {
    env = await startTestEnv({ owner: SAMPLE_OWNER.email, messages: sample.messages });
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    ctx = createContext(env.config, { log: createLogger('info', { destination: capture }) });
  });
  afterAll(async () => {
    await ctx?.queues().sync.obliterate({ force: true });
    await ctx?.close();
    await env?.close();
  });

  const logText = () => lines.join('\n');
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

  it('logs requests with their id (also sent back as X-Request-Id) and without query values', async () => {
    const user = await ctx.prisma.user.create({ data: { email: SAMPLE_OWNER.email } });
    const link = createLinkSigner(ctx.config.TOUCHBASE_SECRET).sign('unsubscribe', user.id);
    const code = '4/0AsecretAuthorizationCode1234567890';
    const app = await buildServer(ctx);
    try {
      const shown = await app.inject({ method: 'GET', url: `/unsubscribe?u=${encodeURIComponent(link)}` });
      expect(shown.statusCode).toBe(200);
      const paused = await app.inject({ method: 'POST', url: `/unsubscribe?u=${encodeURIComponent(link)}` });
      expect(paused.statusCode).toBe(200);
      await app.inject({
        method: 'GET',
        url: `/oauth/gmail/callback?code=${encodeURIComponent(code)}&state=s3cr3tstate`,
      });
      const traced = await app.inject({
        method: 'GET',
        url: '/healthz',
        headers: { 'x-request-id': 'proxy-request-0001' },
      });
      expect(traced.headers['x-request-id']).toBe('proxy-request-0001');

      const requestId = String(shown.headers['x-request-id']);
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      const ofRequest = parsed().filter((entry) => entry.reqId === requestId);
      expect(ofRequest.map((entry) => entry.msg)).toEqual(['incoming request', 'request completed']);
      expect(ofRequest[0]?.req).toEqual({ method: 'GET', url: '/unsubscribe?u=[redacted]' });
      expect(logText()).toContain('/oauth/gmail/callback?code=[redacted]&state=[redacted]');
      expect(parsed().some((entry) => entry.reqId === 'proxy-request-0001')).toBe(true);
    } finally {
      await app.close();
    }
    expect(logText()).not.toContain(link);
    expect(logText()).not.toContain(encodeURIComponent(link));
    expect(logText()).not.toContain('secretAuthorizationCode');
    expect(logText()).not.toContain('s3cr3tstate');
    await ctx.prisma.user.delete({ where: { id: user.id } });
  });

  it('logs a sync run by the worker with queue, job and account ids, and no address, subject or token', async () => {
    const { account } = await connectFake(ctx);
    const running = await startWorkers(ctx);
    try {
      const job = await enqueueSync(ctx.queues(), account.id, 'manual');
      await expect
        .poll(async () => (await ctx.queues().sync.getJob(job.id ?? ''))?.finishedOn, { timeout: 60_000 })
        .toBeDefined();
      const done = parsed().find((entry) => entry.event === 'sync.done');
      expect(done).toMatchObject({ queue: 'sync', jobId: job.id, accountId: account.id });
      expect(await ctx.prisma.interaction.count()).toBeGreaterThan(0);
    } finally {
      await running.close(10_000);
    }
    const text = logText();
    expect(personalStrings().length).toBeGreaterThan(10);
    const leaks = personalStrings().filter((value) => text.includes(value));
    expect(leaks).toEqual([]);
    for (const tokenShape of ['ya29.', '1//0', '4/0A']) expect(text).not.toContain(tokenShape);
  });
});
