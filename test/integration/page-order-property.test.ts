import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/lib/context.ts';
import { Prisma, type PrismaClient } from '../../src/lib/prisma.ts';
import { isSkippedMessage } from '../../src/providers/gmail/to-message-meta.ts';
import type { FakeGmailMessage } from '../fakes/gmail/fake-gmail.ts';
import type { Person } from '../fakes/gmail/mail-builder.ts';
import { ScenarioWriter, type Who } from '../fakes/gmail/scenario-writer.ts';
import { contactsFacts } from '../support/contact-facts.ts';
import { connectFake, startTestEnv, syncOnce } from '../support/test-env.ts';

const OWNER: Person = { name: 'Robin Okafor', email: 'robin.okafor@example.com', tzMinutes: 0 };
// Listed by the fake's send-as settings only when `aliasListed`; otherwise the sync learns it
// from the Sent mail it reads, as under a headers-only grant.
const ALIAS: Person = { name: 'Robin Okafor', email: 'robin@okafor.example.net', tzMinutes: 0 };
// The start of today (UTC): a counterexample's seed gives the same mailbox all day.
const NOW = Math.floor(Date.now() / 86_400_000) * 86_400_000;
const SETTINGS = { PROVIDER_RETRY_BASE_MS: '5', GMAIL_QUOTA_UNITS_PER_MINUTE: '10000000' };
const SEND_AS = [{ sendAsEmail: OWNER.email, isPrimary: true }, { sendAsEmail: ALIAS.email }];

/**
 * How the mailbox reaches touchbase instead of one uninterrupted sync: the fake lists `pageSize`
 * messages a page; `late` (in that order) are added to the mailbox only as `deliver` steps come, so
 * the change feed (or a backfill page not read yet) brings them. `run` is one chunk job of that
 * many list pages; `rewind` puts the account's progress back to where it was before the `back`-th
 * last run, as when workers were killed after storing pages but before saving how far they got:
 * the same pages are listed and stored again.
 */
interface Delivery {
  seed: number;
  aliasListed: boolean;
  pageSize: number;
  late: string[];
  steps: Step[];
}
type Step =
  | { kind: 'run'; pages: number }
  | { kind: 'rewind'; back: number }
  | { kind: 'deliver'; count: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('run'), pages: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rewind'), back: fc.integer({ min: 1, max: 3 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('deliver'), count: fc.integer({ min: 1, max: 8 }) }),
  },
);

const deliveries: fc.Arbitrary<Delivery> = fc.integer({ min: 1, max: 0x7fffffff }).chain((seed) => {
  const ids = propertyMailbox(seed).map((m) => m.id);
  return fc.record({
    seed: fc.constant(seed),
    aliasListed: fc.boolean(),
    pageSize: fc.integer({ min: 2, max: 8 }),
    late: fc.shuffledSubarray(ids, { maxLength: Math.ceil(ids.length / 2) }),
    steps: fc.array(step, { minLength: 1, maxLength: 12 }),
  });
});

describe('contacts do not depend on how the mailbox was delivered (through the fake Gmail and syncAccount)', () => {
  it('a backfill cut at any chunk, rewound and run again, with mail arriving late in any order, ends as one uninterrupted sync', async () => {
    await fc.assert(
      fc.asyncProperty(deliveries, async (delivery) => {
        const mailbox = propertyMailbox(delivery.seed);
        const reference = await syncWhole(mailbox, delivery.aliasListed);
        // The reference itself is right: every message but drafts, spam and trash, once each.
        const wanted = mailbox.filter((m) => !isSkippedMessage(m.labelIds)).map((m) => m.id);
        expect(reference.interactions.map((i) => i.providerMessageId)).toEqual(wanted.sort());
        expect(reference.contacts.length).toBeGreaterThan(0);

        expect(await syncDelivered(mailbox, delivery)).toEqual(reference);
      }),
      { numRuns: 15, endOnFailure: true },
    );
  }, 240_000);
});

