import { describe, expect, it } from 'vitest';
import { BackfillMeter, progressLine } from '../../src/cli/sync-progress.ts';
import { formatDuration } from '../../src/digest/format-relative.ts';

describe('touchbase sync --wait progress', () => {
  it('measures the rate from what the command saw, when it joins a backfill hours in', () => {
    const meter = new BackfillMeter();
    // The chain has listed 40,000 of about 100,000 before the command started.
    const joined = meter.update(40_000, 100_000, 0);
    expect(joined).toMatchObject({ share: 0.4, rate: null, secondsLeft: null });
    expect(progressLine('kim@example.com', joined, false)).toBe(
      'kim@example.com: backfill 40000/~100000 messages\n',
    );
    // One page of 500 in 10 s: 50 messages/s, 59,500 to go.
    const next = meter.update(40_500, 100_000, 10_000);
    expect(next).toMatchObject({ rate: 50, secondsLeft: 1190 });
    expect(progressLine('kim@example.com', next, false)).toBe(
      'kim@example.com: backfill 40500/~100000 messages, 50/s, about 20 min left\n',
    );
  });

  it('draws a bar on a terminal, and gives no share or time left for a mailbox of unknown size', () => {
    const meter = new BackfillMeter();
    meter.update(0, 2_000, 0);
    expect(progressLine('kim@example.com', meter.update(500, 2_000, 5_000), true)).toBe(
      '\rkim@example.com [######..................] 25% 500/~2000 messages, 100/s, about 15 s left   ',
    );
    const unknown = new BackfillMeter();
    unknown.update(0, null, 0);
    // No share to draw: a plain line even on a terminal.
    expect(progressLine('kim@example.com', unknown.update(500, null, 5_000), true)).toBe(
      'kim@example.com: backfill 500 messages, 100/s\n',
    );
  });

  it('ends full with nothing left to wait for, and never past full when the estimate fell short', () => {
    const meter = new BackfillMeter();
    meter.update(1_000, 1_600, 0);
    // The last page: the total is what the backfill listed.
    const done = meter.update(1_600, 1_600, 10_000);
    expect(done).toMatchObject({ share: 1, secondsLeft: null });
    expect(progressLine('kim@example.com', done, true)).toBe(
      '\rkim@example.com [########################] 100% 1600/~1600 messages, 60/s   ',
    );
    expect(progressLine('kim@example.com', done, false)).toBe(
      'kim@example.com: backfill 1600/~1600 messages, 60/s\n',
    );
    // Listed past the total it was given: full, and no time left claimed.
    const past = new BackfillMeter();
    past.update(1_000, 1_600, 0);
    expect(past.update(1_700, 1_600, 10_000)).toMatchObject({ share: 1, secondsLeft: null });
  });

  it('words a wait as a person reads it', () => {
    expect(
      [0, 40, 89, 90, 12 * 60, 89 * 60, 90 * 60, 3 * 3600 + 20 * 60, 5 * 3600, 53 * 3600, 72 * 3600].map(
        formatDuration,
      ),
    ).toEqual([
      '0 s',
      '40 s',
      '89 s',
      '2 min',
      '12 min',
      '89 min',
      '1 h 30 min',
      '3 h 20 min',
      '5 h',
      '2 d 5 h',
      '3 d',
    ]);
  });
});
