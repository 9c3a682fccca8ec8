import { afterAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/lib/clock.ts';
import { WANTED_HEADERS } from '../../src/providers/header-names.ts';
import type { FakeGmailMessage } from '../fakes/gmail/fake-gmail.ts';
import type { LoggedRequest } from '../fakes/gmail/request-log.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

const now = new Date('2026-11-20T10:00:00Z');
const sample = buildSampleMailbox({ owner: SAMPLE_OWNER.email, ownerName: SAMPLE_OWNER.name, now });

describe('a Gmail sync asks only for the headers inference uses', () => {
  let env: TestEnv | undefined;
  afterAll(async () => {
    await env?.close();
  });

  it('sends format=metadata and exactly WANTED_HEADERS on every messages.get and threads.get, backfill and changes', async () => {
    env = await startTestEnv({
      owner: SAMPLE_OWNER.email,
      messages: sample.messages,
      fake: { logRequests: true },
    });
    const ctx = env.context({ clock: fixedClock(now) });
    const log = { requests: env.fake.requestLog };
    const { account } = await connectFake(ctx);

    await syncOnce(ctx, account.id);
    const backfill = headerReads(log.requests);
    // The sample mailbox has long conversations (read a thread at a time) and single messages.
    expect(backfill.filter((r) => r.kind === 'threads').length).toBeGreaterThan(0);
    expect(backfill.filter((r) => r.kind === 'messages').length).toBeGreaterThan(0);

    // The change feed reads through the same plan: a new two-message thread and a singleton.
    for (const m of newMail()) env.fake.addMessage(m);
    const before = log.requests.length;
    const changes = await syncOnce(ctx, account.id);
    expect(changes.changePages).toBeGreaterThan(0);
    expect(changes.stored).toBe(3);
    const changeReads = headerReads(log.requests.slice(before));
    expect(changeReads.map((r) => [r.kind, r.id]).sort()).toEqual([
      ['messages', 'e0000000000000c3'],
      ['threads', 'e0000000000000c1'],
    ]);

    const wanted = [...WANTED_HEADERS].sort();
    for (const read of [...backfill, ...changeReads]) {
      expect({ path: read.path, format: read.format, headers: read.headers }).toEqual({
        path: read.path,
        format: ['metadata'],
        headers: wanted,
      });
    }
  });
});

interface HeaderRead {
  kind: 'messages' | 'threads';
  id: string;
  path: string;
  format: string[];
  /** metadataHeaders as sent (sorted, case kept), in either of the array forms the fake accepts. */
  headers: string[];
}

/** The messages.get and threads.get requests among the logged ones, with their query parameters. */
function headerReads(requests: readonly LoggedRequest[]): HeaderRead[] {
  return requests.flatMap((r) => {
    const url = new URL(r.path, 'http://x');
    const match = /\/gmail\/v1\/users\/[^/]+\/(messages|threads)\/([^/]+)$/.exec(url.pathname);
    if (!match?.[1] || !match[2]) return [];
    const p = url.searchParams;
    return [
      {
        kind: match[1] as HeaderRead['kind'],
        id: decodeURIComponent(match[2]),
        path: r.path,
        format: p.getAll('format'),
        headers: [...p.getAll('metadataHeaders'), ...p.getAll('metadataHeaders[]')].sort(),
      },
    ];
  });
}

function newMail(): FakeGmailMessage[] {
  const friend = sample.expected.active[0] as string;
  const message = (id: string, threadId: string, minutesAgo: number): FakeGmailMessage => ({
    id,
    threadId,
    labelIds: ['INBOX'],
    internalDate: now.getTime() - minutesAgo * 60_000,
    headers: [
      { name: 'From', value: `Friend <${friend}>` },
      { name: 'To', value: SAMPLE_OWNER.email },
      { name: 'Subject', value: `New ${id}` },
      { name: 'Message-ID', value: `<${id}@example.com>` },
    ],
  });
  return [
    message('e0000000000000c1', 'e0000000000000c1', 30),
    message('e0000000000000c2', 'e0000000000000c1', 20),
    message('e0000000000000c3', 'e0000000000000c3', 10),
  ];
}