/** The mailbox whole, read in one sync run (one list page) into a database of its own. */
async function syncWhole(mailbox: FakeGmailMessage[], aliasListed: boolean) {
  const env = await startTestEnv({
    owner: OWNER.email,
    messages: mailbox,
    settings: SETTINGS,
    ...(aliasListed ? { sendAs: SEND_AS } : {}),
  });
  try {
    const ctx = env.context();
    const accountId = (await connectFake(ctx)).account.id;
    const run = await syncOnce(ctx, accountId);
    expect(run.continues).toBe(false);
    return await readOutcome(ctx.prisma, accountId, run.stored);
  } finally {
    await env.close();
  }
}

/** The same mailbox as `delivery` has it arrive, into another database. */
async function syncDelivered(mailbox: FakeGmailMessage[], delivery: Delivery) {
  const late = delivery.late.map((id) => mailbox.find((m) => m.id === id) as FakeGmailMessage);
  const env = await startTestEnv({
    owner: OWNER.email,
    messages: mailbox.filter((m) => !delivery.late.includes(m.id)),
    settings: SETTINGS,
    ...(delivery.aliasListed ? { sendAs: SEND_AS } : {}),
    fake: { maxPageSize: delivery.pageSize },
  });
  try {
    const ctx = env.context();
    const accountId = (await connectFake(ctx)).account.id;
    const before: Progress[] = [];
    let stored = 0;
    for (const s of delivery.steps) {
      if (s.kind === 'deliver') for (const m of late.splice(0, s.count)) env.fake.addMessage(m);
      else if (s.kind === 'run') {
        before.push(await readProgress(ctx, accountId));
        stored += (await syncOnce(ctx, accountId, { chunk: { maxPages: s.pages, maxMs: 600_000 } })).stored;
      } else {
        const progress = before[Math.max(0, before.length - s.back)];
        if (progress) await ctx.prisma.mailAccount.update({ where: { id: accountId }, data: progress });
      }
    }
    for (const m of late.splice(0)) env.fake.addMessage(m);
    // Whatever is left, to the end: the backfill, then the change feed.
    const last = await syncOnce(ctx, accountId);
    expect(last.continues).toBe(false);
    return await readOutcome(ctx.prisma, accountId, stored + last.stored);
  } finally {
    await env.close();
  }
}

type Progress = Awaited<ReturnType<typeof readProgress>>;

/** Everything syncAccount records of how far it got (the progress a killed worker never saved). */
async function readProgress(ctx: AppContext, accountId: string) {
  const a = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
  return {
    syncCursor: json(a.syncCursor),
    backfillState: json(a.backfillState),
    backfillDoneAt: a.backfillDoneAt,
    backfillListed: a.backfillListed,
    backfillChunks: a.backfillChunks,
    backfillRefreshedListed: a.backfillRefreshedListed,
    backfillRefreshedAt: a.backfillRefreshedAt,
  };
}

function json(value: Prisma.JsonValue): Prisma.InputJsonValue | typeof Prisma.DbNull {
  return value === null ? Prisma.DbNull : (value as Prisma.InputJsonValue);
}

/**
 * What the user gets out of the sync: their contacts (every field recomputation sets), the
 * interactions stored, the own addresses learnt from Sent mail, and what was left to recompute.
 * `stored` (the runs' insert counts added up) must be the number of rows: nothing counted twice.
 */
async function readOutcome(prisma: PrismaClient, accountId: string, stored: number) {
  const account = await prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
  const contacts = await prisma.contact.findMany({ include: { addresses: true } });
  // Every field, those judged against the own addresses included: mail to the alias stored before
  // Sent mail taught it is judged again when it does (decision 0003).
  const interactions = await prisma.interaction.findMany({
    where: { accountId },
    orderBy: { providerMessageId: 'asc' },
    omit: { id: true, userId: true, accountId: true, createdAt: true },
  });
  return {
    aliases: [...account.aliases].sort(),
    backfillDone: account.backfillDoneAt !== null,
    dirtyAddresses: await prisma.dirtyAddress.count(),
    stored,
    rows: interactions.length,
    // Not their addresses' `source` (see contactFacts): `contacts why` words only.
    contacts: contactsFacts(contacts),
    interactions,
  };
}

