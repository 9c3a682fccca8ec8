import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { historyParts } from '../../src/contacts/contact-store.ts';

describe('historyParts (a recompute batch read a part at a time)', () => {
  it('counts a message naming two of one part once, and gives a person over the limit a part alone', () => {
    const groups = new Map<string, ReadonlySet<string>>([
      ['ann', new Set(['ann@example.com', 'ann@work.example'])],
      ['bob', new Set(['bob@example.com'])],
      ['cat', new Set(['cat@example.com'])],
    ]);
    const ids = new Map([
      ['ann@example.com', [1, 2, 3]],
      ['ann@work.example', [3, 4]],
      ['bob@example.com', [4, 5]],
      ['cat@example.com', [6, 7, 8, 9, 10, 11]],
    ]);
    expect(historyParts(groups, ids, 5)).toEqual([
      // Ann's four messages and Bob's two overlap in one (4): the part would hold 5, but the
      // overlap is only known once merged, so the cut is made on the sum.
      { groups: new Map([['ann', groups.get('ann')]]), ids: [1, 2, 3, 4] },
      { groups: new Map([['bob', groups.get('bob')]]), ids: [4, 5] },
      { groups: new Map([['cat', groups.get('cat')]]), ids: [6, 7, 8, 9, 10, 11] },
    ]);
  });

  it('puts every person in exactly one part, within the limit unless alone, with all of their history', () => {
    const person = fc.record({
      keys: fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(person, { maxLength: 30 }),
        fc.dictionary(
          fc.integer({ min: 0, max: 40 }).map(String),
          fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 60 }),
        ),
        fc.integer({ min: 1, max: 100 }),
        (people, idsByKeyNumber, limit) => {
          const groups = new Map<string, ReadonlySet<string>>(
            people.map((p, i) => [`person${i}`, new Set(p.keys.map(String))]),
          );
          const idsByKey = new Map(Object.entries(idsByKeyNumber));
          const parts = historyParts(groups, idsByKey, limit);
          expect(parts.flatMap((part) => [...part.groups.keys()])).toEqual([...groups.keys()]);
          for (const part of parts) {
            expect(new Set(part.ids).size).toBe(part.ids.length);
            if (part.groups.size > 1) expect(part.ids.length).toBeLessThanOrEqual(limit);
            for (const keys of part.groups.values())
              for (const key of keys)
                for (const id of idsByKey.get(key) ?? []) expect(part.ids).toContain(id);
          }
        },
      ),
    );
  });
});
