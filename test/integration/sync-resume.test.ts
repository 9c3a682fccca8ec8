import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { ProviderError } from '../../src/lib/errors.ts';
import {
  buildSampleMailbox,
  listedMessages,
  SAMPLE_OWNER,
  storedMessages,
} from '../fixtures/sample-mailbox.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

const now = new Date('2026-11-20T10:00:00Z');
const sample = buildSampleMailbox({ owner: SAMPLE_OWNER.email, ownerName: SAMPLE_OWNER.name, now });
const stored = storedMessages(sample.messages);

describe('a backfill interrupted mid-way', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let accountId: string;

  beforeAll(async () => {
    env = await startTestEnv({
      owner: SAMPLE_OWNER.email,
      messages: sample.messages,
      settings: { PROVIDER_RETRY_BASE_MS: '10' },
      fake: { logRequests: true },
    });
    ctx = env.context({ clock: fixedClock(now) });
    accountId = (await connectFake(ctx)).account.id;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('keeps the pages it finished and the place it stopped', async () => {
    // The second page of messages.list fails the way Google fails under load, past every retry:
    // listed ahead with the first page (which is then read planned alone), and then on its own.
    env.fake.injectFault({
      path: /\/messages\?.*pageToken=/,
      status: 503,
      reason: 'backendError',
      times: 12,
    });
    const error = await syncOnce(ctx, accountId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('TEMPORARY');
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(account.backfillDoneAt).toBeNull();
    expect((account.backfillState as { pageToken: string | null }).pageToken).toEqual(expect.any(String));
    const saved = await ctx.prisma.interaction.count();
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeLessThan(stored.length);
  });

  it('resumes from there: nothing fetched twice, nothing lost, nothing counted twice', async () => {
    const listsBefore = env.fake.stats.byEndpoint['users.messages.list'] ?? 0;
    const reads = () =>
      (env.fake.stats.byEndpoint['users.messages.get'] ?? 0) +
      2 * (env.fake.stats.byEndpoint['users.threads.get'] ?? 0);
    const readsBefore = reads();
    const result = await syncOnce(ctx, accountId);
    expect(result.backfillPages).toBe(1);
    expect(env.fake.stats.byEndpoint['users.messages.list']).toBe(listsBefore + 1);
    // Never dearer than one get per listed message, across the failed run and the resumed one.
    const listed = listedMessages(sample.messages);
    expect(reads()).toBeLessThanOrEqual(listed.length);
    expect(readsBefore).toBeGreaterThan(0);
    expect(await ctx.prisma.interaction.count()).toBe(stored.length);
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(account.backfillDoneAt).not.toBeNull();
  });

  it('waits out a rate limit (429 with Retry-After) for the whole mailbox and carries on', async () => {
    env.fake.addMessage({
      id: 'after-limit',
      threadId: 'after-limit',
      labelIds: ['INBOX'],
      internalDate: now.getTime() - 1000,
      headers: [
        { name: 'From', value: 'Ann <ann@example.com>' },
        { name: 'To', value: SAMPLE_OWNER.email },
        { name: 'Subject', value: 'Hello again' },
        { name: 'Message-ID', value: '<after-limit@example.com>' },
      ],
    });
    env.fake.injectFault({
      path: /\/messages\/after-limit/,
      status: 429,
      reason: 'rateLimitExceeded',
      retryAfterSeconds: 1,
    });
    const result = await syncOnce(ctx, accountId);
    expect(result.stored).toBe(1);
    expect(await ctx.prisma.interaction.count()).toBe(stored.length + 1);
    expect(env.fake.stats.byEndpoint['users.messages.get']).toBeGreaterThan(0);
    // The read was the only request in flight: the next one came a full Retry-After later.
    const log = env.fake.requestLog;
    const refusal = log.find((r) => r.status === 429);
    if (!refusal) throw new Error('the fake refused nothing');
    const next = log.slice(log.indexOf(refusal) + 1);
    expect(next.map((r) => [r.endpoint, r.status])).toEqual([['users.messages.get', 200]]);
    expect((next[0]?.at ?? 0) - refusal.answeredAt).toBeGreaterThanOrEqual(1000);
  });
});
