import { rfc2822Date, seededRandom } from '../gmail/mail-builder.ts';
import { exchangeId } from './ids.ts';
import type { FakeGraphFolderSpec, FakeGraphMessageSpec, Recipient } from './types.ts';

export interface GenerateMailboxOptions {
  owner: { name: string; email: string };
  /** how many messages, exactly */
  count: number;
  /** default 1; same seed + same `now` = same mailbox */
  seed?: number;
  /** epoch ms or Date the mailbox ends at; default: now, rounded down to the hour */
  now?: number | Date;
  /** how far back mail goes; default 365 days */
  spanDays?: number;
  /** owner aliases some sent mail is written from */
  aliases?: string[];
}

export interface Person {
  name: string;
  email: string;
  /** the folder their mail is filed in */
  home: string;
}

export interface GeneratedMailbox {
  folders: FakeGraphFolderSpec[];
  messages: FakeGraphMessageSpec[];
  /** people the owner corresponds with (two-way), most frequent first */
  people: Person[];
  /** message count per folder (well-known name or display name) */
  byFolder: Record<string, number>;
}

/** User folders the generator files mail in, beside the well-known ones. */
export const GENERATED_FOLDERS: FakeGraphFolderSpec[] = [
  { displayName: 'Projects', parent: 'inbox' },
  { displayName: 'Receipts', parent: 'inbox' },
  { displayName: 'Family' },
];

const FIRST = [
  'Olivia',
  'Liam',
  'Emma',
  'Noah',
  'Amara',
  'Mateo',
  'Sofia',
  'Kenji',
  'Chloé',
  'Ravi',
  'Ingrid',
  'Tomás',
  'Zainab',
  'Lukas',
  'Mei',
  'Oskar',
  'Priya',
  'Jonas',
  'Fatima',
  'Hugo',
];
const LAST = [
  'Smith',
  'García',
  'Müller',
  'Okafor',
  'Nakamura',
  'Rossi',
  'Dubois',
  'Kowalski',
  'Silva',
  'Andersson',
  'Patel',
  "O'Brien",
  'Jensen',
  'Novak',
  'Haddad',
  'Kim',
];
const DOMAINS = [
  'fabrikam.com',
  'northwind.example',
  'tailspin.example',
  'gmail.com',
  'outlook.com',
  'adatum.example',
  'woodgrove.example',
];
const TOPICS = [
  'Quarterly plan',
  'Lunch next week?',
  'Draft for review',
  'Trip photos',
  'Budget question',
  'Intro: two people you should meet',
  'Release notes',
  'Dinner on Saturday',
  'Contract renewal',
  'Board slides',
  'Conference talk',
  'Hiking this weekend',
];
const LINES = [
  'Sounds good to me.',
  'Let me check and get back to you.',
  'Thanks for sending this over!',
  'Works for me, see you then.',
  'Could we move it to Thursday?',
  'Here is the link I mentioned.',
  'I added a few comments.',
];
const LISTS: [string, string, string][] = [
  ['Contoso Weekly', 'news@contoso-weekly.example', 'weekly.contoso-weekly.example'],
  ['Shop Deals', 'deals@shop.example', 'deals.shop.example'],
  ['Dev Digest', 'digest@devdigest.example', 'digest.devdigest.example'],
];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * A realistic, deterministic Outlook mailbox: two-way conversations with a Zipf-like spread of
 * people (a few close contacts, a long tail), filed in inbox, its Projects/Receipts subfolders,
 * a top-level Family folder and the archive, replies in Sent Items; plus newsletters (list
 * headers, Other tab), receipts, junk, deleted items, drafts and Teams conversation history.
 * Linear in `count`; 100,000 messages take well under a second or two.
 */
