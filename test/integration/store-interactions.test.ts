import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshContacts } from '../../src/contacts/contact-store.ts';
import { refreshDirtyContacts } from '../../src/contacts/refresh-dirty-contacts.ts';
import type { PrismaClient } from '../../src/lib/prisma.ts';
import type { MessageMeta } from '../../src/providers/types.ts';
import { storeInteractions } from '../../src/sync/store-interactions.ts';
import { createTestDatabase } from '../support/test-database.ts';
import { makeMeta } from '../unit/message-meta.ts';

const OWN = new Set(['me@example.org']);

// One database for the file: every test has users of its own and asks about them only.
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let prisma: PrismaClient;
beforeAll(async () => {
  db = await createTestDatabase();
  prisma = db.prisma;
});
afterAll(async () => {
  await db.drop();
});

/**
 * A header cut in the middle of a character leaves a lone UTF-16 surrogate, and an encoded word
 * can decode to NUL: Postgres text holds neither. The page is stored anyway, each as U+FFFD, and a
 * page without one is stored as it came: by COPY, and by the statement a page some of whose
 * messages are stored already goes as (docs/decisions/0020).
 */
describe.each([
  ['by COPY', false],
  ['by the statement, with one of its messages stored already', true],
])('storeInteractions and broken characters, %s', (_path, partlyStored) => {
  let owner: { userId: string; accountId: string };

  beforeAll(async () => {
    owner = await newOwner(prisma, `broken-${partlyStored}@example.org`);
  });

  /** Stores the page, first its first message alone where the page should be partly stored. */
  const store = async (page: MessageMeta[]) => {
    if (partlyStored) await storeInteractions(prisma, owner, page.slice(0, 1), OWN);
    const stored = await storeInteractions(prisma, owner, page, OWN);
    return stored.inserted + (partlyStored ? 1 : 0);
  };

  it('stores a lone surrogate or a NUL as U+FFFD and keeps whole characters and look-alike text', async () => {
    const page = [
      makeMeta({ providerId: 'a-plain' }),
      makeMeta({ providerId: 'cut-high', subject: 'Caf\uD83D', from: '"Ren\uDE00e" <rene@example.com>' }),
      makeMeta({ providerId: 'nul', subject: 'Tab\u0000le' }),
      makeMeta({ providerId: 'whole', subject: 'Lunch \uD83D\uDE00 \\ud800 \\u0000 is text' }),
    ];
    expect(await store(page)).toBe(4);

    const rows = await prisma.interaction.findMany({
      where: { accountId: owner.accountId, providerMessageId: { not: { startsWith: 'big-' } } },
      orderBy: { providerMessageId: 'asc' },
    });
    expect(rows.map((r) => [r.providerMessageId, r.subject, r.fromName])).toEqual([
      ['a-plain', 'Lunch?', 'Alice Example'],
      ['cut-high', 'Caf\uFFFD', 'Ren\uFFFDe'],
      ['nul', 'Tab\uFFFDle', 'Alice Example'],
      ['whole', 'Lunch \uD83D\uDE00 \\ud800 \\u0000 is text', 'Alice Example'],
    ]);
  });

  it('stores a page of several slices whole, mending only the broken character', async () => {
    // The page is built 200 messages at a time: 450 messages make three slices, the cut
    // character is in the last one.
    const page = Array.from({ length: 450 }, (_, i) =>
      makeMeta({
        providerId: `big-${String(i).padStart(3, '0')}`,
        subject: i === 420 ? 'Cut \uDBFF' : `Note ${i}`,
      }),
    );
    expect(await store(page)).toBe(450);

    const rows = await prisma.interaction.findMany({
      where: { accountId: owner.accountId, providerMessageId: { startsWith: 'big-' } },
      orderBy: { providerMessageId: 'asc' },
    });
    expect(rows.map((r) => r.providerMessageId)).toEqual(page.map((m) => m.providerId));
    expect(rows[420]?.subject).toBe('Cut \uFFFD');
    expect(rows[199]?.subject).toBe('Note 199');
    expect(rows[200]?.subject).toBe('Note 200');
  });
});

/**
 * COPY has no ON CONFLICT: a part with a message stored already fails whole and goes again as the
 * statement, which skips what is stored. Either way a page ends as the same rows and the same
 * dirty marks as when it was stored fresh (the marks come from a trigger, whoever stores).
 */
