import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import type { MessageMeta } from '../../src/providers/types.ts';

/** The shared real-message corpora (see /work/shared/corpora/stalwart-mail-parser/README.md). */
export const CORPUS_DIR = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'shared',
  'corpora',
  'stalwart-mail-parser',
  'resources',
);

/** A received person-to-person message; override what a test is about. */
export function makeMeta(overrides: Partial<MessageMeta> = {}): MessageMeta {
  return {
    providerId: 'm1',
    threadId: 't1',
    internetMessageId: '<m1@example.com>',
    inReplyTo: null,
    references: [],
    at: new Date('2024-05-01T10:00:00Z'),
    direction: 'received',
    from: 'Alice Example <alice@example.com>',
    to: 'Me <me@example.org>',
    cc: null,
    bcc: null,
    replyTo: null,
    subject: 'Lunch?',
    labels: ['INBOX'],
    listId: null,
    listUnsubscribe: null,
    autoSubmitted: null,
    precedence: null,
    category: null,
    extraHeaders: {},
    ...overrides,
  };
}

/** Headers read the way a provider would: raw values of the top-level header block. */
export async function metaFromEml(relativePath: string): Promise<MessageMeta> {
  const email = await PostalMime.parse(readFileSync(join(CORPUS_DIR, 'eml', relativePath)));
  const header = (key: string): string | null => email.headers.find((h) => h.key === key)?.value ?? null;
  const extraHeaders: Record<string, string> = {};
  for (const key of ['return-path', 'content-type', 'x-autoreply', 'x-autorespond']) {
    const value = header(key);
    if (value !== null) extraHeaders[key] = value;
  }
  return makeMeta({
    providerId: relativePath,
    from: header('from'),
    to: header('to'),
    cc: header('cc'),
    bcc: header('bcc'),
    replyTo: header('reply-to'),
    subject: header('subject'),
    listId: header('list-id'),
    listUnsubscribe: header('list-unsubscribe'),
    autoSubmitted: header('auto-submitted'),
    precedence: header('precedence'),
    extraHeaders,
  });
}
