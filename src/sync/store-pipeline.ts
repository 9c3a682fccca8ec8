/**
 * Pages stored one behind the other: a page's statements are built and sent while the page before
 * is still being stored, and each page's own follow-up (its progress saved, say) runs once it is
 * stored, in page order. One page waits at most: Node builds a page while Postgres stores the
 * other, so both cores work, where a page at a time left one idle for most of each page
 * (docs/decisions/0018).
 *
 * A failure (a store or a follow-up) is reported by the next `push` or `drain`, and no page after
 * it is followed up: a later page's progress would skip the page that failed.
 */
export class StorePipeline<Stored> {
  #waiting: Waiting<Stored> | null = null;
  #failed = false;

  /**
   * Takes a page whose store has begun (`stored`) and `then`, its follow-up. First finishes the
   * page before it: waits for its store and runs its follow-up.
   */
  async push(stored: Promise<Stored>, then: (stored: Stored) => Promise<void> | void): Promise<void> {
    stored.catch(() => {}); // reported when its turn comes, never as unhandled
    const before = this.#waiting;
    this.#waiting = { stored, then };
    if (before) await this.#finish(before);
  }

  /** Finishes the page waiting, if any: after this, every page pushed is stored and followed up. */
  async drain(): Promise<void> {
    const waiting = this.#waiting;
    this.#waiting = null;
    if (waiting) await this.#finish(waiting);
  }

  /**
   * For a run that stops on an error of its own (the next page's fetch failed, say): finishes the
   * page waiting, so a page stored is not read again, unless a page failed before it, and never
   * throws (the run's error is the one to report). Either way no statement is left running.
   */
  async close(): Promise<void> {
    const waiting = this.#waiting;
    this.#waiting = null;
    if (!waiting) return;
    if (this.#failed) await waiting.stored.catch(() => {});
    else await this.#finish(waiting).catch(() => {});
  }

  async #finish(waiting: Waiting<Stored>): Promise<void> {
    try {
      await waiting.then(await waiting.stored);
    } catch (error) {
      this.#failed = true;
      throw error;
    }
  }
}

interface Waiting<Stored> {
  stored: Promise<Stored>;
  then: (stored: Stored) => Promise<void> | void;
}
