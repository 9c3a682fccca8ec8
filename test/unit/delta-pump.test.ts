import { describe, expect, it } from 'vitest';
import {
  DeltaPump,
  type FolderCursor,
  type FolderPage,
  MAX_BUFFERED_PAGES,
} from '../../src/providers/outlook/delta-pump.ts';

const folder = (id: string): FolderCursor => ({ id, label: id, sent: false, link: null, inRound: false });

/** A folder's delta as `pages` pages of numbered items, each answered after a tick. */
function fakeDelta(pages: Record<string, number>, failOn?: string) {
  let inFlight = 0;
  const stats = { maxInFlight: 0, calls: 0 };
  const fetchPage = async (f: FolderCursor, link: string | null): Promise<FolderPage<string>> => {
    inFlight++;
    stats.calls++;
    stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    inFlight--;
    const n = link === null ? 0 : Number(link.split(':')[1]);
    if (`${f.id}:${n}` === failOn) throw new Error('boom');
    const last = n + 1 >= (pages[f.id] ?? 1);
    return {
      folderId: f.id,
      messages: [`${f.id}-${n}`],
      entries: 1,
      link: last ? `delta:${f.id}` : `next:${n + 1}`,
      inRound: !last,
      gone: false,
    };
  };
  return { fetchPage, stats };
}

async function drain(pump: DeltaPump<string>) {
  const seen: string[] = [];
  while (!pump.finished) for (const page of await pump.take(2)) seen.push(...page.messages);
  return seen;
}

describe('DeltaPump', () => {
  it('reads every page of every folder once, each folder in order, at most `concurrency` at once', async () => {
    const pages = { a: 5, b: 3, c: 1, d: 4, e: 2, f: 6 };
    const { fetchPage, stats } = fakeDelta(pages);
    const seen = await drain(new DeltaPump(fetchPage, Object.keys(pages).map(folder), 4));
    expect(seen).toHaveLength(21);
    for (const [id, n] of Object.entries(pages)) {
      expect(seen.filter((m) => m.startsWith(`${id}-`))).toEqual(
        Array.from({ length: n }, (_, i) => `${id}-${i}`),
      );
    }
    expect(stats.maxInFlight).toBe(4);
    expect(stats.calls).toBe(21);
  });

  it('drain(): starts nothing new, hands over every page read or in flight, each folder in order', async () => {
    const pages = { a: 6, b: 6, c: 6, d: 6, e: 6 };
    const { fetchPage, stats } = fakeDelta(pages);
    const pump = new DeltaPump(fetchPage, Object.keys(pages).map(folder), 4);
    const first = (await pump.take(1)).flatMap((page) => page.messages);
    const rest = (await pump.drain()).flatMap((page) => page.messages);
    const handed = [...first, ...rest];
    // Every request made was handed over: nothing read is left to be read again.
    expect(handed).toHaveLength(stats.calls);
    expect(stats.calls).toBeLessThan(30);
    // Folder e never started; the others stopped where their pages end, in order.
    expect(handed.some((m) => m.startsWith('e-'))).toBe(false);
    for (const id of ['a', 'b', 'c', 'd']) {
      const mine = handed.filter((m) => m.startsWith(`${id}-`));
      expect(mine).toEqual(mine.map((_, i) => `${id}-${i}`));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stats.calls).toBe(handed.length);
  });

  it('hands out what it read before a failure, then throws it, and is never "finished"', async () => {
    const { fetchPage } = fakeDelta({ a: 3 }, 'a:2');
    const pump = new DeltaPump(fetchPage, [folder('a')], 4);
    const seen: string[] = [];
    const error = await (async () => {
      for (;;) for (const page of await pump.take(1)) seen.push(...page.messages);
    })().catch((e: unknown) => e);
    expect((error as Error).message).toBe('boom');
    expect(seen).toEqual(['a-0', 'a-1']);
    expect(pump.finished).toBe(false);
  });

  it('keeps a folder one request ahead while the store falls behind, within a bounded buffer', async () => {
    const { fetchPage, stats } = fakeDelta({ a: 30 });
    const pump = new DeltaPump(fetchPage, [folder('a')], 4);
    // Nobody takes anything for a while: the buffer fills, one more page waits for room, and the
    // page after it is already asked for (so the chain goes on the moment the store catches up).
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stats.calls).toBe(MAX_BUFFERED_PAGES + 2);
    const seen = await drain(pump);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `a-${i}`));
    expect(stats.calls).toBe(30);
  });

  it('with nothing to read, is finished at once', async () => {
    const { fetchPage } = fakeDelta({});
    const pump = new DeltaPump(fetchPage, [], 4);
    expect(await pump.take(2)).toEqual([]);
    expect(pump.finished).toBe(true);
  });
});
