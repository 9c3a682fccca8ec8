import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BATCH_ADDRESSES, BATCH_ROWS, packBatches } from '../../src/contacts/refresh-dirty-contacts.ts';
import { canonicalAddress } from '../../src/mail/canonical-address.ts';

const rows = (addresses: string[]) => addresses.map((address) => ({ address }));

describe('packBatches (the recompute batches of a dirty window)', () => {
  it('keeps the variants of one mailbox in one batch, even where the batch is full', () => {
    const window = rows([
      ...Array.from({ length: 499 }, (_, i) => `a${String(i).padStart(3, '0')}@example.com`),
      'john.smith@gmail.com',
      'johnsmith@gmail.com',
      'john.smith+news@gmail.com',
      'zoe@example.com',
    ]);
    const batches = packBatches(window, new Map());
    const john = batches.filter((batch) =>
      batch.some((row) => canonicalAddress(row.address) === 'johnsmith@gmail.com'),
    );
    expect(john).toHaveLength(1);
    expect(john[0]?.filter((row) => canonicalAddress(row.address) === 'johnsmith@gmail.com')).toHaveLength(3);
    expect(batches[0]).toHaveLength(499);
  });

  it('cuts by estimated history rows as well as by addresses', () => {
    const sizes = new Map([
      ['big@example.com', 0.75 * BATCH_ROWS],
      ['bigger@example.com', 0.75 * BATCH_ROWS],
      ['small@example.com', 10],
    ]);
    const batches = packBatches(rows(['big@example.com', 'bigger@example.com', 'small@example.com']), sizes);
    expect(batches.map((batch) => batch.map((row) => row.address))).toEqual([
      ['big@example.com'],
      ['bigger@example.com', 'small@example.com'],
    ]);
  });

  it('hands out every address exactly once, each key in one batch, no batch over the limits', () => {
    const local = fc.constantFrom('ann', 'a.nn', 'ann+x', 'bob', 'b.o.b', 'cy', 'dee', 'eve');
    const domain = fc.constantFrom('gmail.com', 'example.com', 'work.io');
    const address = fc.tuple(local, domain, fc.nat(400)).map(([l, d, n]) => `${l}${n}@${d}`);
    fc.assert(
      fc.property(fc.uniqueArray(address, { maxLength: 2_000 }), fc.nat(30_000), (addresses, rowsEach) => {
        const sizes = new Map(addresses.map((a) => [canonicalAddress(a), rowsEach % 3_000]));
        const batches = packBatches(rows(addresses), sizes);
        expect(
          batches
            .flat()
            .map((row) => row.address)
            .sort(),
        ).toEqual([...addresses].sort());
        const home = new Map<string, number>();
        for (const [index, batch] of batches.entries()) {
          expect(batch.length).toBeGreaterThan(0);
          for (const row of batch) {
            const key = canonicalAddress(row.address);
            expect(home.get(key) ?? index).toBe(index);
            home.set(key, index);
          }
          const keys = new Set(batch.map((row) => canonicalAddress(row.address)));
          const estimated = [...keys].reduce((sum, key) => sum + (sizes.get(key) ?? 0), 0);
          if (keys.size > 1) {
            expect(batch.length).toBeLessThanOrEqual(BATCH_ADDRESSES);
            expect(estimated).toBeLessThanOrEqual(BATCH_ROWS);
          }
        }
      }),
      { numRuns: 50 },
    );
  });
});