// The cast. Sam's one Gmail mailbox is written three ways (one person by canonicalAddress); Dana
// signs three ways; Mei is family and only ever hears from the alias.
const SAM = ['sam.taylor@gmail.com', 'samtaylor@gmail.com', 'Sam.Taylor+trips@googlemail.com'];
const DANA = ['Dana Whitfield', 'Dana W.', ''];
const friends: Person[] = [
  { name: 'Sam Taylor', email: 'sam.taylor@gmail.com', tzMinutes: -300 },
  { name: 'Dana Whitfield', email: 'dana.whitfield@example.com', tzMinutes: -300 },
  { name: "O'Brien, Siobhan", email: 'siobhan.obrien@example.com', tzMinutes: 0 },
  {
    name: 'José Núñez',
    email: 'jose.nunez@example.org',
    tzMinutes: 60,
    header: '=?UTF-8?Q?Jos=C3=A9_N=C3=BA=C3=B1ez?= <jose.nunez@example.org>',
  },
  { name: 'Mei Chen', email: 'mei.chen@example.net', tzMinutes: 480 },
];
const neighbours: Person[] =
  'Ben Carter|Lucia Romero|Wei Zhang|Fatima Haddad|Oskar Nilsson|Grace Kim|Daniel Okafor|Ines Duarte|Sam Patel|Noor Aziz|Henrik Berg'
    .split('|')
    .map((name) => ({ name, email: `${name.toLowerCase().replace(' ', '.')}@street.example.org` }));
const newsletter: Person = { name: 'The Weekly Byte', email: 'newsletter@weeklybyte.example.org' };
const noReply: Person = { name: 'Bank of Example', email: 'no-reply@alerts.bank.example.net' };
const daemon: Person = { name: 'Mail Delivery Subsystem', email: 'mailer-daemon@mx.example.net' };
const typo: Person = { name: '', email: 'dana.whitfeld@example.com' };
const spammer: Person = { name: 'Prize Department', email: 'winner@prizes.example.net' };
const PATTERNS: Who[][] = [
  ['them', 'me'],
  ['me', 'them', 'me'],
  ['me'],
  ['them'],
  ['them', 'me', 'them'],
  ['me', 'me', 'them'],
];

/**
 * A few dozen messages of one seed, drawn with the fixtures' ScenarioWriter: conversations (some
 * from the alias, some on one day), a 13-recipient group thread, list and no-reply mail, a bounce
 * of a typo'd address (and sometimes of a real one), a note to self, a draft and spam, and second
 * copies of some personal messages.
 */
function propertyMailbox(seed: number): FakeGmailMessage[] {
  const w = new ScenarioWriter(OWNER, ALIAS, NOW, seed);
  const days = () => 1 + Math.floor(w.rand() * 300);
  const personal: FakeGmailMessage[] = [];
  for (const [i, friend] of friends.entries()) {
    const conversations = Math.floor(w.rand() * 4) + (i === 4 ? 1 : 0);
    let day = days();
    for (let c = 0; c < conversations; c++) {
      // Now and then two conversations on one day: exchange days are not messages.
      if (w.rand() < 0.7) day = days();
      const them = {
        ...friend,
        email: i === 0 ? w.pick(SAM) : friend.email,
        name: i === 1 ? w.pick(DANA) : friend.name,
      };
      const thread = w.talk({
        people: [them],
        start: w.at(day, 8 + w.rand() * 12, friend.tzMinutes),
        pattern: w.pick(PATTERNS),
        subject: w.pick(['Dinner next week?', 'Photos', 'Moving update', 'Catching up', 'Quick question']),
        ...(i === 4 || w.rand() < 0.25 ? { asMe: ALIAS } : {}),
      });
      personal.push(...thread);
    }
  }
  if (w.rand() < 0.7) groupThread(w);
  w.bulk(
    newsletter,
    [days(), days(), days()],
    (n) => `The Weekly Byte #${200 + n}`,
    ['CATEGORY_UPDATES'],
    () => w.listHeaders(newsletter, 'weekly.weeklybyte.example.org'),
  );
  const statement = w.at(days(), 7);
  w.start({
    at: statement,
    from: noReply,
    to: [OWNER],
    subject: 'Your statement is ready',
    labelIds: w.received(statement, ['CATEGORY_UPDATES']),
    body: 'Sign in to read it.',
  });
  if (w.rand() < 0.6) bounce(w, typo);
  if (w.rand() < 0.3) bounce(w, friends[1] as Person);
  if (w.rand() < 0.5) {
    const at = w.at(days(), 22);
    w.start({
      at,
      from: OWNER,
      to: [ALIAS],
      subject: 'Note to self',
      labelIds: ['SENT', 'INBOX'],
      body: 'Passport.',
    });
  }
  if (w.rand() < 0.4) {
    const at = w.at(days(), 11);
    const pitch = w.start({
      at,
      from: spammer,
      to: [OWNER],
      subject: 'You won!',
      labelIds: ['SPAM'],
      body: 'Claim.',
    });
    w.reply(pitch, { at: at + 60_000, from: OWNER, to: [spammer], labelIds: ['DRAFT'], body: 'Really?' });
  }
  return [...w.messages(), ...copies(w, personal)];
}

