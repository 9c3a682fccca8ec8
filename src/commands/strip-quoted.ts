/**
 * Only what the user typed above the quoted digest: everything from the first quote marker on is
 * dropped, so item numbers in the quoted digest ("2. Anna — you last wrote…") or a command the
 * user quoted back are never read as commands. Markers recognised:
 * - a line starting with ">" (classic quoting);
 * - "On <date>, <someone> wrote:" (Gmail, Apple Mail), also wrapped over two lines, and the French
 *   ("Le … a écrit :") and German ("Am … schrieb …:") forms; these must contain a digit (every
 *   client puts the date there), so "On reflection, as I wrote:" is not a marker;
 * - "-----Original Message-----" (Outlook);
 * - a "From: …" line followed within three lines by "Sent:"/"Date:" (Outlook's header block, also
 *   French/German), together with the "_____" rule Outlook puts above it;
 * - the "-- " signature separator (RFC 3676), which ends the user's text too.
 * Lines that merely contain "wrote" are kept.
 */
export function stripQuoted(body: string): string {
  const lines = body.split(/\r\n|\r|\n/);
  const cut = findQuoteStart(lines);
  return lines.slice(0, cut).join('\n').trim();
}

const ATTRIBUTION_PATTERNS: readonly RegExp[] = [
  /^On\s.*\swrote:$/i,
  /^Le\s.*\sa\s+écrit\s?:$/i,
  /^Am\s.*\sschrieb\s.*:$/i,
];
const ATTRIBUTION_START = /^(On|Le|Am)\s/i;
const ORIGINAL_MESSAGE = /^-{2,}\s*Original Message\s*-{2,}$/i;
const HEADER_FROM = /^\*?(From|De|Von)\s?:\*?\s+\S/i;
const HEADER_SENT = /^\*?(Sent|Date|Envoyé|Gesendet|Datum)\s?:\*?\s+\S/i;
const OUTLOOK_RULE = /^_{10,}$/;
// Longer lines are prose, never a client's attribution; skipping them keeps the regexes cheap.
const MAX_ATTRIBUTION_CHARS = 400;

function findQuoteStart(lines: readonly string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line.startsWith('>')) return i;
    // The signature separator is "-- " with its trailing space; many clients trim it to "--".
    if (line === '--') return i;
    if (ORIGINAL_MESSAGE.test(line)) return i;
    if (isAttribution(line, (lines[i + 1] ?? '').trim())) return i;
    if (isHeaderBlock(lines, i)) return previousIsRule(lines, i);
  }
  return lines.length;
}

function isAttribution(line: string, next: string): boolean {
  if (line.length > MAX_ATTRIBUTION_CHARS || !ATTRIBUTION_START.test(line)) return false;
  if (matchesAttribution(line)) return true;
  // Gmail wraps a long attribution ("…<digest@\nexample.com> wrote:"); join one following line.
  return next.length > 0 && next.length <= MAX_ATTRIBUTION_CHARS && matchesAttribution(`${line} ${next}`);
}

function matchesAttribution(text: string): boolean {
  return /\d/.test(text) && ATTRIBUTION_PATTERNS.some((pattern) => pattern.test(text));
}

function isHeaderBlock(lines: readonly string[], i: number): boolean {
  if (!HEADER_FROM.test((lines[i] ?? '').trim())) return false;
  for (let j = i + 1; j <= i + 3 && j < lines.length; j++) {
    if (HEADER_SENT.test((lines[j] ?? '').trim())) return true;
  }
  return false;
}

/** Outlook draws a line of underscores above "From:"; cut there so it does not linger. */
function previousIsRule(lines: readonly string[], i: number): number {
  let j = i - 1;
  while (j >= 0 && (lines[j] ?? '').trim() === '') j--;
  return j >= 0 && OUTLOOK_RULE.test((lines[j] ?? '').trim()) ? j : i;
}
