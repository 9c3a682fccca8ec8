import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { type AppContext, createContext } from '../../src/lib/context.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { enqueueSync } from '../../src/queues/queues.ts';
import { buildServer } from '../../src/web/server.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

const sample = buildSampleMailbox({
  owner: SAMPLE_OWNER.email,
  ownerName: SAMPLE_OWNER.name,
  now: new Date(),
});
const METRICS_TOKEN = 'metrics-token-for-the-test-0123456789';

/** The value of one sample line of the Prometheus text format, or undefined. */
function sampleValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.lastIndexOf('}'));
    const has = Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`));
    if (has) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('/metrics', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let accountId: string;
  let userId: string;

  beforeAll(async () => {
    env = await startTestEnv({ owner: SAMPLE_OWNER.email, messages: sample.messages });
    ctx = env.context();
    const connected = await connectFake(ctx);
    accountId = connected.account.id;
    userId = connected.user.id;
    // One rate-limit answer on the first listing page: the governor waits a second and goes on.
    env.fake.injectFault({ path: /\/messages\?/, status: 429, retryAfterSeconds: 1, times: 1 });
    await syncOnce(ctx, accountId);
  });
  afterAll(async () => {
    await env?.close();
  });

  const scrape = async (context = ctx, headers: Record<string, string> = {}) => {
    const app = await buildServer(context);
    try {
      return await app.inject({ method: 'GET', url: '/metrics', headers });
    } finally {
      await app.close();
    }
  };

  it('counts provider requests made in the sync by method and outcome, as the provider saw them', async () => {
    const gets = env.fake.stats.byEndpoint['users.messages.get'] ?? 0;
    expect(gets).toBeGreaterThan(0);
    // The worker side counts without waiting for Redis: the totals arrive a moment later.
    await expect
      .poll(async () =>
        sampleValue((await scrape()).body, 'touchbase_provider_requests_total', {
          provider: 'gmail',
          method: 'messages.get',
          outcome: 'ok',
        }),
      )
      .toBe(gets);
    const text = (await scrape()).body;
    expect(
      sampleValue(text, 'touchbase_provider_requests_total', {
        provider: 'gmail',
        method: 'messages.list',
        outcome: 'rate_limited',
      }),
    ).toBe(1);
    expect(text).toMatch(/# TYPE touchbase_provider_requests_total counter/);
  });

  it('shows sync lag per account by id, and never an address', async () => {
    const response = await scrape();
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const lag = sampleValue(response.body, 'touchbase_sync_lag_seconds', {
      account_id: accountId,
      provider: 'gmail',
    });
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(3600);
    expect(sampleValue(response.body, 'touchbase_accounts', { provider: 'gmail', status: 'ACTIVE' })).toBe(1);
    expect(response.body).not.toContain(SAMPLE_OWNER.email);
    expect(response.body).not.toMatch(/@/);
  });

  it('counts jobs by queue and state at scrape time', async () => {
    await enqueueSync(ctx.queues(), accountId, 'manual');
    const text = (await scrape()).body;
    const { waiting } = await ctx.queues().sync.getJobCounts('waiting');
    expect(waiting).toBeGreaterThan(0);
    expect(sampleValue(text, 'touchbase_queue_jobs', { queue: 'sync', state: 'waiting' })).toBe(waiting);
    expect(sampleValue(text, 'touchbase_queue_jobs', { queue: 'digest', state: 'failed' })).toBe(0);
    expect(sampleValue(text, 'touchbase_queue_jobs', { queue: 'command', state: 'active' })).toBe(0);
  });

  it('counts digests sent and failed from the database', async () => {
    await ctx.prisma.digest.createMany({
      data: [
        { userId, period: '2026-W40', messageId: '<a@t>', status: 'SENT', items: [] },
        { userId, period: '2026-W41', messageId: '<b@t>', status: 'SENT', items: [] },
        { userId, period: '2026-W42', messageId: '<c@t>', status: 'FAILED', items: [] },
      ],
    });
    const text = (await scrape()).body;
    expect(sampleValue(text, 'touchbase_digests', { status: 'SENT' })).toBe(2);
    expect(sampleValue(text, 'touchbase_digests', { status: 'FAILED' })).toBe(1);
    expect(sampleValue(text, 'touchbase_metrics_source_up', { source: 'postgres' })).toBe(1);
  });

  it('wants the bearer token when METRICS_TOKEN is set', async () => {
    const guarded = createContext(parseConfig({ ...env.env, METRICS_TOKEN }), {
      log: createLogger('silent'),
    });
    try {
      expect((await scrape(guarded)).statusCode).toBe(401);
      expect((await scrape(guarded, { authorization: 'Bearer wrong-token' })).statusCode).toBe(401);
      const ok = await scrape(guarded, { authorization: `Bearer ${METRICS_TOKEN}` });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain('touchbase_queue_jobs');
    } finally {
      await guarded.close();
    }
  });
});