describe('a page some of whose messages are stored already', () => {
  it('stores the rest as a fresh page would, and marks the same people dirty', async () => {
    const page = overlappingPages()[1] ?? [];
    const fresh = await newOwner(prisma, 'fresh@example.org');
    const freshStored = await storeInteractions(prisma, fresh, page, OWN);
    expect(freshStored.inserted).toBe(240);

    // Every third message first: the page then holds some already.
    const again = await newOwner(prisma, 'again@example.org');
    const first = page.filter((_, i) => i % 3 === 0);
    await storeInteractions(prisma, again, first, OWN);
    const stored = await storeInteractions(prisma, again, page, OWN);
    expect(stored.inserted).toBe(240 - first.length);
    // What the second store reports as touched: the people of the rows it added, no others.
    const added = page.filter((_, i) => i % 3 !== 0);
    expect(stored.touchedAddresses.sort()).toEqual(
      [
        ...new Set(added.flatMap((m) => (m.direction === 'sent' ? (m.to ?? '').split(', ') : [m.from]))),
      ].sort(),
    );
    expect(await storeInteractions(prisma, again, page, OWN)).toEqual({ inserted: 0, touchedAddresses: [] });

    expect(await rowsOf(again.accountId)).toEqual(await rowsOf(fresh.accountId));
    expect(await marksOf(again.userId)).toEqual(await marksOf(fresh.userId));
    expect((await marksOf(fresh.userId)).sort()).toEqual(freshStored.touchedAddresses.sort());
  });
});

/** What a page carries survives the trip exactly, and a long history is read back whole. */
describe('storeInteractions and the recompute, faithfully', () => {
  it("keeps each message's time to the millisecond, before 1970 and after 2038 too", async () => {
    const times = [
      '2026-03-04T05:06:07.891Z',
      '2026-12-31T23:59:59.999Z',
      '1969-07-20T20:17:40.001Z',
      '2040-02-29T12:00:00.500Z',
    ];
    const owner = await newOwner(prisma, 'times@example.org');
    await storeInteractions(
      prisma,
      owner,
      times.map((at, i) => makeMeta({ providerId: `time-${i}`, at: new Date(at) })),
      OWN,
    );
    const rows = await prisma.interaction.findMany({
      where: { accountId: owner.accountId },
      orderBy: { providerMessageId: 'asc' },
    });
    expect(rows.map((r) => r.at.toISOString())).toEqual(times);
  });

  it('stores every field as the message gives it, where a field is empty or its usual value too', async () => {
    const owner = await newOwner(prisma, 'fields@example.org');
    const own = new Set(['fields@example.org']);
    const page = [
      // Sent to three, one a Gmail address whose canonical key differs from it.
      makeMeta({
        providerId: 'f-sent',
        direction: 'sent',
        from: 'Fields <fields@example.org>',
        to: '"Jo Smith" <Jo.Smith+trips@googlemail.com>, bob@example.com',
        cc: 'Carol <carol@example.net>',
        inReplyTo: '<earlier@example.com>',
      }),
      // Received with the user only in Cc, and no thread, Message-ID, subject or sender's name.
      makeMeta({
        providerId: 'f-cc',
        threadId: null,
        internetMessageId: null,
        subject: null,
        from: 'dave@example.com',
        to: 'erin@example.com',
        cc: 'fields@example.org',
      }),
      // Automated.
      makeMeta({ providerId: 'f-news', from: 'News <no-reply@example.com>', listId: '<news.example.com>' }),
    ];
    await storeInteractions(prisma, owner, page, own);
    const rows = await prisma.interaction.findMany({
      where: { accountId: owner.accountId },
      orderBy: { providerMessageId: 'asc' },
    });
    const fields = (r: (typeof rows)[number]) => ({
      providerMessageId: r.providerMessageId,
      threadId: r.threadId,
      internetMessageId: r.internetMessageId,
      inReplyTo: r.inReplyTo,
      direction: r.direction,
      fromAddress: r.fromAddress,
      fromName: r.fromName,
      counterparties: r.counterparties,
      counterpartyNames: r.counterpartyNames,
      counterpartyKeys: r.counterpartyKeys,
      recipientCount: r.recipientCount,
      addressedToUser: r.addressedToUser,
      subject: r.subject,
      automatedReason: r.automatedReason,
    });
    expect(rows.map(fields)).toEqual([
      {
        providerMessageId: 'f-cc',
        threadId: null,
        internetMessageId: null,
        inReplyTo: null,
        direction: 'received',
        fromAddress: 'dave@example.com',
        fromName: null,
        counterparties: ['dave@example.com'],
        counterpartyNames: [''],
        counterpartyKeys: ['dave@example.com'],
        recipientCount: 2,
        addressedToUser: false,
        subject: null,
        automatedReason: null,
      },
      {
        providerMessageId: 'f-news',
        threadId: 't1',
        internetMessageId: '<m1@example.com>',
        inReplyTo: null,
        direction: 'received',
        fromAddress: 'no-reply@example.com',
        fromName: 'News',
        counterparties: ['no-reply@example.com'],
        counterpartyNames: ['News'],
        counterpartyKeys: ['no-reply@example.com'],
        recipientCount: 1,
        addressedToUser: false,
        subject: 'Lunch?',
        automatedReason: expect.any(String),
      },
      {
        providerMessageId: 'f-sent',
        threadId: 't1',
        internetMessageId: '<m1@example.com>',
        inReplyTo: '<earlier@example.com>',
        direction: 'sent',
        fromAddress: 'fields@example.org',
        fromName: 'Fields',
        counterparties: ['jo.smith+trips@googlemail.com', 'bob@example.com', 'carol@example.net'],
        counterpartyNames: ['Jo Smith', '', 'Carol'],
        counterpartyKeys: ['josmith@gmail.com', 'bob@example.com', 'carol@example.net'],
        recipientCount: 3,
        addressedToUser: true,
        subject: 'Lunch?',
        automatedReason: null,
      },
    ]);
  });

  it('recomputes a person whose history is longer than one read of it', async () => {
    const owner = await newOwner(prisma, 'close@example.org');
    const start = Date.UTC(2024, 0, 1);
    // 5,600 messages with one person over 560 days: read back in two slices of 5,000.
    for (let p = 0; p < 14; p++) {
      const page = Array.from({ length: 400 }, (_, i) => {
        const n = p * 400 + i;
        const sent = n % 2 === 0;
        return makeMeta({
          providerId: `close-${n}`,
          internetMessageId: `<close-${n}@example.com>`,
          threadId: `close-t${Math.floor(n / 10)}`,
          at: new Date(start + n * 8_640_000),
          direction: sent ? 'sent' : 'received',
          from: sent ? 'close@example.org' : '"Close Friend" <friend@example.com>',
          to: sent ? '"Close Friend" <friend@example.com>' : 'close@example.org',
        });
      });
      await storeInteractions(prisma, owner, page, new Set(['close@example.org']));
    }
    await refreshDirtyContacts(prisma, owner.userId, {
      groupSizeLimit: 10,
      own: new Set(['close@example.org']),
    });
    const contact = await prisma.contact.findFirstOrThrow({ where: { userId: owner.userId } });
    expect(contact).toMatchObject({
      name: 'Close Friend',
      sentCount: 2_800,
      receivedCount: 2_800,
      exchangeDays: 560,
      firstContactAt: new Date(start),
      lastContactAt: new Date(start + 5_599 * 8_640_000),
    });
  });
});

