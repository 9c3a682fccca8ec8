import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/digest/format-relative.ts';
import { renderDigest } from '../../src/digest/render-digest.ts';
import { selectDigestContent, selectOptions } from '../../src/digest/select-digest-items.ts';
import { sendWeeklyDigest } from '../../src/digest/send-weekly-digest.ts';
import { readingAccounts } from '../../src/sync/backfill-progress.ts';
import { SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { type SampleEnv, startSampleEnv } from '../support/sample-env.ts';
import { syncOnce } from '../support/test-env.ts';

const now = new Date('2026-11-23T08:00:00Z');
const STILL_READING = `touchbase is still reading the past mail of ${SAMPLE_OWNER.email}`;

/**
 * A digest that falls due while a mailbox's first backfill is still going (hours, under Google's
 * 2026 quota) is drawn from its newest mail only, and says so; once the backfill is done, or
 * while a resync reads again into rows already there, it does not.
 */
describe('the digest during a first backfill', () => {
  let s: SampleEnv;

  // The quota is not what this is about: a budget that never waits.
  beforeAll(async () => {
    s = await startSampleEnv({ now, settings: { GMAIL_QUOTA_UNITS_PER_MINUTE: '10000000' } });
  });
  afterAll(async () => {
    await s?.close();
  });

  /** The digest as it would be at `at` (the backfill began at `now`). */
  const preview = async (at = now) => {
    const user = await s.ctx.prisma.user.findUniqueOrThrow({ where: { id: s.owner.userId } });
    const content = await selectDigestContent(
      s.ctx.prisma,
      user,
      at,
      '2026-W48',
      selectOptions(s.ctx.config),
    );
    // The people list (CLI and web) asks the same question through its own query.
    expect(await readingAccounts(s.ctx.prisma, s.owner.userId, at)).toEqual(content.reading);
    return { content, rendered: renderDigest(content, { publicUrl: s.ctx.config.PUBLIC_URL }) };
  };

  it('says the mailbox is not read yet before the first sync', async () => {
    const { content, rendered } = await preview();
    expect(content.reading).toEqual([
      { email: SAMPLE_OWNER.email, provider: 'gmail', listed: 0, percent: null, secondsLeft: null },
    ]);
    expect(rendered.subject).toBe('Still reading your mailbox: nothing due so far');
    expect(rendered.text).toContain(`touchbase has not started reading ${SAMPLE_OWNER.email} yet.`);
  });

  it("is sent after the first chunk with the newest mail's follow-ups, and says how far the reading is", async () => {
    // One list page of 500: the newest mail, with the people it names recomputed.
    const first = await syncOnce(s.ctx, s.owner.accountId, { chunk: { maxPages: 1, maxMs: 60_000 } });
    expect(first.continues).toBe(true);
    const account = await s.ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: s.owner.accountId } });
    const percent = Math.floor((account.backfillListed / (account.backfillTotal ?? 0)) * 100);
    expect(percent).toBeGreaterThan(0);
    expect(percent).toBeLessThan(100);

    expect((await sendWeeklyDigest(s.ctx, s.owner.userId)).status).toBe('sent');
    const parsed = await PostalMime.parse(s.sink.messages[0]?.raw ?? Buffer.alloc(0));
    const sentence = `${STILL_READING} (${percent}% so far). Until it is done, people you have not been in touch with lately may be missing here.`;
    expect(parsed.text).toContain(sentence);
    expect(parsed.html).toContain(sentence);
    // Newest first: the replies owed and awaited, all in recent mail, are already there.
    const row = await s.ctx.prisma.digest.findUniqueOrThrow({
      where: { userId_period: { userId: s.owner.userId, period: '2026-W48' } },
    });
    const items = row.items as { kind: string; contact: { emails: string[] } }[];
    expect(items.filter((i) => i.kind === 'owe-reply').flatMap((i) => i.contact.emails)).toEqual(
      s.sample.expected.oweReply,
    );

    // Ten minutes into the backfill, at the rate it has gone: about how long is left.
    const later = await preview(new Date(now.getTime() + 10 * 60_000));
    const total = account.backfillTotal ?? 0;
    const left = Math.round(((total - account.backfillListed) * 600) / account.backfillListed);
    expect(later.content.reading[0]?.secondsLeft).toBe(left);
    expect(later.rendered.text).toContain(
      `${STILL_READING} (${percent}% so far, about ${formatDuration(left)} left).`,
    );
  });

  it('says nothing of it once the backfill is done, nor while a resync reads the mailbox again', async () => {
    await syncOnce(s.ctx, s.owner.accountId);
    const done = await preview();
    expect(done.content.reading).toEqual([]);
    expect(done.rendered.text).not.toContain('touchbase is still reading');

    // The history expired: a resync starts over, into rows already stored.
    s.env.fake.expireHistory();
    const resync = await syncOnce(s.ctx, s.owner.accountId, { chunk: { maxPages: 1, maxMs: 60_000 } });
    expect(resync).toMatchObject({ resynced: true, continues: true });
    expect(
      (await s.ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: s.owner.accountId } })).backfillDoneAt,
    ).toBeNull();
    expect((await preview()).content.reading).toEqual([]);
  });
});
