import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReadAhead } from '../../src/lib/read-ahead.ts';

describe('ReadAhead', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands a parked answer to the first taker only', async () => {
    const store = new ReadAhead();
    store.park('a', Promise.resolve('page'));
    expect(store.take('b')).toBeUndefined();
    await expect(store.take('a')).resolves.toBe('page');
    expect(store.take('a')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('drops an answer nobody claims in time, and a newer one replaces an older', async () => {
    vi.useFakeTimers();
    const store = new ReadAhead(1_000);
    store.park('a', Promise.resolve('old'));
    store.park('a', Promise.resolve('new'));
    expect(store.size).toBe(1);
    await expect(store.take('a')).resolves.toBe('new');

    store.park('b', Promise.resolve('late'));
    vi.advanceTimersByTime(999);
    expect(store.size).toBe(1);
    vi.advanceTimersByTime(1);
    expect(store.size).toBe(0);
    expect(store.take('b')).toBeUndefined();
  });

  it('keeps a failure for the taker and reports none when nobody takes it', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const store = new ReadAhead();
      store.park('a', Promise.reject(new Error('429')));
      store.park('b', Promise.reject(new Error('never taken')));
      await expect(store.take('a')).rejects.toThrow('429');
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
