import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { normalizeAddress, parseAddressList } from '../../src/mail/parse-addresses.ts';
import { CORPUS_DIR } from './message-meta.ts';

interface VectorAddress {
  name: string | null;
  address: string | null;
}
interface Vector {
  header: string;
  expected: { List?: VectorAddress[]; Group?: { name: string | null; addresses: VectorAddress[] }[] };
}

const vectors = JSON.parse(readFileSync(join(CORPUS_DIR, 'address.json'), 'utf8')) as Vector[];

/**
 * Where touchbase deliberately differs from the reference parser, by vector index:
 * addresses the reference leaves with obsolete syntax in them, which we clean up.
 */
const ADDRESS_DIFFERENCES: Record<number, string[]> = {
  13: ['mary@example.net'], // `<@node.test:mary@example.net>`: obsolete source route dropped
  14: ['jdoe@machine.example'], // `jdoe@machine(comment).  example`: comment and FWS dropped
};

/** Display names differ where comments are involved (we drop them) or the name is an address. */
function isNameComparable(vector: Vector, index: number): boolean {
  return !vector.header.includes('(') && ![13, 14, 31, 49, 50, 51].includes(index);
}

function flatten(vector: Vector): VectorAddress[] {
  return vector.expected.List ?? (vector.expected.Group ?? []).flatMap((g) => g.addresses);
}

describe('address.json conformance vectors', () => {
  it('has the vectors', () => {
    expect(vectors.length).toBeGreaterThan(50);
  });

  it.each(vectors.map((vector, index) => ({ vector, index })))('vector $index', ({ vector, index }) => {
    const expected = flatten(vector)
      .map((e) => ({ address: e.address === null ? null : normalizeAddress(e.address), name: e.name ?? '' }))
      .filter((e): e is { address: string; name: string } => e.address !== null);
    const result = parseAddressList(vector.header);

    expect(result.map((r) => r.address)).toEqual(
      ADDRESS_DIFFERENCES[index] ?? expected.map((e) => e.address),
    );
    if (isNameComparable(vector, index)) {
      expect(result.map((r) => r.name)).toEqual(expected.map((e) => e.name.trim()));
    }
  });
});

const EML_DIRS = ['rfc', 'malformed', 'thirdparty'];
const emlFiles = EML_DIRS.flatMap((dir) =>
  readdirSync(join(CORPUS_DIR, 'eml', dir))
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((f) => `${dir}/${f}`),
);

async function addressHeaders(file: string): Promise<Map<string, string>> {
  const email = await PostalMime.parse(readFileSync(join(CORPUS_DIR, 'eml', file)));
  const wanted = ['from', 'to', 'cc', 'bcc', 'reply-to', 'sender'];
  return new Map(email.headers.filter((h) => wanted.includes(h.key)).map((h) => [h.key, h.value]));
}

describe('real messages in the eml corpora', () => {
  it.each(emlFiles)(
    '%s: every parsed address is normalised, unique and really in the header',
    async (file) => {
      for (const [, value] of await addressHeaders(file)) {
        const result = parseAddressList(value);
        const addresses = result.map((r) => r.address);
        expect(new Set(addresses).size).toBe(addresses.length);
        for (const address of addresses) {
          expect(normalizeAddress(address)).toBe(address);
          // No fabricated contact: the address text occurs in the raw header.
          expect(value.toLowerCase()).toContain(address);
        }
      }
    },
  );

  const known: { file: string; header: string; expected: string[] }[] = [
    { file: 'rfc/000.eml', header: 'from', expected: ['Nathaniel Borenstein <nsb@nsb.fv.com>'] },
    { file: 'rfc/001.eml', header: 'from', expected: [] }, // "Whomever": no address at all
    {
      file: 'rfc/002.eml',
      header: 'to',
      expected: ['White House Transportation Coordinator <transport@whitehouse.gov>'],
    },
    { file: 'rfc/006.eml', header: 'to', expected: [' <recipient@example.com>'] },
    { file: 'thirdparty/007.eml', header: 'from', expected: [] }, // `<moderator>`: no domain
    { file: 'thirdparty/014.eml', header: 'from', expected: ['calpas calpas <calpas2007@yahoo.fr>'] },
    {
      file: 'thirdparty/015.eml',
      header: 'from',
      expected: ['Jonas Sterr - ProxForge <jsterr@proxforge.de>'],
    },
    {
      file: 'thirdparty/011.eml',
      header: 'to',
      expected: ['admin xyz <admin@xyz-webserver.abcd-gestion.local>'],
    },
  ];

  it.each(known)('$file $header', async ({ file, header, expected }) => {
    const value = (await addressHeaders(file)).get(header) ?? null;
    const shown = parseAddressList(value).map((r) => `${r.name} <${r.address}>`);
    expect(shown).toEqual(expected);
  });
});

describe('bounded work on hostile headers (2 MB each; results asserted, never time)', () => {
  const MB2 = 2 * 1024 * 1024;
  const hostile: { title: string; header: string; expected: string[] }[] = [
    { title: 'nested group colons', header: 'a:'.repeat(MB2 / 2), expected: [] },
    {
      title: 'deeply nested groups around members',
      header: `${'g:'.repeat(50)}${'a@b.com,'.repeat(MB2 / 8)}`,
      expected: ['a@b.com'],
    },
    { title: 'unterminated quote', header: `"${'a'.repeat(MB2)}`, expected: [] },
    { title: 'unterminated angle', header: `<${'a'.repeat(MB2)}`, expected: [] },
    { title: 'run of @ in angle brackets', header: `<${'@'.repeat(MB2)}`, expected: [] },
    { title: 'unterminated comment', header: `(${'x'.repeat(MB2)}`, expected: [] },
    { title: 'open parentheses', header: '('.repeat(MB2), expected: [] },
    { title: 'encoded-word openers', header: '=?'.repeat(MB2 / 2), expected: [] },
    { title: 'unterminated encoded word', header: `=?utf-8?q?${'a'.repeat(MB2)}`, expected: [] },
    {
      title: 'white space run',
      header: `Bob${' '.repeat(MB2)}<bob@example.com>`,
      expected: ['bob@example.com'],
    },
    { title: 'commas only', header: ','.repeat(MB2), expected: [] },
    {
      title: 'distinct entries that are all invalid (no dot in the domain)',
      header: Array.from({ length: 260_000 }, (_, i) => `u${i}@x`).join(','),
      expected: [],
    },
    {
      title: 'one address repeated',
      header: 'Same Person <same@example.com>, '.repeat(MB2 / 32),
      expected: ['same@example.com'],
    },
  ];

  // The timeout is a safety net for a loaded machine, not a speed assertion (see npm run bench).
  it.each(hostile)('$title', { timeout: 60_000 }, ({ header, expected }) => {
    expect(header.length).toBeGreaterThanOrEqual(MB2);
    expect(parseAddressList(header).map((r) => r.address)).toEqual(expected);
  });

  it('2 MB of distinct recipients stops at the cap', { timeout: 60_000 }, () => {
    const header = Array.from({ length: 110_000 }, (_, i) => `u${i}@example.com`).join(', ');
    expect(header.length).toBeGreaterThanOrEqual(MB2);
    const result = parseAddressList(header);
    expect(result).toHaveLength(10_000);
    expect(result[9_999]?.address).toBe('u9999@example.com');
  });
});