/**
 * Pages stored at the same time (two workers, or a page and the one behind it) while the dirty
 * marks are being cleared: every statement takes its locks in key order, so none deadlocks, and
 * the contacts come out as a one-page-at-a-time store makes them.
 */
describe('a recompute whose histories outgrew their estimate', () => {
  it('reads them in parts of the rows it may hold, with the contacts of one read', async () => {
    // 30 people with 1 to 120 messages each, some to several of them at once, and every tenth
    // message held twice (a second copy, as another folder keeps it): a part boundary must
    // neither split a person nor count a copy twice.
    const pages: MessageMeta[][] = [];
    const start = Date.UTC(2025, 0, 1);
    let n = 0;
    for (let person = 0; person < 30; person++) {
      const page: MessageMeta[] = [];
      for (let i = 0; i < 1 + ((person * 37) % 120); i++, n++) {
        const sent = i % 3 !== 0;
        const other = `"Person ${person}" <p${person}@example.com>`;
        const group =
          i % 7 === 0 ? `, p${(person + 1) % 30}@example.com, p${(person + 2) % 30}@example.com` : '';
        const meta = makeMeta({
          providerId: `m${n}`,
          internetMessageId: `<m${n}@example.com>`,
          threadId: `t${Math.floor(n / 4)}`,
          at: new Date(start + n * 3_600_000),
          direction: sent ? 'sent' : 'received',
          from: sent ? 'me@example.org' : other,
          to: sent ? other + group : 'me@example.org',
        });
        page.push(meta);
        if (n % 10 === 0)
          page.push({ ...meta, providerId: `copy-${n}`, at: new Date(meta.at.getTime() + 5_000) });
      }
      pages.push(page);
    }
    const addresses = Array.from({ length: 30 }, (_, person) => `p${person}@example.com`);
    const whole = await newOwner(prisma, 'whole@example.org');
    const parts = await newOwner(prisma, 'parts@example.org');
    for (const page of pages) {
      await storeInteractions(prisma, whole, page, OWN);
      await storeInteractions(prisma, parts, page, OWN);
    }
    await refreshContacts(prisma, whole.userId, addresses, { groupSizeLimit: 10, own: OWN });
    // 60 rows at a time: a third of the close contacts' history, so most parts hold one person.
    await refreshContacts(prisma, parts.userId, addresses, { groupSizeLimit: 10, own: OWN, rowsAtOnce: 60 });

    const expected = await contactsOf(prisma, whole.userId);
    expect(expected.length).toBeGreaterThan(20);
    expect(await contactsOf(prisma, parts.userId)).toEqual(expected);
  });
});

