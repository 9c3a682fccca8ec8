import type { FakeGmailMessage } from './fake-gmail.ts';
import { MailFactory, type MessageSpec, type Person, seededRandom } from './mail-builder.ts';

export type Who = 'me' | 'them';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const REPLY_LINES = [
  'Sounds good to me.',
  'Let me check and get back to you.',
  'Thanks for sending this over!',
  'Works for me, see you then.',
  'Great idea, count me in.',
  'I added a few comments inline.',
  'Could we move it to Thursday?',
  'Here is the link I mentioned.',
];

export interface TalkOptions {
  /** people[0] writes the "them" turns; the rest are addressed alongside the user */
  people: Person[];
  cc?: Person[];
  start: number;
  pattern: Who[];
  subject: string;
  /** the user's address for this conversation (primary or an alias) */
  asMe?: Person;
  important?: boolean;
}

/**
 * Writes a mailbox as a story told in "days ago": conversations on a rhythm, list mail, one-off
 * threads. Everything is drawn from one seeded PRNG, so the same story gives the same mailbox.
 */
export class ScenarioWriter {
  readonly rand: () => number;
  readonly mail: MailFactory;
  private readonly threads: FakeGmailMessage[][] = [];

  constructor(
    readonly me: Person,
    readonly alias: Person,
    readonly now: number,
    seed: number,
  ) {
    this.rand = seededRandom(seed);
    this.mail = new MailFactory(me, [me.email, alias.email], this.rand);
  }

  /** Every message written so far, oldest first. */
  messages(): FakeGmailMessage[] {
    return this.threads.flat().sort((a, b) => a.internalDate - b.internalDate);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)] as T;
  }

  /** Epoch ms `daysAgo` days before now, at about `localHour` in a zone `tz` minutes from UTC. */
  at(daysAgo: number, localHour: number, tz = this.me.tzMinutes ?? 0): number {
    const day = Math.floor((this.now - daysAgo * DAY) / DAY) * DAY;
    return day + localHour * HOUR - tz * 60_000 + Math.floor(this.rand() * 45 * 60_000);
  }

  /** Labels of received mail: older mail is archived (no INBOX) about half the time. */
  received(t: number, extra: string[] = ['CATEGORY_PERSONAL']): string[] {
    const archived = this.now - t > 21 * DAY && this.rand() < 0.5;
    return [...(archived ? [] : ['INBOX']), ...extra];
  }

  /** Start days (days ago) from `last` back to `first`, every `every` ± `jitter` days. */
  rhythm(first: number, last: number, every: number, jitter: number): number[] {
    const days: number[] = [];
    for (let d = last; d <= first; d += every + (this.rand() * 2 - 1) * jitter) days.push(d);
    return days;
  }

  /** A conversation shape that always ends with the user's reply. */
  shape(): Who[] {
    if (this.rand() < 0.65) return ['them', 'me'];
    return this.rand() < 0.6 ? ['me', 'them', 'me'] : ['them', 'me', 'them', 'me'];
  }

  start(spec: MessageSpec): FakeGmailMessage[] {
    const thread = this.mail.start(spec);
    this.threads.push(thread);
    return thread;
  }

  reply(
    thread: FakeGmailMessage[],
    spec: Omit<MessageSpec, 'subject'> & { subject?: string },
  ): FakeGmailMessage {
    return this.mail.reply(thread, spec);
  }

  /** Turns a few hours apart; a conversation that would end in the future is moved back. */
  talk(o: TalkOptions): FakeGmailMessage[] {
    const self = o.asMe ?? this.me;
    const times = [o.start];
    for (let i = 1; i < o.pattern.length; i += 1) {
      times.push((times[i - 1] ?? 0) + HOUR * (0.5 + this.rand() * 7));
    }
    const overshoot = (times.at(-1) ?? 0) - (this.now - 2 * HOUR);
    const shift = overshoot > 0 ? overshoot + this.rand() * HOUR : 0;
    const them = o.people[0] as Person;
    const theirLabels = o.important ? ['IMPORTANT', 'CATEGORY_PERSONAL'] : ['CATEGORY_PERSONAL'];
    let thread: FakeGmailMessage[] = [];
    o.pattern.forEach((who, i) => {
      const at = (times[i] ?? 0) - shift;
      const spec =
        who === 'me'
          ? { at, from: self, to: o.people, cc: o.cc ?? [], labelIds: ['SENT'] }
          : {
              at,
              from: them,
              to: [self, ...o.people.slice(1)],
              cc: o.cc ?? [],
              labelIds: this.received(at, theirLabels),
            };
      const body = this.pick(REPLY_LINES);
      if (i === 0) thread = this.start({ ...spec, subject: o.subject, body });
      else this.reply(thread, { ...spec, body });
    });
    return thread;
  }

  replyLine(): string {
    return this.pick(REPLY_LINES);
  }

  /** One list message to the user on each of `days`, often left unread. */
  bulk(
    from: Person,
    days: number[],
    subject: (i: number) => string,
    labels: string[],
    extra: () => [string, string][],
  ): void {
    days.forEach((d, i) => {
      const at = this.at(d, 6 + this.rand() * 4, from.tzMinutes);
      const unread = this.rand() < 0.6 ? ['UNREAD'] : [];
      const text = subject(i);
      this.start({
        at,
        from,
        to: [this.me],
        subject: text,
        labelIds: [...this.received(at, labels), ...unread],
        body: `${text}. Read online.`,
        multipart: true,
        extra: extra(),
      });
    });
  }

  /** RFC 2369 / 2919 list headers plus one-click unsubscribe (RFC 8058) and Precedence. */
  listHeaders(from: Person, listId: string, precedence = 'bulk'): [string, string][] {
    const domain = from.email.split('@')[1] ?? 'example.org';
    return [
      ['List-Id', `${from.name} <${listId}>`],
      [
        'List-Unsubscribe',
        `<mailto:unsubscribe@${domain}?subject=unsubscribe>, <https://${domain}/u/${this.mail.hex(12)}>`,
      ],
      ['List-Unsubscribe-Post', 'List-Unsubscribe=One-Click'],
      ['Precedence', precedence],
    ];
  }
}
