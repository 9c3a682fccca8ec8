import { decodeEncodedWords } from './message-resource.ts';
import type { StoredMessage } from './store.ts';

export interface ParsedQuery {
  matches(m: StoredMessage): boolean;
  /** true when the query itself asks for spam or trash, which Gmail then includes */
  reachesSpamTrash: boolean;
}

export class QueryError extends Error {}

const DAY_MS = 86_400_000;
const UNIT_MS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: DAY_MS,
  w: 7 * DAY_MS,
  y: 365 * DAY_MS,
};

/**
 * Parses the subset of Gmail's search syntax the fake understands: after:/before:/older:/newer:
 * (YYYY/MM/DD taken as Pacific midnight, as the API docs warn, or epoch seconds),
 * newer_than:/older_than:, in:, label:, category:, is:, from:/to:/cc:/subject:, rfc822msgid:,
 * a leading '-' for negation and bare words or "quoted phrases" matched as text.
 * Terms are ANDed; OR and {} groups are not supported.
 */
export function parseQuery(q: string, ctx: { now: number; ownAddresses: string[] }): ParsedQuery {
  const terms = tokenize(q);
  let reachesSpamTrash = false;
  const preds: ((m: StoredMessage) => boolean)[] = [];
  for (const raw of terms) {
    const negate = raw.startsWith('-') && raw.length > 1;
    const term = negate ? raw.slice(1) : raw;
    const colon = term.indexOf(':');
    const op = colon > 0 ? term.slice(0, colon).toLowerCase() : '';
    const arg = colon > 0 ? unquote(term.slice(colon + 1)) : unquote(term);
    const pred = predicateFor(op, arg, ctx);
    if (!negate && (op === 'in' || op === 'label') && /^(spam|trash|anywhere)$/i.test(arg))
      reachesSpamTrash = true;
    preds.push(negate ? (m) => !pred(m) : pred);
  }
  return { matches: (m) => preds.every((p) => p(m)), reachesSpamTrash };
}

function predicateFor(
  op: string,
  arg: string,
  ctx: { now: number; ownAddresses: string[] },
): (m: StoredMessage) => boolean {
  switch (op) {
    case 'after':
    case 'newer': {
      const t = parseDateArg(arg);
      return (m) => m.internalDate >= t;
    }
    case 'before':
    case 'older': {
      const t = parseDateArg(arg);
      return (m) => m.internalDate < t;
    }
    case 'newer_than':
    case 'older_than': {
      const match = /^(\d+)([mhdwy])$/i.exec(arg);
      if (!match) throw new QueryError(`Invalid ${op} value: ${arg}`);
      const cutoff = ctx.now - Number(match[1]) * (UNIT_MS[(match[2] ?? 'd').toLowerCase()] ?? DAY_MS);
      return op === 'newer_than' ? (m) => m.internalDate >= cutoff : (m) => m.internalDate < cutoff;
    }
    case 'in':
    case 'label': {
      const wanted = arg.toLowerCase();
      if (wanted === 'anywhere') return () => true;
      const id = wanted.replace(/[-\s]/g, '_').toUpperCase();
      return (m) => m.labelIds.some((l) => l.toUpperCase() === id || l.toLowerCase() === wanted);
    }
    case 'category': {
      const id = `CATEGORY_${arg.toUpperCase()}`;
      return (m) => m.labelIds.includes(id);
    }
    case 'is':
      return isPredicate(arg.toLowerCase());
    case 'from':
    case 'to':
    case 'cc':
    case 'bcc': {
      const wanted = arg.toLowerCase() === 'me' ? ctx.ownAddresses : [arg.toLowerCase()];
      return (m) => {
        const v = headerText(m, op).toLowerCase();
        return wanted.some((w) => v.includes(w));
      };
    }
    case 'subject':
      return (m) => headerText(m, 'subject').toLowerCase().includes(arg.toLowerCase());
    case 'rfc822msgid': {
      const id = arg.replace(/^<|>$/g, '').toLowerCase();
      return (m) =>
        headerText(m, 'message-id')
          .toLowerCase()
          .replace(/[<>\s]/g, '') === id;
    }
    default: {
      const needle = (op ? `${op}:${arg}` : arg).toLowerCase();
      return (m) =>
        [headerText(m, 'subject'), headerText(m, 'from'), headerText(m, 'to'), m.snippet ?? '', m.body ?? '']
          .join('\n')
          .toLowerCase()
          .includes(needle);
    }
  }
}

function isPredicate(what: string): (m: StoredMessage) => boolean {
  const flag: Record<string, string> = { unread: 'UNREAD', starred: 'STARRED', important: 'IMPORTANT' };
  if (what === 'read') return (m) => !m.labelIds.includes('UNREAD');
  const label = flag[what];
  if (!label) throw new QueryError(`Unsupported is: value: ${what}`);
  return (m) => m.labelIds.includes(label);
}

function headerText(m: StoredMessage, name: string): string {
  return m.headers
    .filter((h) => h.name.toLowerCase() === name)
    .map((h) => decodeEncodedWords(h.value))
    .join(', ');
}

/** Epoch ms for a Gmail date argument: epoch seconds, or a calendar date at Pacific midnight. */
export function parseDateArg(arg: string): number {
  if (/^\d{9,}$/.test(arg)) return Number(arg) * 1000;
  const match = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$/.exec(arg);
  if (!match) throw new QueryError(`Invalid date in query: ${arg}`);
  const [y, mo, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return pacificMidnight(y, mo, d);
}

function pacificMidnight(y: number, month: number, day: number): number {
  const utcMidnight = Date.UTC(y, month - 1, day);
  // Pacific is UTC-8 or UTC-7; pick the offset Intl reports for that calendar day.
  const name = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/Los_Angeles',
    timeZoneName: 'shortOffset',
  })
    .formatToParts(new Date(utcMidnight + 12 * 3_600_000))
    .find((p) => p.type === 'timeZoneName')?.value;
  const offsetHours = Number(/GMT([+-]\d+)/.exec(name ?? '')?.[1] ?? '-8');
  return utcMidnight - offsetHours * 3_600_000;
}

function tokenize(q: string): string[] {
  const out: string[] = [];
  const re = /-?[^\s"]*"[^"]*"|\S+/g;
  for (const m of q.matchAll(re)) out.push(m[0]);
  return out;
}

function unquote(s: string): string {
  return s.startsWith('"') && s.endsWith('"') && s.length >= 2 ? s.slice(1, -1) : s;
}
