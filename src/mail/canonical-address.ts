/** Domains where Gmail ignores dots and a +tag in the local part, and which name one mailbox. */
const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

/**
 * The key under which addresses of one mailbox meet: a safe automatic merge only. Gmail ignores
 * dots and +tags and treats googlemail.com as gmail.com, so `John.Smith+news@googlemail.com` and
 * `johnsmith@gmail.com` are one person. Other domains are left alone: plus-addressing and dots
 * mean different mailboxes at some providers, and a wrong merge is worse than a missed one.
 * Expects an address already normalised by normalizeAddress (lower-case, punycode domain).
 */
export function canonicalAddress(address: string): string {
  // The common case, cheaply: most addresses are not at Gmail.
  if (!address.endsWith('mail.com')) return address;
  const at = address.lastIndexOf('@');
  if (at <= 0) return address;
  const domain = address.slice(at + 1);
  if (!GMAIL_DOMAINS.has(domain)) return address;
  const local = address.slice(0, at).split('+')[0]?.replaceAll('.', '') ?? '';
  return local ? `${local}@gmail.com` : address;
}
