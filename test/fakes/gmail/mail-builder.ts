import type { FakeGmailMessage } from './fake-gmail.ts';

export interface Person {
  name: string;
  email: string;
  /** the exact header form when it is unusual (quoted, RFC 2047 encoded); derived otherwise */
  header?: string;
  /** sender's UTC offset in minutes, used for the Date header */
  tzMinutes?: number;
}

export interface MessageSpec {
  at: number;
  from: Person;
  to: Person[];
  cc?: Person[];
  bcc?: Person[];
  subject: string;
  labelIds: string[];
  body: string;
  /** headers that mark list, automated or bounce mail */
  extra?: [string, string][];
  /** overrides the generated Date header (for malformed-date cases) */
  dateHeader?: string;
  /** Gmail-composed mail is multipart/alternative; list mail often is too */
  multipart?: boolean;
}

/** A small deterministic PRNG (mulberry32): fixtures must not depend on Math.random. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Builds Gmail-like messages and threads: hex ids derived from the timestamp (as Gmail's are),
 * threadId = first message id, and Message-ID / In-Reply-To / References chained per thread.
 */
export class MailFactory {
  private seq = 0;
  constructor(
    private readonly owner: Person,
    private readonly ownAddresses: string[],
    private readonly rand: () => number,
  ) {}

  /** Starts a thread; `reply` continues it. */
  start(spec: MessageSpec): FakeGmailMessage[] {
    return [this.build(spec, undefined)];
  }

  reply(
    thread: FakeGmailMessage[],
    spec: Omit<MessageSpec, 'subject'> & { subject?: string },
  ): FakeGmailMessage {
    const first = thread[0];
    const parent = thread.at(-1);
    if (!first || !parent) throw new Error('reply needs a thread');
    const baseSubject = header(first, 'Subject') ?? '';
    const subject = spec.subject ?? (/^re:/i.test(baseSubject) ? baseSubject : `Re: ${baseSubject}`);
    const m = this.build({ ...spec, subject }, { thread, parent });
    thread.push(m);
    return m;
  }

  hex(len: number): string {
    let s = '';
    while (s.length < len) s += Math.floor(this.rand() * 16).toString(16);
    return s;
  }

  private build(
    input: MessageSpec,
    ctx: { thread: FakeGmailMessage[]; parent: FakeGmailMessage } | undefined,
  ): FakeGmailMessage {
    const spec = { ...input, at: Math.round(input.at) };
    this.seq += 1;
    const id = ((BigInt(spec.at) << 20n) | BigInt(this.seq & 0xfffff)).toString(16);
    const fromMe = this.ownAddresses.includes(spec.from.email.toLowerCase());
    const domain = spec.from.email.split('@')[1] ?? 'example.com';
    const messageId = fromMe
      ? `<CA+${this.token(40)}@mail.gmail.com>`
      : `<${this.hex(12)}.${this.seq}@${domain}>`;
    const sentAt = spec.at - Math.floor(this.rand() * 20_000) - 1500;
    const headers: [string, string][] = [];
    if (!fromMe || spec.to.some((p) => p.email === this.owner.email)) {
      headers.push(['Delivered-To', this.owner.email]);
      headers.push([
        'Received',
        `from mail.${domain} (mail.${domain} [192.0.2.${1 + (this.seq % 250)}]) by mx.google.com with ESMTPS id ${this.token(20)}; ${rfc2822Date(spec.at, 0)}`,
      ]);
    }
    headers.push(['MIME-Version', '1.0']);
    headers.push(['Date', spec.dateHeader ?? rfc2822Date(sentAt, spec.from.tzMinutes ?? 0)]);
    if (ctx) {
      const parentId = header(ctx.parent, 'Message-ID') ?? '';
      const parentRefs = header(ctx.parent, 'References');
      headers.push(['References', parentRefs ? `${parentRefs} ${parentId}` : parentId]);
      headers.push(['In-Reply-To', parentId]);
    }
    headers.push(['Message-ID', messageId]);
    headers.push(['Subject', spec.subject]);
    headers.push(['From', formatAddress(spec.from)]);
    if (spec.to.length > 0) headers.push(['To', spec.to.map(formatAddress).join(', ')]);
    if (spec.cc?.length) headers.push(['Cc', spec.cc.map(formatAddress).join(', ')]);
    if (spec.bcc?.length && fromMe) headers.push(['Bcc', spec.bcc.map(formatAddress).join(', ')]);
    headers.push(...(spec.extra ?? []));
    headers.push([
      'Content-Type',
      (spec.multipart ?? fromMe)
        ? `multipart/alternative; boundary="0000000000${this.hex(16)}"`
        : 'text/plain; charset="UTF-8"',
    ]);
    return {
      id,
      threadId: ctx?.thread[0]?.id ?? id,
      labelIds: [...spec.labelIds],
      internalDate: spec.at,
      headers: headers.map(([name, value]) => ({ name, value })),
      body: spec.body,
    };
  }

  private token(len: number): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
    let s = '';
    for (let i = 0; i < len; i += 1) s += alphabet[Math.floor(this.rand() * alphabet.length)];
    return s;
  }
}

/** `Name <addr>`, quoting names with RFC 5322 specials; a Person's explicit header form wins. */
export function formatAddress(p: Person): string {
  if (p.header) return p.header;
  if (!p.name) return p.email;
  const needsQuotes = /[()<>[\]:;@\\,."]/.test(p.name);
  const name = needsQuotes ? `"${p.name.replace(/(["\\])/g, '\\$1')}"` : p.name;
  return `${name} <${p.email}>`;
}

/** RFC 5322 date-time in the sender's zone, e.g. `Tue, 5 Mar 2024 14:03:22 -0800`. */
export function rfc2822Date(ms: number, tzMinutes: number): string {
  const d = new Date(ms + tzMinutes * 60_000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  const sign = tzMinutes < 0 ? '-' : '+';
  const abs = Math.abs(tzMinutes);
  return `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(
    d.getUTCHours(),
  )}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

export function header(m: FakeGmailMessage, name: string): string | undefined {
  return m.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
}
