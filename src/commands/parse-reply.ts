import {
  amountOf,
  cadenceDays,
  type DurationUnit,
  rhythmDays,
  snoozeForDuration,
  snoozeUntilDate,
  toCount,
  unitOf,
} from './reply-time.ts';

export type ItemRef = number[] | 'all';
/**
 * A snooze's `until` is always the start of a day in the user's zone, after `now` and at most one
 * year on (see reply-time.ts); a cadence is 1 to 3650 days with 30-day months.
 */
export type ReplyCommand =
  | { kind: 'snooze'; items: ItemRef; until: Date }
  | { kind: 'done'; items: ItemRef }
  | { kind: 'mute'; items: ItemRef }
  | { kind: 'unmute'; items: ItemRef }
  | { kind: 'cadence'; items: ItemRef; days: number }
  | { kind: 'help' };
export interface ParsedReply {
  commands: ReplyCommand[];
  /** Fragments as the user wrote them (NFKC, invisible format characters removed, trimmed). */
  notUnderstood: string[];
}
export interface ReplyContext {
  now: Date;
  /** IANA zone ("Europe/Berlin"); an unknown one is a caller bug and throws a RangeError. */
  timeZone: string;
  /** Items in the digest being answered: item numbers must be 1..itemCount. */
  itemCount: number;
}

/**
 * Reads the user's reply to a digest (already passed through stripQuoted) into commands. Pure:
 * text in, commands out. Several commands per reply, one per line or separated by ";" or ","
 * (a comma followed by a digit continues an item list: "snooze 2,4 for 2 months"). Anything not
 * read as a whole command, or naming an item outside the digest, changes nothing and is returned
 * in notUnderstood, except blank lines, greetings, sign-offs, phone footers and a name alone at
 * the end.
 *
 * Work is bounded whatever the input: only the first MAX_LINES non-blank lines are read (more is
 * reported as one "(N more lines not read)" entry), a line over MAX_LINE_CHARS is prose and is
 * reported truncated, and at most MAX_COMMANDS commands are returned.
 */
export function parseReply(text: string, ctx: ReplyContext): ParsedReply {
  const commands: ReplyCommand[] = [];
  const notUnderstood: string[] = [];
  const { lines, unread } = readLines(text);
  dropTrailingName(lines);
  for (const { text: line, segments } of lines) {
    const failed: string[] = [];
    let understood = 0;
    for (const segment of segments) {
      if (isCourtesy(segment)) continue;
      const command = commands.length < MAX_COMMANDS ? parseCommand(segment, ctx) : null;
      if (command) {
        commands.push(command);
        understood++;
      } else {
        failed.push(segment);
      }
    }
    // A line of prose (or one too long to read) is echoed whole rather than chopped at its commas.
    if (understood === 0 && (failed.length > 0 || segments.length === 0)) notUnderstood.push(echo(line));
    else for (const segment of failed) notUnderstood.push(echo(segment));
  }
  if (unread > 0) notUnderstood.push(`(${unread} more ${unread === 1 ? 'line' : 'lines'} not read)`);
  return { commands, notUnderstood };
}

const MAX_LINES = 50;
const MAX_LINE_CHARS = 500;
const MAX_COMMANDS = 50;
const MAX_ECHO_CHARS = 200;

/**
 * NFKC first, so full-width digits and punctuation ("snooze ２，４") read as ASCII; then invisible
 * format characters (RTL/LTR marks, bidi overrides, zero-width joiners, BOM) go, as mail clients
 * insert them and they must neither break a command nor be echoed back into the confirmation.
 */
function readLines(text: string): { lines: Line[]; unread: number } {
  const lines: Line[] = [];
  let unread = 0;
  const normalised = text.normalize('NFKC').replace(/\p{Cf}/gu, '');
  for (const raw of normalised.split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    // The "-- " signature separator: what follows is a signature, in case stripQuoted was skipped.
    if (line === '--') break;
    if (lines.length >= MAX_LINES) unread++;
    else lines.push({ text: line, segments: line.length > MAX_LINE_CHARS ? [] : splitSegments(line) });
  }
  return { lines, unread };
}

/** A non-blank line and its command-sized pieces; no pieces when it is too long to be commands. */
interface Line {
  text: string;
  segments: string[];
}

/**
 * ";" always separates; "," does unless a digit follows, which continues an item list. A stray
 * second comma ("done 1, , 2") keeps the list together, so the slip refuses the whole command
 * rather than applying half of it.
 */