describe('storeInteractions at the same time as other pages and the recompute', () => {
  it('never deadlocks and stores each message once', async () => {
    const pages = overlappingPages();
    const concurrent = await newOwner(prisma, 'one@example.org');
    let storing = true;
    const clearing = async () => {
      while (storing) await refreshDirtyContacts(prisma, concurrent.userId, { groupSizeLimit: 10, own: OWN });
    };
    const clearers = [clearing(), clearing()];
    try {
      await Promise.all(pages.map((page) => storeInteractions(prisma, concurrent, page, OWN)));
    } finally {
      storing = false;
      await Promise.all(clearers);
    }
    await refreshDirtyContacts(prisma, concurrent.userId, { groupSizeLimit: 10, own: OWN });

    const sequential = await newOwner(prisma, 'two@example.org');
    for (const page of pages) await storeInteractions(prisma, sequential, page, OWN);
    await refreshDirtyContacts(prisma, sequential.userId, { groupSizeLimit: 10, own: OWN });

    const distinct = new Set(pages.flat().map((m) => m.providerId)).size;
    expect(await prisma.interaction.count({ where: { accountId: concurrent.accountId } })).toBe(distinct);
    expect(await prisma.dirtyAddress.count({ where: { userId: concurrent.userId } })).toBe(0);
    const contacts = await contactsOf(prisma, concurrent.userId);
    expect(contacts.length).toBeGreaterThan(20);
    expect(contacts).toEqual(await contactsOf(prisma, sequential.userId));
  });
});

/**
 * An interaction belongs to an account of its user: Postgres checks it once per statement (a
 * trigger, docs/decisions/0012) where a foreign key checked every row, and deleting the account
 * or the user deletes the interactions.
 */
