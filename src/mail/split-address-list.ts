/**
 * Splits a raw address header into mailbox entries at the top-level ',' and ';' (outside quoted
 * strings, comments and angle addresses), yielding them lazily so a caller that has enough can stop.
 *
 * Why this exists next to postal-mime's address parser, which does the real parsing of each entry:
 * - postal-mime re-parses a group's members recursively (up to 50 levels), so a header such as
 *   `a:a:a:...` costs 50 full passes; 2 MB of it takes tens of seconds. RFC 5322 has no nested
 *   groups, so only the first top-level ':' of an entry is kept as a group opener and later ones
 *   become spaces, which keeps every entry to at most one level of recursion.
 * - Group members are independent mailboxes, so splitting inside `Team: a@x, b@y;` as well gives
 *   the same flat list while letting the caller stop after its address cap.
 * - Splitting happens on the raw text, before any RFC 2047 word is decoded, so an encoded comma
 *   (`=?utf-8?Q?Moore=2C_Keith?=`) can never split one person into two.
 */
export function* splitAddressList(header: string): Generator<string> {
  if (!SLOW_PATH_CHARS.test(header)) {
    for (const entry of header.split(/[,;]/)) if (entry.trim().length > 0) yield entry;
    return;
  }
  let state: 'text' | 'quoted' | 'comment' | 'angle' = 'text';
  let commentDepth = 0;
  let sawGroupColon = false;
  let pieces: string[] = [];
  let pieceStart = 0;

  for (let i = 0; i < header.length; i++) {
    const ch = header.charCodeAt(i);
    if (state === 'quoted') {
      if (ch === BACKSLASH) i++;
      else if (ch === QUOTE) state = 'text';
    } else if (state === 'comment') {
      if (ch === BACKSLASH) i++;
      else if (ch === OPEN_PAREN) commentDepth++;
      else if (ch === CLOSE_PAREN && --commentDepth === 0) state = 'text';
    } else if (state === 'angle') {
      if (ch === CLOSE_ANGLE) state = 'text';
    } else if (ch === QUOTE) {
      state = 'quoted';
    } else if (ch === OPEN_PAREN) {
      state = 'comment';
      commentDepth = 1;
    } else if (ch === OPEN_ANGLE) {
      state = 'angle';
    } else if (ch === COMMA || ch === SEMICOLON) {
      pieces.push(header.slice(pieceStart, i));
      const entry = pieces.join('');
      if (entry.trim().length > 0) yield entry;
      pieces = [];
      pieceStart = i + 1;
      sawGroupColon = false;
    } else if (ch === COLON) {
      if (sawGroupColon) {
        pieces.push(header.slice(pieceStart, i), ' ');
        pieceStart = i + 1;
      }
      sawGroupColon = true;
    }
  }

  pieces.push(header.slice(pieceStart));
  const last = pieces.join('');
  if (last.trim().length > 0) yield last;
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;
const OPEN_ANGLE = 0x3c;
const CLOSE_ANGLE = 0x3e;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const COLON = 0x3a;

/** Without quotes, comments, groups, escapes or angle brackets, ',' and ';' always separate entries. */
const SLOW_PATH_CHARS = /["(:\\<]/;
