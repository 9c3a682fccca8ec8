/**
 * How many Gmail requests of one mailbox this provider keeps in flight. Google's per-user
 * concurrency limit is shared by every client of the mailbox and has no published number, so it
 * is learnt from the answers: a "Too many concurrent requests for user" refusal halves the limit
 * (never below 1), and each run of `recoverAfter` successes in a row raises it by one again, up
 * to `max`. Refusals of requests sent before the last cut do not cut again: ten requests refused
 * together are one signal, not ten.
 */
export class InFlightLimit {
  private limit: number;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private successes = 0;
  private cuts = 0;

  constructor(
    private readonly max: number,
    private readonly recoverAfter: number,
  ) {
    this.limit = max;
  }

  /** The current limit. */
  get current(): number {
    return this.limit;
  }

  /** Waits for a free slot; returns the generation to pass to crowded() if refused. */
  async acquire(): Promise<number> {
    while (this.inFlight >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.inFlight += 1;
    return this.cuts;
  }

  release(): void {
    this.inFlight -= 1;
    this.wake();
  }

  succeeded(): void {
    this.successes += 1;
    if (this.successes < this.recoverAfter || this.limit >= this.max) return;
    this.successes = 0;
    this.limit += 1;
    this.wake();
  }

  /** A request sent at `generation` was refused for concurrency. */
  crowded(generation: number): void {
    this.successes = 0;
    if (generation !== this.cuts) return;
    this.cuts += 1;
    this.limit = Math.max(1, Math.floor(this.limit / 2));
  }

  private wake(): void {
    for (let free = this.limit - this.inFlight; free > 0 && this.waiting.length > 0; free--) {
      this.waiting.shift()?.();
    }
  }
}