function splitSegments(line: string): string[] {
  return line
    .split(/;|,(?![\s,]*\d)/)
    .map((segment) => segment.trim())
    .filter((segment) => segment !== '');
}

// Greetings and sign-offs, matched whole (case-insensitively) and optionally followed by a name.
const COURTESY_WORDS = (
  'thanks|thank you|thanks a lot|many thanks|thx|ty|cheers|best|best wishes|regards|best regards|' +
  'kind regards|warm regards|br|ok|okay|hi|hello|hey|dear'
).split('|');
// What may follow a greeting or sign-off word: a name ("Thanks Anna", "Hi Bob M."), tested without
// the i flag, where \p{Lu} would match lowercase too and swallow "hey mute all".
const SIGN_OFF_NAME = /^(?:\s+\p{Lu}[\p{L}.'’-]*){0,3}$/u;
const SIGN_OFF_ADDRESSEE = new Set(['', ' there', ' all', ' everyone', ' team', ' touchbase']);
// Longest first, so "thanks a lot" is not read as "thanks" followed by a name.
const SIGN_OFF = new RegExp(
  `^(${[...COURTESY_WORDS].sort((a, b) => b.length - a.length).join('|')})(.*)$`,
  'i',
);
// "Sent from my iPhone", "Get Outlook for Android", "Sent from Mail for Windows".
const FOOTER =
  /^(?:sent from my\s[\p{L}\d\s]{1,30}|sent from (?:outlook|mail)\b[\p{L}\d\s]{0,30}|get outlook for \S+)$/iu;
const NAME = /^[-–—~]?\s*\p{Lu}[\p{L}.'’-]*(?:\s+\p{Lu}[\p{L}.'’-]*){0,2}$/u;
const VERBS = new Set(['snooze', 'done', 'mute', 'unmute', 'cadence', 'help']);

/** Pleasantries are neither commands nor worth echoing as "not understood". */
function isCourtesy(segment: string): boolean {
  const text = segment.replace(/[\s.!,:;)]+$/u, '');
  const rest = SIGN_OFF.exec(text)?.[2];
  if (rest !== undefined && (SIGN_OFF_NAME.test(rest) || SIGN_OFF_ADDRESSEE.has(rest.toLowerCase())))
    return true;
  return FOOTER.test(text);
}

/**
 * A name alone at the end ("Anna", "— Anna B.", also above "Sent from my iPhone") is a signature.
 * It must look like one (one to three capitalised words, no digits) and not start with a command
 * word, so a mistyped "Snooze all" is still reported and "Help" still works.
 */
function dropTrailingName(lines: Line[]): void {
  let index = lines.length - 1;
  const allCourtesy = (line: Line | undefined) => !!line?.segments.length && line.segments.every(isCourtesy);
  while (index >= 0 && allCourtesy(lines[index])) index--;
  const last = lines[index];
  const candidate = last?.segments.at(-1);
  if (!last || candidate === undefined || !NAME.test(candidate)) return;
  const firstWord = /\p{L}+/u.exec(candidate)?.[0].toLowerCase();
  if (firstWord !== undefined && VERBS.has(firstWord)) return;
  last.segments.pop();
  if (last.segments.length === 0) lines.splice(index, 1);
}

// Only matters if a caller passes a large itemCount: keeps "1-999999" from looping.
const MAX_RANGE = 100;
const DEFAULT_SNOOZE = { amount: 2, unit: 'w' } as const; // the digest's button says "Snooze 2 weeks"

interface Cursor {
  text: string;
  tokens: { value: string; index: number }[];
  at: number;
}

/** One command, or null when any part of the fragment is not read (the whole command is refused). */
function parseCommand(segment: string, ctx: ReplyContext): ReplyCommand | null {
  const text = segment.toLowerCase().replace(/[\s.!?]+$/u, '');
  if (text === 'help' || text === '?') return { kind: 'help' };
  // ASCII digits and letters only: any other script's digits become one-character tokens and fail.
  const tokens = [...text.matchAll(/\d+|[a-z]+|\S/g)].map((m) => ({ value: m[0], index: m.index }));
  const cursor: Cursor = { text, tokens, at: 1 };
  const verb = tokens[0]?.value;
  if (verb !== 'snooze' && verb !== 'done' && verb !== 'mute' && verb !== 'unmute' && verb !== 'cadence') {
    return null;
  }
  const items = readItems(cursor, ctx.itemCount);
  if (!items) return null;
  if (verb === 'snooze') {
    const until = readSnoozeUntil(cursor, ctx);
    return until ? { kind: 'snooze', items, until } : null;
  }
  if (verb === 'cadence') {
    const days = readCadenceDays(cursor);
    return days ? { kind: 'cadence', items, days } : null;
  }
  return atEnd(cursor) ? { kind: verb, items } : null;
}

