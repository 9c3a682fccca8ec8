import type { FakeGmailMessage } from '../fakes/gmail/fake-gmail.ts';
import type { Person } from '../fakes/gmail/mail-builder.ts';
import { ScenarioWriter } from '../fakes/gmail/scenario-writer.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const FIRST = [
  'Ana',
  'Ben',
  'Chloé',
  'Dmitri',
  'Emma',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kofi',
  'Lena',
  'Marta',
  'Nils',
  'Olu',
  'Priya',
  'Quinn',
  'Rosa',
  'Sven',
  'Tariq',
  'Uma',
  'Vera',
  'Wen',
  'Yusuf',
  'Zoe',
];
const LAST = [
  'Almeida',
  'Berg',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'García',
  'Haddad',
  'Ito',
  'Jansen',
  'Kowalski',
  'Larsen',
  "O'Brien",
  'Novak',
  'Okafor',
  'Petrov',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Van der Berg',
];
const DOMAINS = [
  'gmail.com',
  'outlook.com',
  'acme-corp.com',
  'example.org',
  'uni.edu',
  'studio.io',
  'fastmail.com',
  'yahoo.com',
];
const TOPICS = [
  'Lunch next week?',
  'Draft for review',
  'Trip photos',
  'Quarterly numbers',
  'Re: the lease',
  'Board meeting',
  'Birthday plans',
  'Intro: two people you should meet',
  'Invoice #2231',
  'Hiking on Saturday',
];

export interface SyntheticMailbox {
  me: Person;
  /** Every message, oldest thread first; pages of the mailbox come from here as they are made. */
  threads(): Generator<FakeGmailMessage[]>;
}

/**
 * A large, deterministic mailbox shaped like a real one, made thread by thread so that a
 * million messages never sit in memory at once. Thread kinds by share of threads: newsletters
 * and list mail 45% and notifications 15% (one message each, list and automation headers),
 * conversations of 2-4 messages 26%, one-off mail from strangers 10%, long group threads of
 * 6-20 messages with 2-5 people in Cc 4%: about 1.9 messages a thread. Correspondents follow a
 * Zipf-like law (a few close people write often, thousands once), as in a real mailbox.
 */
export function syntheticMailbox(options: { messages: number; seed: number; now: number }): SyntheticMailbox {
  const me: Person = { name: 'Bench Owner', email: 'bench.owner@gmail.com', tzMinutes: 60 };
  const alias: Person = { name: 'Bench Owner', email: 'owner@bench-owner.dev', tzMinutes: 60 };
  return {
    me,
    *threads() {
      const w = new ScenarioWriter(me, alias, options.now, options.seed);
      const people = makePeople(w, 6_000);
      const lists = makeSenders(w, 80, 'news');
      const robots = makeSenders(w, 40, 'noreply');
      const zipf = (n: number) => Math.min(n - 1, Math.floor(n ** w.rand() - 1));
      let made = 0;
      while (made < options.messages) {
        const left = options.messages - made;
        const thread = nextThread(w, { people, lists, robots, zipf, now: options.now }, left);
        made += thread.length;
        yield thread;
      }
    },
  };
}

interface Cast {
  people: Person[];
  lists: Person[];
  robots: Person[];
  zipf: (n: number) => number;
  now: number;
}

function nextThread(w: ScenarioWriter, cast: Cast, left: number): FakeGmailMessage[] {
  const start = cast.now - (2 * HOUR + w.rand() * 700 * DAY);
  const roll = w.rand();
  if (roll < 0.45 || left === 1) {
    const from = cast.lists[cast.zipf(cast.lists.length)] as Person;
    return w.mail.start({
      at: start,
      from,
      to: [w.me],
      subject: `${from.name} weekly #${Math.floor(w.rand() * 400)}`,
      labelIds: [...w.received(start, ['CATEGORY_PROMOTIONS']), ...(w.rand() < 0.6 ? ['UNREAD'] : [])],
      body: 'Read online.',
      multipart: true,
      extra: w.listHeaders(from, `${from.email.split('@')[0]}.list.${from.email.split('@')[1]}`),
    });
  }
  if (roll < 0.6) {
    const from = cast.robots[cast.zipf(cast.robots.length)] as Person;
    return w.mail.start({
      at: start,
      from,
      to: [w.me],
      subject: `Your receipt ${w.mail.hex(8)}`,
      labelIds: w.received(start, ['CATEGORY_UPDATES']),
      body: 'Thanks for your order.',
      extra: [['Auto-Submitted', 'auto-generated']],
    });
  }
  if (roll < 0.86) {
    const who = cast.people[cast.zipf(cast.people.length)] as Person;
    return talk(w, [who], [], start, w.shape().slice(0, Math.max(1, left)));
  }
  if (roll < 0.96) {
    const who = cast.people[300 + Math.floor(w.rand() * (cast.people.length - 300))] as Person;
    return talk(
      w,
      [who],
      [],
      start,
      (w.rand() < 0.5 ? ['them'] : ['them', 'me']).slice(0, left) as ('me' | 'them')[],
    );
  }
  const group = Array.from(
    { length: 3 + Math.floor(w.rand() * 4) },
    () => cast.people[cast.zipf(cast.people.length)] as Person,
  );
  const turns = Math.min(left, 6 + Math.floor(w.rand() * 15));
  const pattern = Array.from({ length: turns }, (_, i) => (i % 3 === 2 ? 'me' : 'them') as 'me' | 'them');
  return talk(w, group.slice(0, 1), group.slice(1), start, pattern);
}

/** A conversation whose turns are a few hours apart, never in the future. */
function talk(
  w: ScenarioWriter,
  to: Person[],
  cc: Person[],
  start: number,
  pattern: ('me' | 'them')[],
): FakeGmailMessage[] {
  let thread: FakeGmailMessage[] = [];
  let at = Math.min(start, w.now - pattern.length * 8 * HOUR);
  pattern.forEach((who, i) => {
    const them = (i > 0 && cc.length > 0 ? w.pick([to[0], ...cc]) : to[0]) as Person;
    const spec =
      who === 'me'
        ? { at, from: w.me, to, cc, labelIds: ['SENT'], body: w.replyLine() }
        : { at, from: them, to: [w.me], cc, labelIds: w.received(at), body: w.replyLine() };
    if (i === 0) thread = w.mail.start({ ...spec, subject: w.pick(TOPICS) });
    else w.mail.reply(thread, spec);
    at += HOUR * (0.5 + w.rand() * 7);
  });
  return thread;
}

function makePeople(w: ScenarioWriter, n: number): Person[] {
  return Array.from({ length: n }, (_, i) => {
    const first = w.pick(FIRST);
    const last = w.pick(LAST);
    const local = `${first}.${last}`
      .toLowerCase()
      .normalize('NFD')
      .replace(/[^a-z.]/g, '');
    return {
      name: `${first} ${last}`,
      email: `${local}${i}@${w.pick(DOMAINS)}`,
      tzMinutes: w.pick([-480, -300, 0, 60, 330, 540]),
    };
  });
}

function makeSenders(w: ScenarioWriter, n: number, kind: 'news' | 'noreply'): Person[] {
  return Array.from({ length: n }, (_, i) => {
    const brand = `${w.pick(LAST).replace(/[^A-Za-z]/g, '')}${i}`;
    const domain = `${brand.toLowerCase()}.com`;
    return kind === 'news'
      ? { name: `${brand} News`, email: `newsletter@${domain}` }
      : { name: brand, email: `no-reply@${domain}` };
  });
}
