import { describe, expect, it } from 'vitest';
import { MAX_ADDRESSES, type ParsedAddress, parseAddressList } from '../../src/mail/parse-addresses.ts';

/** RFC 2047 words built here rather than pasted, so each case says what it encodes. */
function b64(text: string): string {
  return `=?utf-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

const cases: { title: string; header: string | null | undefined; expected: ParsedAddress[] }[] = [
  { title: 'null header', header: null, expected: [] },
  { title: 'undefined header', header: undefined, expected: [] },
  { title: 'empty header', header: '', expected: [] },
  { title: 'blank header', header: '  \r\n ', expected: [] },
  { title: 'bare address', header: 'bob@example.com', expected: [{ name: '', address: 'bob@example.com' }] },
  {
    title: 'name and angle address',
    header: 'Bob Smith <bob@example.com>',
    expected: [{ name: 'Bob Smith', address: 'bob@example.com' }],
  },
  {
    title: 'quoted name with commas is one person',
    header: '"Smith, Bob, Jr." <bob@example.com>, carol@example.com',
    expected: [
      { name: 'Smith, Bob, Jr.', address: 'bob@example.com' },
      { name: '', address: 'carol@example.com' },
    ],
  },
  {
    title: 'quoted name with escaped quote and semicolon',
    header: '"Giant; \\"Big\\" Box" <box@example.net>',
    expected: [{ name: 'Giant; "Big" Box', address: 'box@example.net' }],
  },
  {
    title: 'group is flattened',
    header: 'Team: a@x.example, "B, Person" <b@y.example>; c@z.example',
    expected: [
      { name: '', address: 'a@x.example' },
      { name: 'B, Person', address: 'b@y.example' },
      { name: '', address: 'c@z.example' },
    ],
  },
  { title: 'empty group', header: 'Undisclosed recipients:;', expected: [] },
  {
    title: 'comments in the address are dropped',
    header: 'Pete <pete(his account)@silly.test(his host)>',
    expected: [{ name: 'Pete', address: 'pete@silly.test' }],
  },
  {
    title: 'trailing comment is not the name',
    header: 'John <jdoe@one.test> (my dear friend)',
    expected: [{ name: 'John', address: 'jdoe@one.test' }],
  },
  {
    title: 'comment alone becomes the name',
    header: 'jdoe@one.test (John Doe)',
    expected: [{ name: 'John Doe', address: 'jdoe@one.test' }],
  },
  {
    title: 'encoded "Moore, Keith" is ONE person',
    header: '=?utf-8?Q?Moore=2C_Keith?= <moore@cs.utk.edu>, ned@innosoft.com',
    expected: [
      { name: 'Moore, Keith', address: 'moore@cs.utk.edu' },
      { name: '', address: 'ned@innosoft.com' },
    ],
  },
  {
    title: 'base64 encoded name with a comma is one person',
    header: `${b64('Moore, Keith')} <moore@cs.utk.edu>`,
    expected: [{ name: 'Moore, Keith', address: 'moore@cs.utk.edu' }],
  },
  {
    title: 'encoded word that decodes to an angle address is not an address',
    header: b64('Evil <evil@attacker.example>'),
    expected: [],
  },
  {
    title: 'encoded word that decodes to a bare address is not an address',
    header: `${b64('evil@attacker.example')}, real@example.com`,
    expected: [{ name: '', address: 'real@example.com' }],
  },
  {
    title: 'encoded display name holding an address stays a name',
    header: `${b64('Evil <evil@attacker.example>')} <real@example.com>`,
    expected: [{ name: 'Evil <evil@attacker.example>', address: 'real@example.com' }],
  },
  {
    title: 'Q word with spaces decoding to an address is not an address',
    header: '=?utf-8?q?x =3Cevil=40attacker.example=3E?=',
    expected: [],
  },
  {
    title: 'adjacent encoded words join',
    header: '=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?= <test@test.com>',
    expected: [{ name: 'ab', address: 'test@test.com' }],
  },
  {
    title: 'latin-1 encoded name',
    header: '=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>',
    expected: [{ name: 'Keld Jørn Simonsen', address: 'keld@dkuug.dk' }],
  },
  {
    title: 'raw UTF-8 name',
    header: 'Zoë Łukasiewicz <zoe@example.pl>, 山田太郎 <taro@example.jp>',
    expected: [
      { name: 'Zoë Łukasiewicz', address: 'zoe@example.pl' },
      { name: '山田太郎', address: 'taro@example.jp' },
    ],
  },
  {
    title: 'IDN domain becomes punycode',
    header: 'Jörg <joerg@Bücher.example>, 例え <x@例え.テスト>',
    expected: [
      { name: 'Jörg', address: 'joerg@xn--bcher-kva.example' },
      { name: '例え', address: 'x@xn--r8jz45g.xn--zckzah' },
    ],
  },
  {
    title: 'uppercase is lowercased',
    header: 'Greg <GVaudre@NRI.Reston.VA.US>',
    expected: [{ name: 'Greg', address: 'gvaudre@nri.reston.va.us' }],
  },
  {
    title: 'duplicates removed, first name wins',
    header: 'First Name <dup@example.com>, Second Name <DUP@Example.com>, dup@example.com',
    expected: [{ name: 'First Name', address: 'dup@example.com' }],
  },
  {
    title: 'invalid entries dropped, valid kept',
    header: 'Whomever, nobody@, @nowhere.example, a@b, x@1.2.3.4, ok@example.com, <mailto:list@host.com>',
    expected: [{ name: '', address: 'ok@example.com' }],
  },
  {
    title: 'name that is an address carries no name',
    header: '"phil@example.com" <phil@example.com>',
    expected: [{ name: '', address: 'phil@example.com' }],
  },
  {
    title: 'folded header and white space in the name',
    header: '"John\r\n   Doe" <a@b.com>,\r\n\tNed Freed\r\n <ned@innosoft.com>',
    expected: [
      { name: 'John Doe', address: 'a@b.com' },
      { name: 'Ned Freed', address: 'ned@innosoft.com' },
    ],
  },
  {
    title: 'obsolete source route',
    header: 'Mary Smith <@node.test:mary@example.net>',
    expected: [{ name: 'Mary Smith', address: 'mary@example.net' }],
  },
  {
    title: 'bidi override characters are removed from names',
    header: '"Bob\u202E moc.live" <bob@example.com>',
    expected: [{ name: 'Bob moc.live', address: 'bob@example.com' }],
  },
  {
    title: 'semicolon used as a separator',
    header: 'a@example.com; b@example.com',
    expected: [
      { name: '', address: 'a@example.com' },
      { name: '', address: 'b@example.com' },
    ],
  },
  {
    // Invalid syntax: the inner group's name is left as the first member's display name.
    title: 'nested-group syntax does not nest',
    header: 'Outer: Inner: a@example.com, b@example.com;;',
    expected: [
      { name: 'Inner', address: 'a@example.com' },
      { name: '', address: 'b@example.com' },
    ],
  },
  {
    title: 'forged placeholder characters are ignored',
    header: '"\uFDD00\uFDD1 Bob" <bob@example.com>',
    expected: [{ name: '0 Bob', address: 'bob@example.com' }],
  },
];

describe('parseAddressList', () => {
  it.each(cases)('$title', ({ header, expected }) => {
    expect(parseAddressList(header)).toEqual(expected);
  });

  it('caps a 10,001-recipient header at MAX_ADDRESSES, keeping header order', () => {
    const header = Array.from({ length: 10_001 }, (_, i) => `User ${i} <user${i}@example.com>`).join(', ');
    const result = parseAddressList(header);
    expect(MAX_ADDRESSES).toBe(10_000);
    expect(result).toHaveLength(10_000);
    expect(result[0]).toEqual({ name: 'User 0', address: 'user0@example.com' });
    expect(result[9_999]).toEqual({ name: 'User 9999', address: 'user9999@example.com' });
  });

  it('answers a header seen before as the first time, also once 60,000 others have filled its cache', () => {
    const header = '"Dana Q." <Dana.Q@Example.COM>, =?UTF-8?Q?J=C3=B6rg?= <jorg@example.de>';
    const expected = [
      { name: 'Dana Q.', address: 'dana.q@example.com' },
      { name: 'Jörg', address: 'jorg@example.de' },
    ];
    expect(parseAddressList(header)).toEqual(expected);
    expect(parseAddressList(header)).toEqual(expected);
    for (let i = 0; i < 60_000; i++) {
      expect(parseAddressList(`Person ${i} <p${i}@example.org>`)).toEqual([
        { name: `Person ${i}`, address: `p${i}@example.org` },
      ]);
    }
    expect(parseAddressList(header)).toEqual(expected);
  });

  it('keeps exactly 10,000 distinct recipients', () => {
    const header = Array.from({ length: 10_000 }, (_, i) => `u${i}@example.com`).join(',');
    const result = parseAddressList(header);
    expect(result).toHaveLength(10_000);
    expect(new Set(result.map((r) => r.address)).size).toBe(10_000);
  });
});