export function generateMailbox(o: GenerateMailboxOptions): GeneratedMailbox {
  const rand = seededRandom(o.seed ?? 1);
  const now = o.now instanceof Date ? o.now.getTime() : (o.now ?? Math.floor(Date.now() / HOUR) * HOUR);
  const span = (o.spanDays ?? 365) * DAY;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const me: Recipient = { emailAddress: { name: o.owner.name, address: o.owner.email } };
  const selves = [
    me,
    ...(o.aliases ?? []).map((a) => ({ emailAddress: { name: o.owner.name, address: a } })),
  ];
  const ownerDomain = (o.owner.email.split('@')[1] ?? 'contoso.com').toUpperCase();

  const peopleCount = Math.max(12, Math.round(o.count / 40));
  const people: Person[] = Array.from({ length: peopleCount }, (_, i) => {
    const name = `${pick(FIRST)} ${pick(LAST)}`;
    const local = name
      .toLowerCase()
      .normalize('NFD')
      .replace(/[^a-z ]/g, '')
      .replace(' ', '.');
    const r = rand();
    const home = r < 0.6 ? 'inbox' : r < 0.8 ? 'Projects' : r < 0.9 ? 'Family' : 'archive';
    return { name, email: `${local}${i}@${pick(DOMAINS)}`, home };
  });

  const messages: FakeGraphMessageSpec[] = [];
  let seq = 0;
  let conv = 0;
  const iso = (t: number) => `${new Date(t).toISOString().slice(0, 19)}Z`;
  const msgId = (fromMe: boolean, domain: string) => {
    seq += 1;
    const tag = Math.floor(rand() * 0xffffffff)
      .toString(16)
      .padStart(8, '0');
    return fromMe
      ? `<AM${tag}${seq.toString(36).toUpperCase()}@AM0PR01MB${(seq % 9000) + 1000}.eurprd01.prod.outlook.com>`
      : `<${tag}.${seq}@${domain}>`;
  };
  const received = (
    from: Recipient,
    to: Recipient[],
    subject: string,
    at: number,
    id: string,
    extra: [string, string][] = [],
  ) => [
    {
      name: 'Received',
      value: `from mail.${from.emailAddress.address.split('@')[1]} by ${ownerDomain}.mail.protection.outlook.com; ${rfc2822Date(at, 0)}`,
    },
    { name: 'From', value: `${from.emailAddress.name} <${from.emailAddress.address}>` },
    { name: 'To', value: to.map((r) => r.emailAddress.address).join(', ') },
    { name: 'Subject', value: subject },
    { name: 'Date', value: rfc2822Date(at - 2000, 0) },
    { name: 'Message-ID', value: id },
    { name: 'MIME-Version', value: '1.0' },
    { name: 'Content-Type', value: 'text/plain; charset="utf-8"' },
    ...extra.map(([name, value]) => ({ name, value })),
  ];
  const push = (m: FakeGraphMessageSpec) => {
    if (messages.length < o.count) messages.push(m);
  };
  // Older mail is more often archived; some of everything is unread.
  const receivedFolder = (home: string, at: number) =>
    home === 'inbox' && now - at > 60 * DAY && rand() < 0.5 ? 'archive' : home;

  while (messages.length < o.count) {
    const r = rand();
    const at0 = now - Math.floor(rand() ** 1.3 * span) - HOUR;
    if (r < 0.76) {
      // A conversation with one person (sometimes with a cc), alternating turns.
      const p = people[Math.floor(rand() ** 2.2 * people.length)] as Person;
      const them: Recipient = { emailAddress: { name: p.name, address: p.email } };
      const other = people[Math.floor(rand() * people.length)] as Person;
      const cc =
        rand() < 0.15 && other !== p ? [{ emailAddress: { name: other.name, address: other.email } }] : [];
      const self = rand() < 0.1 ? pick(selves) : me;
      const turns = 1 + Math.floor(rand() * 4);
      let fromMe = rand() < 0.4;
      conv += 1;
      const conversationId = exchangeId('conversation', String(o.seed ?? 1), conv);
      const topic = pick(TOPICS);
      const refs: string[] = [];
      let at = at0;
      for (let t = 0; t < turns && at < now; t += 1) {
        const subject = t === 0 ? topic : `RE: ${topic}`;
        const id = msgId(fromMe, p.email.split('@')[1] ?? 'example.com');
        const base = {
          internetMessageId: id,
          conversationId,
          subject,
          sentDateTime: iso(at - (fromMe ? 0 : 1500)),
          receivedDateTime: iso(at),
          body: pick(LINES),
          ccRecipients: cc,
        };
        if (fromMe) {
          push({ ...base, folder: 'sentitems', from: self, sender: self, toRecipients: [them] });
        } else {
          const extra: [string, string][] = refs.length
            ? [
                ['In-Reply-To', refs.at(-1) ?? ''],
                ['References', refs.join(' ')],
              ]
            : [];
          push({
            ...base,
            folder: receivedFolder(p.home, at),
            from: them,
            sender: them,
            toRecipients: [self],
            isRead: rand() < 0.9,
            internetMessageHeaders: received(them, [self], subject, at, id, extra),
          });
        }
        refs.push(id);
        fromMe = !fromMe;
        at += HOUR * (0.3 + rand() * 20);
      }
    } else if (r < 0.88 || r >= 0.99) {
      const [name, address, listId] = pick(LISTS);
      const from: Recipient = { emailAddress: { name, address } };
      const receipt = r >= 0.99 || rand() < 0.2;
      const subject = receipt ? `Your receipt #${Math.floor(rand() * 1e6)}` : `${name}: issue ${seq}`;
      const id = msgId(false, address.split('@')[1] ?? 'example.com');
      const extra: [string, string][] = receipt
        ? [['Auto-Submitted', 'auto-generated']]
        : [
            ['List-Id', `${name} <${listId}>`],
            ['List-Unsubscribe', `<https://${listId}/u>`],
            ['Precedence', 'bulk'],
          ];
      push({
        folder: receipt ? 'Receipts' : 'inbox',
        internetMessageId: id,
        subject,
        from,
        sender: from,
        toRecipients: [me],
        sentDateTime: iso(at0 - 900),
        receivedDateTime: iso(at0),
        isRead: rand() < 0.4,
        inferenceClassification: 'other',
        body: `${subject}. Read online.`,
        internetMessageHeaders: received(from, [me], subject, at0, id, extra),
      });
    } else {
      // Mail that is not correspondence: junk, deleted, drafts, Teams chat history.
      const kind =
        r < 0.92 ? 'junkemail' : r < 0.95 ? 'deleteditems' : r < 0.97 ? 'drafts' : 'conversationhistory';
      const p = pick(people);
      const them: Recipient =
        kind === 'junkemail'
          ? { emailAddress: { name: 'Prize Team', address: `win${seq}@spam.example` } }
          : { emailAddress: { name: p.name, address: p.email } };
      const fromMe = kind === 'drafts';
      const id = msgId(fromMe, them.emailAddress.address.split('@')[1] ?? 'example.com');
      const subject =
        kind === 'junkemail' ? 'You have won!' : kind === 'conversationhistory' ? '' : pick(TOPICS);
      push({
        folder: kind,
        internetMessageId: id,
        subject,
        from: fromMe ? me : them,
        sender: fromMe ? me : them,
        toRecipients: [fromMe ? them : me],
        sentDateTime: iso(at0),
        receivedDateTime: iso(at0),
        isDraft: fromMe,
        body: pick(LINES),
        ...(fromMe ? {} : { internetMessageHeaders: received(them, [me], subject, at0, id) }),
      });
    }
  }

  const byFolder: Record<string, number> = {};
  for (const m of messages) byFolder[m.folder] = (byFolder[m.folder] ?? 0) + 1;
  return { folders: GENERATED_FOLDERS.map((f) => ({ ...f })), messages, people, byFolder };
}
