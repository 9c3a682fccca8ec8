/**
 * The provider seam. Everything outside src/providers/<name>/ sees only these types;
 * SDK types never leave the provider folders.
 */

export type ProviderName = 'gmail' | 'outlook';

/** One mailbox address as it appeared in a header, before normalisation. */
export interface RawAddress {
  name: string;
  address: string;
}

/**
 * The header facts of one message. Address fields hold the raw header values (strings), so that
 * parsing (groups, encoded words, comments) happens once, in src/mail/.
 */
export interface MessageMeta {
  providerId: string;
  threadId: string | null;
  internetMessageId: string | null;
  inReplyTo: string | null;
  references: string[];
  /** Provider time (Gmail internalDate, Graph sentDateTime/receivedDateTime), never the Date header. */
  at: Date;
  direction: 'sent' | 'received';
  from: string | null;
  to: string | null;
  cc: string | null;
  bcc: string | null;
  replyTo: string | null;
  subject: string | null;
  /** Gmail label ids or the Outlook folder's well-known name. */
  labels: string[];
  listId: string | null;
  listUnsubscribe: string | null;
  autoSubmitted: string | null;
  precedence: string | null;
  /** Provider category: Gmail CATEGORY_* label or Outlook inferenceClassification. */
  category: string | null;
  /** Other automation hints seen in headers (X-Autoreply, Return-Path <>, Content-Type report...). */
  extraHeaders: Record<string, string>;
}

/** Opaque JSON owned by a provider: the incremental cursor (Gmail historyId, Graph deltaLinks). */
export type SyncCursor = { readonly provider: ProviderName } & Record<string, unknown>;

/** Opaque JSON owned by a provider: how far a backfill has got. */
export type BackfillState = { readonly provider: ProviderName } & Record<string, unknown>;

export interface BackfillPage {
  messages: MessageMeta[];
  /** Messages listed by the backfill so far (this page included). */
  listed: number;
  /** The state to store; the next page starts from it. */
  state: BackfillState;
  done: boolean;
  /**
   * About how many messages the whole backfill lists, on the page that first tells (Gmail: the
   * listing's resultSizeEstimate for the backfill's query): closer than beginBackfill's bound,
   * though only an estimate. See backfillTotalAfter.
   */
  total?: number;
  /**
   * With `done`: the cursor to store instead of the one beginBackfill gave, for a provider whose
   * backfill is the first round of its change feed (Graph: each folder's deltaLink comes at its end).
   */
  cursor?: SyncCursor;
}

export interface ChangesPage {
  messages: MessageMeta[];
  deletedIds: string[];
  /** Store this cursor once the page is saved. */
  cursor: SyncCursor;
  more: boolean;
}

export interface AccountProfile {
  email: string;
  aliases: string[];
}

export interface MailProvider {
  readonly name: ProviderName;
  /** False under a headers-only grant: replies are then read from their Subject alone. */
  readonly canReadBodies: boolean;
  /**
   * How a backfill chunk is bounded (backfillChunk): by BACKFILL_CHUNK_PAGES pages as well as by
   * time where the quota paces the pages (Gmail: each list page commits the quota its fetches
   * spend), by time alone where only the network does (Graph).
   */
  readonly chunkedBy: 'pages-and-time' | 'time';
  getProfile(): Promise<AccountProfile>;
  /**
   * Snapshots the incremental cursor first, so nothing arriving during the backfill is missed.
   * `total`: an upper bound of what the backfill lists, where known (a page may refine it).
   */
  beginBackfill(since: Date): Promise<{ state: BackfillState; cursor: SyncCursor; total: number | null }>;
  /**
   * The next page. `last`: the caller stops after this page (its chunk ends), so a provider that
   * reads ahead starts nothing new and hands over everything already fetched or in flight, rather
   * than leaving it to be fetched again by the next chunk.
   */
  backfillPage(state: BackfillState, options?: { last?: boolean }): Promise<BackfillPage>;
  /** Throws ProviderError CURSOR_INVALID when the cursor expired: the caller resyncs. */
  changes(cursor: SyncCursor): Promise<ChangesPage>;
  /** The one body touchbase ever reads: a reply to its own digest. */
  fetchReplyText(providerId: string): Promise<string>;
  /** Whether a message with this Message-ID is in the mailbox: did a digest arrive after all? */
  hasMessageId(internetMessageId: string): Promise<boolean>;
}
