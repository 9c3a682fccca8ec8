import { domainToASCII } from 'node:url';

/** RFC 5321 limits: 64 octets of local part, 253 of domain. Longer strings are never real mailboxes. */
const MAX_LOCAL_CHARS = 64;
const MAX_DOMAIN_CHARS = 253;
const MAX_LABEL_CHARS = 63;

/**
 * Characters a mailbox local part may not hold unquoted: whitespace, controls, RFC 5322 specials,
 * and invisible format / private-use code points (bidi overrides would let a sender spoof a name).
 * Quoted local parts ("john doe"@x) are deliberately not supported: nobody's personal mail uses them.
 */
const LOCAL_PART_REGEX = /^[^\s\p{Cc}\p{Cf}\p{Co}"(),:;<>@[\\\]]+$/u;

/** After domainToASCII a label holds only these; '_' appears in real corporate host names. */
const ASCII_LABEL_REGEX = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/**
 * Normalises one addr-spec to the form stored and compared everywhere: trimmed, without angle
 * brackets, lowercased, NFC, with an IDN domain converted to punycode. Returns null when the text
 * is not a plausible mailbox: exactly one '@', a non-empty local part without specials, and a
 * domain with at least two labels (or `localhost`) whose top label is not numeric (bare IPs and
 * domain literals are not people's mailboxes).
 *
 * Lowercasing the local part is technically lossy (RFC 5321 lets it be case sensitive) but every
 * real provider treats it case-insensitively, and one person must map to one key.
 */
export function normalizeAddress(raw: string): string | null {
  let text = raw.trim();
  if (text.startsWith('<') && text.endsWith('>')) text = text.slice(1, -1).trim();
  if (text.length === 0 || text.length > MAX_LOCAL_CHARS + 1 + MAX_DOMAIN_CHARS * 4) return null;

  const at = text.indexOf('@');
  if (at <= 0 || at !== text.lastIndexOf('@')) return null;

  const local = text.slice(0, at).toLowerCase().normalize('NFC');
  if (!isPlausibleLocalPart(local)) return null;
  const domain = normalizeDomain(text.slice(at + 1));
  if (domain === null) return null;
  return `${local}@${domain}`;
}

/** Lowercased ASCII (punycode) form of a mail domain, or null when it cannot be a mail host. */
export function normalizeDomain(raw: string): string | null {
  let domain = raw.trim();
  // A fully qualified trailing dot names the same host.
  if (domain.endsWith('.')) domain = domain.slice(0, -1);
  if (domain.length === 0 || domain.startsWith('[')) return null;

  const ascii = domainToASCII(domain.toLowerCase().normalize('NFC'));
  if (ascii.length === 0 || ascii.length > MAX_DOMAIN_CHARS) return null;

  const labels = ascii.split('.');
  if (!labels.every(isValidLabel)) return null;
  if (labels.length < 2) return ascii === 'localhost' ? ascii : null;
  const top = labels[labels.length - 1] ?? '';
  // domainToASCII turns 1.2.3.4 (and 0x7f.1) into an IPv4 host; no TLD is all digits.
  if (/^[0-9]+$/.test(top)) return null;
  return ascii;
}

function isPlausibleLocalPart(local: string): boolean {
  if (local.length === 0 || local.length > MAX_LOCAL_CHARS) return false;
  if (!LOCAL_PART_REGEX.test(local)) return false;
  // Dots are otherwise left alone: some carriers (e.g. docomo) issued "a..b@" and "a.@" addresses.
  return !/^\.+$/.test(local);
}

function isValidLabel(label: string): boolean {
  return label.length > 0 && label.length <= MAX_LABEL_CHARS && ASCII_LABEL_REGEX.test(label);
}
