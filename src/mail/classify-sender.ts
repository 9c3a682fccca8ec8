/**
 * Judges a sender by its (normalised) address alone. Only machine senders are flagged here:
 *
 * - bounce: mailer-daemon and postmaster, which only ever send delivery reports.
 * - no-reply: the no-reply family anywhere in the local part (`foo-noreply`, `noreply-xyz`,
 *   `do_not_reply`), and machine words as the whole local part or its first or last token
 *   (`notifications@`, `alerts-eu@`, `bounce+abc@`, `news@`, `newsletter2@`).
 *
 * Role addresses (info@, support@, hello@, sales@...) are deliberately NOT automated: small
 * businesses, clubs and freelancers answer from them, and a role mailbox only becomes a contact
 * after the user wrote to it, which is a real two-way exchange. isRoleAddress exposes them as a
 * weak signal for ranking. Tokens must match whole, so `nora@`, `newsom@` and `alertness@` are
 * people, and `info-desk-lead@` is a role-ish person, not a machine.
 */
export function machineSenderReason(address: string): 'bounce' | 'no-reply' | null {
  // Mailboxes repeat endlessly across a mailbox's messages: judge each address once.
  const cached = judged.get(address);
  if (cached !== undefined) return cached;
  const reason = judge(address);
  if (judged.size >= 50_000) judged.clear();
  judged.set(address, reason);
  return reason;
}

const judged = new Map<string, 'bounce' | 'no-reply' | null>();

function judge(address: string): 'bounce' | 'no-reply' | null {
  const local = localPart(address);
  if (local === null) return null;
  if (BOUNCE_LOCAL_PARTS.has(local.split('+')[0] ?? '')) return 'bounce';

  const compact = local.replace(/[._-]/g, '');
  if (NO_REPLY_WORDS.some((word) => compact.includes(word))) return 'no-reply';

  const tokens = tokensOf(local);
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  if (
    (first !== undefined && MACHINE_TOKENS.has(first)) ||
    (last !== undefined && MACHINE_TOKENS.has(last))
  ) {
    return 'no-reply';
  }
  return null;
}

/** A shared role mailbox (info@, support@...): a weak signal, never a reason on its own. */
export function isRoleAddress(address: string): boolean {
  const local = localPart(address);
  if (local === null) return false;
  const first = tokensOf(local)[0];
  return first !== undefined && ROLE_TOKENS.has(first);
}

function localPart(address: string): string | null {
  const at = address.lastIndexOf('@');
  return at > 0 ? address.slice(0, at).toLowerCase() : null;
}

/** Splits on the usual separators and the sub-address '+', dropping trailing digits (`alerts2`). */
function tokensOf(local: string): string[] {
  return local
    .split(/[._+=-]/)
    .map((token) => token.replace(/[0-9]+$/, ''))
    .filter((token) => token.length > 0);
}

const BOUNCE_LOCAL_PARTS = new Set(['mailer-daemon', 'mailerdaemon', 'postmaster']);

const NO_REPLY_WORDS = ['noreply', 'donotreply', 'notreply', 'noresponse', 'donotrespond'];

const MACHINE_TOKENS = new Set([
  'alert',
  'alerts',
  'automailer',
  'automated',
  'bounce',
  'bounces',
  'daemon',
  'mailer',
  'news',
  'newsletter',
  'newsletters',
  'notification',
  'notifications',
  'notify',
]);

const ROLE_TOKENS = new Set([
  'admin',
  'billing',
  'contact',
  'enquiries',
  'hello',
  'help',
  'hr',
  'info',
  'jobs',
  'office',
  'sales',
  'service',
  'support',
  'team',
]);