describe('interactions and their account', () => {
  const page = (prefix: string) =>
    Array.from({ length: 3 }, (_, i) => makeMeta({ providerId: `${prefix}-${i}`, threadId: `${prefix}-t` }));

  it("refuses a page for an account that is gone, or is another user's, and stores none of it", async () => {
    const owner = await newOwner(prisma, 'gone@example.org');
    const other = await newOwner(prisma, 'other@example.org');
    await expect(
      storeInteractions(prisma, { userId: other.userId, accountId: owner.accountId }, page('x'), OWN),
    ).rejects.toThrow(/account .* does not exist \(deleted, or another user's\)/);
    await prisma.mailAccount.delete({ where: { id: owner.accountId } });
    await expect(storeInteractions(prisma, owner, page('y'), OWN)).rejects.toThrow(/does not exist/);
    expect(await prisma.interaction.count({ where: { userId: { in: [owner.userId, other.userId] } } })).toBe(
      0,
    );
    expect(await prisma.dirtyAddress.count({ where: { userId: other.userId } })).toBe(0);
  });

  it('deletes the interactions with their account, and with their user', async () => {
    const first = await newOwner(prisma, 'first@example.org');
    const second = await prisma.mailAccount.create({
      data: { userId: first.userId, provider: 'outlook', email: 'first@example.net' },
    });
    const bystander = await newOwner(prisma, 'bystander@example.org');
    await storeInteractions(prisma, first, page('a'), OWN);
    await storeInteractions(prisma, { userId: first.userId, accountId: second.id }, page('b'), OWN);
    await storeInteractions(prisma, bystander, page('c'), OWN);

    await prisma.mailAccount.delete({ where: { id: first.accountId } });
    expect(await prisma.interaction.count({ where: { userId: first.userId } })).toBe(3);
    await prisma.user.delete({ where: { id: first.userId } });
    expect(await prisma.interaction.count({ where: { userId: first.userId } })).toBe(0);
    expect(await prisma.interaction.count({ where: { userId: bystander.userId } })).toBe(3);
  });

  it('moves the interactions with their account when it changes hands', async () => {
    const from = await newOwner(prisma, 'handover@example.org');
    const to = await prisma.user.create({ data: { email: 'heir@example.org' } });
    await storeInteractions(prisma, from, page('h'), OWN);
    await prisma.mailAccount.update({ where: { id: from.accountId }, data: { userId: to.id } });
    expect(await prisma.interaction.count({ where: { userId: to.id, accountId: from.accountId } })).toBe(3);
    expect(await prisma.interaction.count({ where: { userId: from.userId } })).toBe(0);
  });

  it('makes a page wait for an account being deleted, then refuses it', async () => {
    const owner = await newOwner(prisma, 'racing@example.org');
    await inOpenTransaction(async (deleting) => {
      await deleting.query('DELETE FROM mail_accounts WHERE id = $1', [owner.accountId]);
      let settled = false;
      const storing = storeInteractions(prisma, owner, page('r'), OWN).finally(() => {
        settled = true;
      });
      storing.catch(() => {});
      // The page's check waits on the deleted account's row lock.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false);
      await deleting.query('COMMIT');
      await expect(storing).rejects.toThrow(/does not exist/);
    });
    expect(await prisma.interaction.count({ where: { userId: owner.userId } })).toBe(0);
  });

  it('deletes a page stored while its account was being deleted, once the delete goes through', async () => {
    const owner = await newOwner(prisma, 'late@example.org');
    // A page stored but not yet committed holds its account: the delete waits for it, then
    // removes what it stored.
    await inOpenTransaction(async (storing) => {
      await storing.query(
        `INSERT INTO interactions ("userId", "accountId", "providerMessageId", at, direction)
         VALUES ($1, $2, 'late-1', now(), 'sent')`,
        [owner.userId, owner.accountId],
      );
      const deleting = prisma.mailAccount.delete({ where: { id: owner.accountId } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await storing.query('COMMIT');
      await deleting;
    });
    expect(await prisma.interaction.count({ where: { userId: owner.userId } })).toBe(0);
  });
});

/** Runs `work` on a connection of its own with a transaction begun; `work` commits it. */
async function inOpenTransaction(work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Eight pages of 240 messages with 60 people between them, every page
 * in its own order, each repeating 40 messages of the page before.
 */
function overlappingPages(): MessageMeta[][] {
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const person = () => `person${random(60)}@example.com`;
  const pages: MessageMeta[][] = [];
  for (let p = 0; p < 8; p++) {
    const page = (pages[p - 1] ?? []).slice(0, 40);
    for (let i = page.length; i < 240; i++) {
      const id = `p${p}-m${i}`;
      const at = new Date(Date.UTC(2026, 0, 1) + (p * 240 + i) * 3_600_000);
      const sent = random(2) === 0;
      page.push(
        makeMeta({
          providerId: id,
          threadId: `t${random(300)}`,
          internetMessageId: `<${id}@example.com>`,
          at,
          direction: sent ? 'sent' : 'received',
          from: sent ? 'me@example.org' : person(),
          to: sent ? [person(), person(), person()].join(', ') : 'me@example.org',
        }),
      );
    }
    pages.push(p % 2 === 0 ? page : page.reverse());
  }
  return pages;
}

/** An account's rows, every field but the ids and the account's own, in provider id order. */
async function rowsOf(accountId: string) {
  const rows = await prisma.interaction.findMany({
    where: { accountId },
    orderBy: { providerMessageId: 'asc' },
  });
  return rows.map(
    ({ id: _id, userId: _user, accountId: _account, createdAt: _created, ...fields }) => fields,
  );
}

async function marksOf(userId: string): Promise<string[]> {
  const marks = await prisma.dirtyAddress.findMany({ where: { userId }, orderBy: { address: 'asc' } });
  return marks.map((m) => m.address);
}

async function newOwner(prisma: PrismaClient, email: string) {
  const user = await prisma.user.create({ data: { email } });
  const account = await prisma.mailAccount.create({ data: { userId: user.id, provider: 'gmail', email } });
  return { userId: user.id, accountId: account.id };
}

async function contactsOf(prisma: PrismaClient, userId: string) {
  const rows = await prisma.contact.findMany({ where: { userId }, include: { addresses: true } });
  return rows
    .map((c) => ({
      addresses: c.addresses.map((a) => a.address).sort(),
      sent: c.sentCount,
      received: c.receivedCount,
      last: c.lastContactAt?.toISOString(),
      first: c.firstContactAt?.toISOString(),
      exchangeDays: c.exchangeDays,
      name: c.name,
      lastThreadId: c.lastThreadId,
      cadence: c.inferredCadenceDays,
    }))
    .sort((a, b) => (a.addresses[0] ?? '').localeCompare(b.addresses[0] ?? ''));
}
