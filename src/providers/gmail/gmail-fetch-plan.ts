/** One entry of a messages.list page (or a history record): all Gmail tells us before a fetch. */
export interface ListedRef {
  id: string;
  threadId: string | null;
}

/** Quota units of the two ways to read a message's headers. */
export interface FetchCosts {
  /** messages.get (format=metadata): one message. */
  message: number;
  /** threads.get (format=metadata): every message of the thread. */
  thread: number;
}

export interface FetchPlan {
  /** Threads to read whole with threads.get. */
  threads: string[];
  /** Messages to read one by one with messages.get. */
  messages: string[];
  /** Listed ids already read through an earlier thread fetch (or repeated in the listing). */
  skipped: string[];
}

/**
 * The cheapest way to read the headers of one listed page. Per thread: one threads.get when it
 * costs no more than a messages.get for each of its listed messages, else one messages.get per
 * message. The ratio is 2 under both regimes (10/5 legacy, 40/20 since May 2026), so a thread is
 * read whole from two listed messages on; on a tie the thread wins because it also brings the
 * thread's older messages, which later pages list and then cost nothing. `later` is the next
 * page's listing: a thread's messages there count towards its size here (they are read with it,
 * and skipped when that page comes), but only `listed` is planned. Without it, a thread with one
 * message at the foot of this page and more on the next cost a messages.get here and a threads.get
 * there, 5% of a dense mailbox's units (docs/decisions/0019).
 */
export function planFetch(
  listed: readonly ListedRef[],
  costs: FetchCosts,
  alreadyRead: { has(id: string): boolean } = new Set<string>(),
  later: readonly ListedRef[] = [],
): FetchPlan {
  const plan: FetchPlan = { threads: [], messages: [], skipped: [] };
  const seen = new Set<string>();
  const byThread = new Map<string, string[]>();
  for (const ref of listed) {
    if (seen.has(ref.id) || alreadyRead.has(ref.id)) {
      plan.skipped.push(ref.id);
      continue;
    }
    seen.add(ref.id);
    if (!ref.threadId) {
      plan.messages.push(ref.id);
      continue;
    }
    const ids = byThread.get(ref.threadId);
    if (ids) ids.push(ref.id);
    else byThread.set(ref.threadId, [ref.id]);
  }
  const laterCount = new Map<string, number>();
  for (const ref of later) {
    if (!ref.threadId || seen.has(ref.id) || alreadyRead.has(ref.id) || !byThread.has(ref.threadId)) continue;
    seen.add(ref.id);
    laterCount.set(ref.threadId, (laterCount.get(ref.threadId) ?? 0) + 1);
  }
  for (const [threadId, ids] of byThread) {
    const size = ids.length + (laterCount.get(threadId) ?? 0);
    if (size > 1 && costs.thread <= size * costs.message) plan.threads.push(threadId);
    else plan.messages.push(...ids);
  }
  return plan;
}

/** The quota units a plan spends. */
export function planUnits(plan: FetchPlan, costs: FetchCosts): number {
  return plan.threads.length * costs.thread + plan.messages.length * costs.message;
}

/**
 * Message ids already read through a thread fetch that later pages of the same backfill will
 * list: they are skipped there. Bounded so a backfill's state stays small however big the
 * mailbox; forgetting the oldest only costs a messages.get later, never a lost or doubled message.
 */
export class ReadAhead {
  private readonly ids: Set<string>;

  constructor(
    ids: readonly string[] = [],
    private readonly limit = READ_AHEAD_LIMIT,
  ) {
    this.ids = new Set(ids.slice(-limit));
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.limit) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }

  delete(id: string): void {
    this.ids.delete(id);
  }

  get size(): number {
    return this.ids.size;
  }

  toJSON(): string[] {
    return [...this.ids];
  }
}

/** About 100 KB of JSON at most in the stored backfill state. */
export const READ_AHEAD_LIMIT = 5_000;
