import type { AccountReading } from '../sync/backfill-progress.ts';

/** What one digest says: built by select-digest-items.ts, rendered by render-digest.ts. */

export type DigestItemKind = 'lapsed' | 'owe-reply' | 'awaiting-reply';

export interface DigestItem {
  /** 1-based, the number a reply refers to ("done 4"). */
  n: number;
  kind: DigestItemKind;
  contact: { id: string; name: string | null; emails: string[] };
  lastContactAt: Date | null;
  /** For lapsed: the contact's usual rhythm, in days (null when unknown). */
  cadenceDays: number | null;
  /** For lapsed: who spoke last. */
  lastDirection: 'sent' | 'received' | null;
  /** Last thread's subject (lapsed) or the thread waiting (follow-ups), where known. */
  subject: string | null;
  threadId: string | null;
  /** For follow-ups: when the unanswered message was sent or received. */
  since: Date | null;
}

export interface AccountNotice {
  email: string;
  provider: 'gmail' | 'outlook';
  problem: string;
  fix: string;
}

export interface DigestContent {
  user: { email: string; name: string | null; timeZone: string };
  period: string;
  generatedAt: Date;
  items: DigestItem[];
  notices: AccountNotice[];
  reading: AccountReading[];
}

export interface RenderedDigest {
  subject: string;
  text: string;
  html: string;
}