/** "all", or numbers and ranges ("1-3") joined by commas, "&", "and" or spaces; all in 1..itemCount. */
function readItems(cursor: Cursor, itemCount: number): ItemRef | null {
  if (peek(cursor) === 'all') {
    cursor.at++;
    return 'all';
  }
  const items = new Set<number>();
  // A number followed by a unit ("3w", "2 months") is the duration, not an item.
  while (isDigits(peek(cursor)) && !isUnit(peek(cursor, 1))) {
    const first = toCount(peek(cursor));
    let last = first;
    cursor.at++;
    if (peek(cursor) === '-' || peek(cursor) === '–') {
      if (!isDigits(peek(cursor, 1))) return null;
      last = toCount(peek(cursor, 1));
      cursor.at += 2;
    }
    if (first < 1 || last > itemCount || first > last || last - first >= MAX_RANGE) return null;
    for (let n = first; n <= last; n++) items.add(n);
    const separator = peek(cursor);
    if (separator === ',' || separator === '&' || separator === 'and') {
      cursor.at++;
      if (!isDigits(peek(cursor)) || isUnit(peek(cursor, 1))) return null;
    }
  }
  return items.size > 0 ? [...items].sort((a, b) => a - b) : null;
}

/** Nothing (2 weeks), "3w", "for 3 weeks", "in a month", or "until <day>" read by chrono. */
function readSnoozeUntil(cursor: Cursor, ctx: ReplyContext): Date | null {
  const word = cursor.tokens[cursor.at];
  if (!word) return snoozeForDuration(DEFAULT_SNOOZE.amount, DEFAULT_SNOOZE.unit, ctx.now, ctx.timeZone);
  if (word.value === 'until' || word.value === 'till' || word.value === 'til') {
    return snoozeUntilDate(cursor.text.slice(word.index + word.value.length), ctx.now, ctx.timeZone);
  }
  if (word.value === 'for' || word.value === 'in') cursor.at++;
  const duration = readDuration(cursor, false);
  if (!duration || duration.amount < 1 || !atEnd(cursor)) return null;
  return snoozeForDuration(duration.amount, duration.unit, ctx.now, ctx.timeZone);
}

/** "6w", "every 2 months", "to every week", "monthly": 1 day to 10 years, else null. */
function readCadenceDays(cursor: Cursor): number | null {
  if (peek(cursor) === 'to') cursor.at++;
  const every = peek(cursor) === 'every';
  if (every) cursor.at++;
  const rhythm = rhythmDays(peek(cursor));
  if (!every && rhythm !== undefined) {
    cursor.at++;
    return atEnd(cursor) ? rhythm : null;
  }
  const duration = readDuration(cursor, every);
  return duration && atEnd(cursor) ? cadenceDays(duration.amount, duration.unit) : null;
}

/** An amount ("3", "a", "two"; optional after "every", meaning one) and a unit ("w", "weeks"). */
function readDuration(
  cursor: Cursor,
  amountOptional: boolean,
): { amount: number; unit: DurationUnit } | null {
  const amount = amountOf(peek(cursor));
  if (amount !== undefined) cursor.at++;
  else if (!amountOptional) return null;
  const unit = unitOf(peek(cursor));
  if (!unit) return null;
  cursor.at++;
  return { amount: amount ?? 1, unit };
}

function peek(cursor: Cursor, ahead = 0): string | undefined {
  return cursor.tokens[cursor.at + ahead]?.value;
}

function atEnd(cursor: Cursor): boolean {
  return cursor.at >= cursor.tokens.length;
}

function isDigits(token: string | undefined): token is string {
  return token !== undefined && /^\d+$/.test(token);
}

function isUnit(token: string | undefined): boolean {
  return unitOf(token) !== undefined;
}

function echo(fragment: string): string {
  return fragment.length > MAX_ECHO_CHARS ? `${fragment.slice(0, MAX_ECHO_CHARS)}…` : fragment;
}
