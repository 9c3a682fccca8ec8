import { readingSentence } from '../sync/backfill-progress.ts';
import { formatCadence, formatDate, formatRelative } from './format-relative.ts';
import { type DigestView, type ItemView, type NoticeView, renderHtml, type Segment } from './render-html.ts';
import type { AccountNotice, DigestContent, DigestItem, RenderedDigest } from './types.ts';

export interface RenderOptions {
  /** Base URL of the web app, for the settings link. */
  publicUrl: string;
  /** The settings link itself (a signed one that works without signing in); default PUBLIC_URL/settings. */
  settingsUrl?: string;
  /**
   * Appended to every one-click command subject ("done 2 <tag>"). A mailto link opens a new
   * message, not a reply, so it carries no In-Reply-To; the tag is how such a command can name
   * its digest.
   */
  commandTag?: string;
  /**
   * The user granted headers only (GMAIL_SCOPE=metadata): a written reply cannot be read, so the
   * footer points to the buttons, which carry their command in the subject line.
   */
  headersOnly?: boolean;
}

/** The weekly digest as subject, plain text and HTML, from already-selected content. */
export function renderDigest(content: DigestContent, opts: RenderOptions): RenderedDigest {
  const view = buildView(content, opts);
  return { subject: view.subject, text: renderText(view), html: renderHtml(view) };
}

const MAX_QUOTE = 90;

function buildView(content: DigestContent, opts: RenderOptions): DigestView {
  const items = [...content.items].sort((a, b) => a.n - b.n);
  // The reply examples use numbers that exist in this digest, so copying one does something sane.
  const [a = 1, b = a, c = b] = items.map((item) => item.n);
  return {
    subject: subjectFor(content),
    preheader: preheaderFor(content, items),
    greeting: content.user.name ? `Hi ${firstName(clean(content.user.name))},` : 'Hi,',
    dateLine: `Week of ${formatDate(content.generatedAt, content.user.timeZone)}`,
    notices: content.notices.map(noticeView),
    reading: content.reading.map((account) => readingSentence({ ...account, email: clean(account.email) })),
    items: items.map((item) => itemView(item, content, opts)),
    emptyMessage:
      content.reading.length > 0
        ? 'Nothing needs you in the mail read so far.'
        : 'Nothing needs you this week: nobody is slipping away and no replies are pending.',
    replyHelp: opts.headersOnly
      ? 'Use the buttons above: touchbase reads only the headers of your mail, so it cannot read a written reply.'
      : items.length > 0
        ? `Reply to this email with: done ${a}, snooze ${b} for 2 weeks, mute ${c}, help`
        : 'Reply to this email with "help" to see what touchbase understands.',
    settingsUrl: opts.settingsUrl ?? `${opts.publicUrl.replace(/\/+$/, '')}/settings`,
  };
}

function renderText(view: DigestView): string {
  const lines: string[] = [view.greeting, ''];
  if (view.notices.length > 0) {
    lines.push('ACTION NEEDED');
    for (const n of view.notices) lines.push(`- ${n.heading}: ${n.problem} To fix: ${n.fix}`);
    lines.push('');
  }
  for (const sentence of view.reading) lines.push(sentence, '');
  if (view.items.length > 0) {
    lines.push(`Your touchbase for the ${lowerFirst(view.dateLine)}:`, '');
    for (const item of view.items) lines.push(`${item.n}. ${item.sentence.map(segmentText).join('')}`);
  } else {
    lines.push(view.emptyMessage);
  }
  // "-- " is the RFC 3676 signature separator: many clients leave what follows out of a reply,
  // so the example commands below it are less likely to come back quoted.
  lines.push('', '-- ', view.replyHelp, `Change your schedule or pause the digest: ${view.settingsUrl}`, '');
  return lines.join('\n');
}

function subjectFor(content: DigestContent): string {
  const count = (kind: DigestItem['kind']) => content.items.filter((item) => item.kind === kind).length;
  const parts = [
    plural(count('lapsed'), 'person to catch up with', 'people to catch up with'),
    plural(count('owe-reply'), 'reply you owe', 'replies you owe'),
    plural(count('awaiting-reply'), 'awaiting reply', 'awaiting replies'),
  ].filter((part): part is string => part !== null);
  const notices = content.notices.length;
  if (parts.length === 0) {
    if (notices > 0) return `Action needed: ${plural(notices, 'account needs', 'accounts need')} attention`;
    return content.reading.length > 0
      ? 'Still reading your mailbox: nothing due so far'
      : 'All caught up this week';
  }
  return `${notices > 0 ? 'Action needed · ' : ''}${parts.join(', ')}`;
}

