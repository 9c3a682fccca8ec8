/**
 * Requests one job started for the next job in the same process to take over: a backfill chunk
 * ends while its mailbox's slowest chain of pages has its next page in flight, and the next chunk
 * picks that answer up instead of asking again (docs/decisions/0007). Keys name the exact request
 * (account, folder, link), so a different state never takes a wrong answer. An answer nobody
 * claims within `ttlMs` (the next chunk ran in another process) is dropped: one request spent.
 */
export class ReadAhead {
  private readonly parked = new Map<string, { answer: Promise<unknown>; timer: NodeJS.Timeout }>();

  constructor(private readonly ttlMs = 30_000) {}

  park(key: string, answer: Promise<unknown>): void {
    // Whoever takes it sees the failure; nobody taking it is no error.
    answer.catch(() => {});
    this.take(key);
    const timer = setTimeout(() => this.parked.delete(key), this.ttlMs);
    timer.unref();
    this.parked.set(key, { answer, timer });
  }

  /** The parked answer for `key`, once: later takes get undefined. */
  take(key: string): Promise<unknown> | undefined {
    const entry = this.parked.get(key);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.parked.delete(key);
    return entry.answer;
  }

  get size(): number {
    return this.parked.size;
  }
}