/** A dozen recipients: more than GROUP_SIZE_LIMIT, so it dates contacts but counts for none. */
function groupThread(w: ScenarioWriter): void {
  const [host, ...rest] = neighbours as [Person, ...Person[]];
  const everyone = [OWNER, ...rest, w.pick(friends)];
  const at = w.at(1 + Math.floor(w.rand() * 300), 18);
  const party = w.start({
    at,
    from: host,
    to: everyone,
    subject: 'Block party',
    labelIds: w.received(at),
    body: 'Who brings chairs?',
  });
  const [first, second] = rest as [Person, Person, ...Person[]];
  for (const [who, hours] of [
    [first, 2],
    [OWNER, 5],
    [second, 9],
  ] as const) {
    const others = [host, ...everyone].filter((p) => p.email !== who.email);
    w.reply(party, {
      at: at + hours * 3_600_000,
      from: who,
      to: others.slice(0, 1),
      cc: others.slice(1),
      labelIds: who === OWNER ? ['SENT'] : w.received(at),
      body: w.replyLine(),
    });
  }
}

/** The user writes to `to`; the mailer daemon reports the address failed a minute later. */
function bounce(w: ScenarioWriter, to: Person): void {
  const at = w.at(1 + Math.floor(w.rand() * 300), 10);
  const sent = w.start({
    at,
    from: OWNER,
    to: [to],
    subject: 'Saturday?',
    labelIds: ['SENT'],
    body: 'Still on?',
  });
  w.reply(sent, {
    at: at + 60_000,
    from: daemon,
    to: [OWNER],
    subject: 'Delivery Status Notification (Failure)',
    labelIds: ['INBOX', 'CATEGORY_UPDATES'],
    body: `Address not found: ${to.email}.`,
    extra: [
      ['Auto-Submitted', 'auto-replied'],
      ['X-Failed-Recipients', to.email],
    ],
  });
}

/**
 * Second copies of one to three personal messages (a group's copy of the user's own post, a
 * delivery made twice): a new Gmail id, the same headers (so the same Message-ID), at the same
 * time or up to a few hours later. Either copy may be listed first; the one counted must not
 * depend on that.
 */
function copies(w: ScenarioWriter, personal: readonly FakeGmailMessage[]): FakeGmailMessage[] {
  const made: FakeGmailMessage[] = [];
  const count = personal.length === 0 ? 0 : 1 + Math.floor(w.rand() * 3);
  for (let k = 0; k < count; k++) {
    const original = w.pick(personal);
    const at = original.internalDate + (w.rand() < 0.25 ? 0 : Math.floor(w.rand() * 4 * 3_600_000));
    // Gmail's ids are hex and grow with time; the high bits of the low 20 keep this one apart.
    const id = ((BigInt(at) << 20n) | (0x80000n + BigInt(k))).toString(16);
    made.push({ ...original, id, internalDate: at, headers: [...original.headers] });
  }
  return made;
}
