import { type GmailMethod, gmailQuota } from '../../../src/providers/gmail/gmail-quota.ts';

/** Google's per-user window: "quota units per user per minute", enforced as a moving minute. */
export const QUOTA_WINDOW_MS = 60_000;

export interface FakeQuotaOptions {
  /** Projects from before May 2026 (legacy) or since (2026): budget and method costs differ. */
  regime: 'legacy' | '2026';
  /** Overrides the regime's per-user budget (a project with a raised quota). */
  unitsPerMinute?: number;
}

/** Endpoint names (as in `stats.byEndpoint`) of the methods that cost quota units. */
const METHOD_OF: Record<string, GmailMethod> = {
  'users.getProfile': 'getProfile',
  'users.settings.sendAs.list': 'settings.sendAs.list',
  'users.messages.list': 'messages.list',
  'users.messages.get': 'messages.get',
  'users.threads.get': 'threads.get',
  'users.history.list': 'history.list',
};

export interface QuotaStats {
  /** Budget per sliding minute after the time scale, or null when quota is not enforced. */
  unitsPerMinute: number | null;
  /** Admitted requests and the units they were charged, per endpoint. */
  requests: Record<string, number>;
  units: Record<string, number>;
  unitsTotal: number;
  /** Requests refused: over the per-user budget, or over the per-user concurrency limit. */
  rejected: { userRateLimit: number; concurrency: number };
  /** The most units ever inside one sliding minute: never above unitsPerMinute. */
  peakWindowUnits: number;
}

/**
 * The per-user quota ledger: every admitted Gmail call is charged its method's units (the same
 * table touchbase's gmail-quota.ts uses, so both sides agree) at its arrival time, and a call is
 * refused when the units of the last 60 seconds plus its own would pass the budget. Refused calls
 * are not charged. Memory is one entry per admitted call within the last minute.
 */
export class QuotaLedger {
  readonly stats: QuotaStats;
  private readonly cost: Record<GmailMethod, number> | null;
  private readonly budget: number;
  /** Ring of [arrival ms, units] for the calls of the last window, oldest first. */
  private times: number[] = [];
  private amounts: number[] = [];
  private head = 0;
  private inWindow = 0;

  constructor(options: FakeQuotaOptions | undefined, timeScale: number) {
    const quota = options ? gmailQuota(options.regime, options.unitsPerMinute) : null;
    this.cost = quota?.cost ?? null;
    this.budget = quota ? quota.unitsPerMinute * timeScale : Number.POSITIVE_INFINITY;
    this.stats = {
      unitsPerMinute: quota ? this.budget : null,
      requests: {},
      units: {},
      unitsTotal: 0,
      rejected: { userRateLimit: 0, concurrency: 0 },
      peakWindowUnits: 0,
    };
  }

  /** Units `endpoint` costs, or 0 for calls outside the per-user quota (OAuth). */
  costOf(endpoint: string): number {
    const method = METHOD_OF[endpoint];
    return method && this.cost ? this.cost[method] : 0;
  }

  /** Charges the call and returns true, or returns false when it would pass the budget. */
  admit(endpoint: string, now: number): boolean {
    const units = this.costOf(endpoint);
    if (!METHOD_OF[endpoint]) return true;
    this.evict(now);
    if (this.inWindow + units > this.budget) {
      this.stats.rejected.userRateLimit += 1;
      return false;
    }
    this.times.push(now);
    this.amounts.push(units);
    this.inWindow += units;
    this.stats.peakWindowUnits = Math.max(this.stats.peakWindowUnits, this.inWindow);
    this.stats.requests[endpoint] = (this.stats.requests[endpoint] ?? 0) + 1;
    this.stats.units[endpoint] = (this.stats.units[endpoint] ?? 0) + units;
    this.stats.unitsTotal += units;
    return true;
  }

  private evict(now: number): void {
    while (this.head < this.times.length && (this.times[this.head] ?? 0) <= now - QUOTA_WINDOW_MS) {
      this.inWindow -= this.amounts[this.head] ?? 0;
      this.head += 1;
    }
    // Compact now and then so the arrays hold about one window of calls.
    if (this.head > 4096 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.amounts = this.amounts.slice(this.head);
      this.head = 0;
    }
  }
}
