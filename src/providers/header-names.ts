/** The only headers touchbase asks a provider for: what inference and reply commands use. */
export const WANTED_HEADERS = [
  'From',
  'To',
  'Cc',
  'Bcc',
  'Reply-To',
  'Subject',
  'Message-ID',
  'In-Reply-To',
  'References',
  'List-Id',
  'List-Unsubscribe',
  'Auto-Submitted',
  'Precedence',
  'X-Autoreply',
  'X-Autorespond',
  'X-Auto-Response-Suppress',
  'Return-Path',
  'Content-Type',
  'X-Failed-Recipients',
] as const;

/** Headers kept in MessageMeta.extraHeaders (lower-case names) as automation hints. */
export const EXTRA_HEADERS = [
  'x-autoreply',
  'x-autorespond',
  'x-auto-response-suppress',
  'return-path',
  'content-type',
  'x-failed-recipients',
] as const;

/** Message-IDs as a list: "<a@b> <c@d>" -> ["<a@b>", "<c@d>"]. */
export function splitMessageIds(value: string | null | undefined): string[] {
  if (!value) return [];
  return value.match(/<[^<>\s]+>/g) ?? [];
}
