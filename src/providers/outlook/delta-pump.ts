/**
 * One folder's place in Graph's message delta: `link` is the nextLink of a round under way
 * (`inRound`), or the deltaLink that ends a round; null before the first round.
 */
export interface FolderCursor {
  id: string;
  label: string;
  sent: boolean;
  link: string | null;
  inRound: boolean;
}

/** One page of one folder's delta, and where that folder stands after it. */
export interface FolderPage<M> {
  folderId: string;
  messages: M[];
  /** Delta entries in the page (messages, removals, skipped drafts). */
  entries: number;
  link: string | null;
  inRound: boolean;
  /** The folder was deleted: forget it. */
  gone: boolean;
}

/**
 * At most this many fetched pages wait for the store: bounded memory, and little lost on a crash.
 * Each chain also holds at most one page waiting for room and has one request in flight.
 */
export const MAX_BUFFERED_PAGES = 8;

/**
 * Runs the folders' delta rounds ahead of the caller: each folder's pages chained one after the
 * other (a nextLink is known only from the page before), up to `concurrency` folders at once, while
 * the caller stores the pages already fetched. Pages reach the caller in each folder's own order,
 * so the cursor built from them is always a consistent place to resume from.
 */
export class DeltaPump<M> {
  private readonly buffer: FolderPage<M>[] = [];
  private readonly queue: FolderCursor[];
  private chains = 0;
  private failure: { error: unknown } | null = null;
  private wakeConsumer: (() => void) | null = null;
  /** drain() was called: chains end after the request they have in flight. */
  private stopped = false;
  /** Told, by drain(), of each folder whose round a chain left unfinished, with its last page. */
  private onStopped: ((folder: FolderCursor, last: FolderPage<M>) => void) | undefined;
  private readonly wakeProducers: (() => void)[] = [];

  constructor(
    private readonly fetchPage: (folder: FolderCursor, link: string | null) => Promise<FolderPage<M>>,
    work: readonly FolderCursor[],
    concurrency: number,
  ) {
    this.queue = [...work];
    const count = Math.min(concurrency, this.queue.length);
    for (let i = 0; i < count; i++) {
      this.chains++;
      void this.chain();
    }
  }

  /** Whether every folder's round is done and handed out (a failed one is not done: take() throws). */
  get finished(): boolean {
    return this.chains === 0 && this.buffer.length === 0 && this.failure === null;
  }

  /**
   * Stops reading ahead: no new request starts; the ones in flight finish. Then every page
   * fetched so far, in each folder's order (waits for those in flight). `onStopped` hears of each
   * folder left mid-round the moment its last request is in, with that page (its link is where
   * the folder goes on), before the other folders' requests are.
   */
  async drain(onStopped?: (folder: FolderCursor, last: FolderPage<M>) => void): Promise<FolderPage<M>[]> {
    this.stopped = true;
    this.onStopped = onStopped;
    for (const wake of this.wakeProducers.splice(0)) wake();
    const pages: FolderPage<M>[] = [];
    for (;;) {
      pages.push(...(await this.take(Number.MAX_SAFE_INTEGER)));
      if (this.chains === 0 && this.buffer.length === 0) return pages;
    }
  }

  /** The next fetched pages (at most `maxPages`); waits for one. Empty only when finished. */
  async take(maxPages: number): Promise<FolderPage<M>[]> {
    while (this.buffer.length === 0 && this.chains > 0 && !this.failure) {
      await new Promise<void>((resolve) => {
        this.wakeConsumer = resolve;
      });
    }
    if (this.buffer.length === 0 && this.failure) throw this.failure.error;
    const pages = this.buffer.splice(0, maxPages);
    for (const wake of this.wakeProducers.splice(0)) wake();
    return pages;
  }

  private async chain(): Promise<void> {
    try {
      for (
        let folder = this.stopped ? undefined : this.queue.shift();
        folder && !this.failure;
        folder = this.stopped ? undefined : this.queue.shift()
      ) {
        // The folder's next page is asked for as soon as its link is known, before waiting for
        // room in the buffer: a store that falls behind for a moment (a recompute, a chunk's end)
        // does not hold back the chain, which is what sets the backfill's length.
        let next = this.fetchPage(folder, folder.link);
        for (;;) {
          const page = await next;
          const unfinished = !page.gone && page.inRound && !this.failure;
          const more = unfinished && !this.stopped;
          if (more) {
            next = this.fetchPage(folder, page.link);
            // Awaited on the next turn; a failure meanwhile is not unhandled.
            next.catch(() => {});
          }
          // The page's messages are made now, while the next request is out, rather than when
          // the store takes the page: that work leaves the store's turn of the event loop, where
          // the other chains' answers wait behind it (admission before a page went from ~11 to
          // ~5 ms p50), and the raw answer (Graph's nested objects, every header) goes sooner.
          void page.messages;
          while (this.buffer.length >= MAX_BUFFERED_PAGES && !this.failure && !this.stopped) {
            await new Promise<void>((resolve) => this.wakeProducers.push(resolve));
          }
          this.buffer.push(page);
          this.wakeConsumer?.();
          if (!more) {
            // Only drain() leaves a round unfinished.
            if (unfinished && !this.failure) this.onStopped?.(folder, page);
            break;
          }
        }
      }
    } catch (error) {
      this.failure ??= { error };
      for (const wake of this.wakeProducers.splice(0)) wake();
    } finally {
      this.chains--;
      this.wakeConsumer?.();
    }
  }
}
