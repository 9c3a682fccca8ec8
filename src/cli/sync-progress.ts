import { formatDuration } from '../digest/format-relative.ts';

/** What `touchbase sync --wait` shows of one account's backfill. */
export interface ProgressReading {
  listed: number;
  total: number | null;
  /** Share of the backfill's estimated total listed, 0..1, where there is one (never over 1). */
  share: number | null;
  /** Messages per second, over what this command has seen; null until it has seen some pass. */
  rate: number | null;
  secondsLeft: number | null;
}

/**
 * Follows one account's backfill from its progress events. The rate is measured from the first
 * event this command saw, not from the backfill's start: `sync --wait` often joins a backfill
 * that has run for hours (a chain of chunk jobs), and its `listed` counts from the beginning.
 */
export class BackfillMeter {
  private first: { listed: number; at: number } | null = null;

  update(listed: number, total: number | null, atMs: number): ProgressReading {
    this.first ??= { listed, at: atMs };
    const seconds = (atMs - this.first.at) / 1000;
    const read = listed - this.first.listed;
    const rate = seconds > 0 && read > 0 ? read / seconds : null;
    const share = total ? Math.min(1, listed / total) : null;
    // At or past the total (done, or the estimate fell short) there is no telling what is left.
    const secondsLeft = rate !== null && total && listed < total ? Math.round((total - listed) / rate) : null;
    return { listed, total, share, rate, secondsLeft };
  }
}

/** One line of progress: a bar for a terminal (redrawn with \r), a plain line for a log. */
export function progressLine(email: string, reading: ProgressReading, tty: boolean): string {
  const { listed, total, share, rate, secondsLeft } = reading;
  const figures = [
    `${listed}${total ? `/~${total}` : ''} messages`,
    ...(rate !== null ? [`${Math.round(rate)}/s`] : []),
    ...(secondsLeft !== null ? [`about ${formatDuration(secondsLeft)} left`] : []),
  ].join(', ');
  if (tty && share !== null) {
    const width = 24;
    const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '.');
    return `\r${email} [${bar}] ${Math.round(share * 100)}% ${figures}   `;
  }
  return `${email}: backfill ${figures}\n`;
}