function preheaderFor(content: DigestContent, items: DigestItem[]): string {
  const names = items.slice(0, 3).map((item) => displayName(item.contact));
  const more = items.length - names.length;
  const people =
    names.length === 0
      ? content.reading.length > 0
        ? 'Nothing due in the mail read so far.'
        : 'Nothing due this week.'
      : `${names.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  return content.notices.length > 0 ? `Action needed on your account. ${people}` : people;
}

function noticeView(notice: AccountNotice): NoticeView {
  const provider = notice.provider === 'gmail' ? 'Gmail' : 'Outlook';
  return {
    heading: `${provider} account ${clean(notice.email)}`,
    problem: withStop(clean(notice.problem)),
    // No stop added: a fix often ends in a URL, and a trailing "." breaks its auto-linking.
    fix: clean(notice.fix),
  };
}

function itemView(item: DigestItem, content: DigestContent, opts: RenderOptions): ItemView {
  const now = content.generatedAt;
  const { timeZone } = content.user;
  const name = displayName(item.contact);
  const quote = item.subject ? `"${truncate(clean(item.subject), MAX_QUOTE)}"` : null;
  const address = item.contact.emails[0];
  const command = (verb: string) => mailto(content.user.email, withTag(verb, opts.commandTag));
  let sentence: Segment[];
  let when: Date | null;
  let dateLabel: string;
  if (item.kind === 'lapsed') {
    when = item.lastContactAt;
    dateLabel = 'Last contact';
    sentence = [{ strong: name }, ` — ${lapsedPhrase(item, firstName(name), now)}.`];
    if (quote) sentence.push(` Last: ${quote}`);
  } else if (item.kind === 'owe-reply') {
    when = item.since ?? item.lastContactAt;
    dateLabel = 'Received';
    const wrote = when ? ` wrote ${formatRelative(when, now)} and` : '';
    sentence = [{ strong: name }, `${wrote} is waiting for your reply${quote ? `: ${quote}` : '.'}`];
  } else {
    when = item.since ?? item.lastContactAt;
    dateLabel = 'Sent';
    const ago = when ? ` ${formatRelative(when, now)}` : '';
    sentence = [
      'You wrote to ',
      { strong: name },
      `${ago} and haven't heard back${quote ? `: ${quote}` : '.'}`,
    ];
  }
  const detail = [address, when ? `${dateLabel} ${formatDate(when, timeZone)}` : null].filter(Boolean);
  const actions = [
    { label: 'Done', href: command(`done ${item.n}`) },
    { label: 'Snooze 2 weeks', href: command(`snooze ${item.n} for 2 weeks`) },
    { label: 'Mute', href: command(`mute ${item.n}`) },
  ];
  if (address) actions.push({ label: `Write to ${firstName(name)}`, href: mailto(address) });
  return {
    n: item.n,
    kind: item.kind,
    sentence,
    detail: detail.length > 0 ? detail.join(' · ') : null,
    actions,
  };
}

function lapsedPhrase(item: DigestItem, first: string, now: Date): string {
  const cadence =
    item.cadenceDays && item.cadenceDays > 0 ? `, usually ${formatCadence(item.cadenceDays)}` : '';
  if (!item.lastContactAt) return `no contact on record${cadence}`;
  const ago = formatRelative(item.lastContactAt, now);
  const who =
    item.lastDirection === 'sent'
      ? 'you last wrote'
      : item.lastDirection === 'received'
        ? `${first} last wrote`
        : 'last in touch';
  return `${who} ${ago}${cadence}`;
}

/** A mailto URL; the address keeps its "@" readable, everything else is percent-encoded. */
function mailto(address: string, subject?: string): string {
  const to = encodeURIComponent(address).replace(/%40/g, '@');
  return subject === undefined ? `mailto:${to}` : `mailto:${to}?subject=${encodeURIComponent(subject)}`;
}

function withTag(command: string, tag: string | undefined): string {
  return tag ? `${command} ${tag}` : command;
}

function displayName(contact: DigestItem['contact']): string {
  return clean(contact.name ?? '') || clean(contact.emails[0] ?? '') || 'Someone';
}

const TITLES = new Set(['dr', 'dr.', 'mr', 'mr.', 'mrs', 'mrs.', 'ms', 'ms.', 'prof', 'prof.']);

/** "Maya" from "Maya Chen", "Chen, Maya" or "Dr. Maya Chen"; an address stays whole. */
function firstName(name: string): string {
  if (name.includes('@')) return name;
  const ordered = name.includes(',') ? (name.split(',')[1] ?? name) : name;
  const words = ordered.trim().split(' ').filter(Boolean);
  const [head, next] = words;
  if (head && next && TITLES.has(head.toLowerCase())) return next;
  return head ?? name;
}

/** One line of plain text: header-borne strings may carry newlines or control characters. */
function clean(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  return value.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
}

function truncate(value: string, max: number): string {
  // By code point, so an emoji in a subject is never cut in half.
  const chars = [...value];
  return chars.length <= max
    ? value
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}

function withStop(sentence: string): string {
  return /[.!?]$/.test(sentence) || sentence === '' ? sentence : `${sentence}.`;
}

function plural(count: number, one: string, many: string): string | null {
  if (count === 0) return null;
  return `${count} ${count === 1 ? one : many}`;
}

function segmentText(segment: Segment): string {
  return typeof segment === 'string' ? segment : segment.strong;
}

function lowerFirst(value: string): string {
  return value.charAt(0).toLowerCase() + value.slice(1);
}
