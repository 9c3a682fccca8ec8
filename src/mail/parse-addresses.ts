import { addressParser, decodeWords } from 'postal-mime';
import { normalizeAddress } from './normalize-address.ts';
import { splitAddressList } from './split-address-list.ts';

export { normalizeAddress } from './normalize-address.ts';

/** One mailbox from a header: `address` is normalised (see normalizeAddress), `name` decoded or ''. */
export interface ParsedAddress {
  readonly name: string;
  readonly address: string;
}

/** More recipients than this is a mass mailing; the rest add nothing but cost. */
export const MAX_ADDRESSES = 10_000;

/** An angle address longer than this is garbage; the cap also bounds the clean-up below. */
const MAX_RAW_ADDRESS_CHARS = 1_000;

// Placeholder delimiters are Unicode noncharacters: they never occur in real mail and any in the
// input are stripped first, so a sender cannot forge a placeholder.
const MARK_OPEN = '\uFDD0';
const MARK_CLOSE = '\uFDD1';
const MARKS_REGEX = /[\uFDD0\uFDD1]/g;
const PLACEHOLDER_REGEX = /\uFDD0(\d+)\uFDD1/g;
// The RFC 2047 word grammar postal-mime decodes. Each part stops at the next '?', so it is linear.
const ENCODED_WORD_REGEX = /=\?[^?\s]+\?[BbQq]\?[^?]*\?=/g;

/**
 * Parses an RFC 5322 address list (To, Cc, From...) into unique, normalised mailboxes, in header
 * order; the first display name seen for an address wins. Groups are flattened, comments dropped,
 * entries that are not plausible mailboxes left out. Encoded words are decoded only after the list
 * is split, and only as display names: a word that decodes to `x <evil@example.com>` yields no
 * address. At most MAX_ADDRESSES are returned; work is linear in the header length.
 */
export function parseAddressList(header: string | null | undefined): readonly ParsedAddress[] {
  if (!header) return [];
  // A mailbox's headers repeat: a correspondent's From, the user's own To. A short header is
  // parsed once (the answer is shared, hence readonly).
  return remembered(listCache, LIST_CACHE_ENTRIES, header, parseList);
}

/** Headers and entries up to this long are remembered. */
const MAX_CACHED_CHARS = 200;
/**
 * How many of each are remembered (the bench's 100k-message mailbox has ~7,000 distinct headers,
 * each used ~30 times); a full cache starts again empty.
 */
const LIST_CACHE_ENTRIES = 50_000;
const ENTRY_CACHE_ENTRIES = 200_000;
const listCache = new Map<string, readonly ParsedAddress[]>();
const entryCache = new Map<string, readonly ParsedAddress[]>();

/** `parse(text)`, remembered in `cache` for a text up to MAX_CACHED_CHARS long. */
function remembered(
  cache: Map<string, readonly ParsedAddress[]>,
  limit: number,
  text: string,
  parse: (text: string) => readonly ParsedAddress[],
): readonly ParsedAddress[] {
  if (text.length > MAX_CACHED_CHARS) return parse(text);
  let hit = cache.get(text);
  if (hit === undefined) {
    hit = parse(text);
    if (cache.size >= limit) cache.clear();
    cache.set(text, hit);
  }
  return hit;
}

function parseList(header: string): readonly ParsedAddress[] {
  const seen = new Set<string>();
  // A mass mailing repeats entries verbatim; each distinct entry is parsed once.
  const seenEntries = new Set<string>();
  const result: ParsedAddress[] = [];
  for (const entry of splitAddressList(header)) {
    if (seenEntries.has(entry)) continue;
    seenEntries.add(entry);
    for (const mailbox of remembered(entryCache, ENTRY_CACHE_ENTRIES, entry, parseEntry)) {
      if (seen.has(mailbox.address)) continue;
      seen.add(mailbox.address);
      result.push(mailbox);
      if (result.length >= MAX_ADDRESSES) return result;
    }
  }
  return result;
}

/** Parses one top-level entry (normally one mailbox) with postal-mime, encoded words masked. */
function parseEntry(entry: string): ParsedAddress[] {
  const words: string[] = [];
  // Masking keeps postal-mime from decoding a name-only entry and re-parsing the decoded text
  // for an address, which would fabricate a contact out of an encoded display name.
  const masked = entry.replace(MARKS_REGEX, '').replace(ENCODED_WORD_REGEX, (word) => {
    words.push(word);
    return `${MARK_OPEN}${words.length - 1}${MARK_CLOSE}`;
  });

  const parsed: ParsedAddress[] = [];
  for (const mailbox of addressParser(masked, { flatten: true })) {
    if (mailbox.group) continue;
    // An address that held an encoded word came from encoded text, never from a real addr-spec.
    if (mailbox.address.includes(MARK_OPEN)) continue;
    const address = normalizeAddress(cleanAddrSpec(mailbox.address));
    if (address === null) continue;
    parsed.push({ address, name: cleanName(mailbox.name, words) });
  }
  return parsed;
}

/**
 * Drops RFC 5322 comments (`pete(his account)@silly.test`), the obsolete folding white space
 * around '.' and '@', and an obsolete source route, all of which postal-mime leaves in an address.
 */
function cleanAddrSpec(raw: string): string {
  if (raw.length > MAX_RAW_ADDRESS_CHARS) return '';
  let out = '';
  let depth = 0;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw.charAt(i);
    if (depth > 0) {
      if (ch === '\\') i++;
      else if (ch === '(') depth++;
      else if (ch === ')') depth--;
    } else if (ch === '(') {
      depth = 1;
    } else {
      out += ch;
    }
  }
  out = out.replace(/\s*([.@])\s*/g, '$1').trim();
  // Obsolete source route `<@relay.test:mary@example.net>`: the mailbox is what follows the ':'.
  return out.startsWith('@') ? out.slice(out.indexOf(':') + 1) : out;
}

/** Restores and decodes masked encoded words, then tidies white space and invisible characters. */
function cleanName(raw: string, words: readonly string[]): string {
  const restored = raw.replace(PLACEHOLDER_REGEX, (_match, index: string) => words[Number(index)] ?? '');
  const name = decodeWords(restored)
    // Controls become spaces; bidi overrides go (they spoof names). ZWJ/ZWNJ stay: scripts need them.
    .replace(/\p{Cc}/gu, ' ')
    .replace(/[\u202A-\u202E\u2066-\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .normalize('NFC');
  // A "name" that is itself an address (`"bob@x.com" <bob@x.com>`) tells us nothing about the person.
  return normalizeAddress(name) === null ? name : '';
}
