import { describe, expect, it } from 'vitest';
import { normalizeAddress } from '../../src/mail/parse-addresses.ts';

const valid: [raw: string, expected: string][] = [
  ['bob@example.com', 'bob@example.com'],
  ['  Bob@Example.COM  ', 'bob@example.com'],
  ['<bob@example.com>', 'bob@example.com'],
  [' < bob@example.com > ', 'bob@example.com'],
  ['bob+tag@example.com', 'bob+tag@example.com'],
  ["o'neil@example.ie", "o'neil@example.ie"],
  ['first.last@sub.example.co.uk', 'first.last@sub.example.co.uk'],
  ['bob@example.com.', 'bob@example.com'], // fully qualified trailing dot
  ['root@localhost', 'root@localhost'],
  ['joerg@Bücher.example', 'joerg@xn--bcher-kva.example'],
  ['x@MÜNCHEN.de', 'x@xn--mnchen-3ya.de'],
  ['x@ｅｘａｍｐｌｅ.com', 'x@example.com'], // full-width letters map to ASCII (UTS 46)
  ['x@xn--bcher-kva.example', 'x@xn--bcher-kva.example'],
  ['Zoë@example.com', 'zoë@example.com'], // EAI local part, lowercased
  ['zoe\u0308@example.com', 'zoë@example.com'], // decomposed form becomes NFC
  ['a_b@mail_host.example.com', 'a_b@mail_host.example.com'],
  ['taro.@docomo.ne.jp', 'taro.@docomo.ne.jp'], // legacy carrier address kept
];

const invalid: [raw: string, why: string][] = [
  ['', 'empty'],
  ['   ', 'blank'],
  ['bob', 'no @'],
  ['@example.com', 'empty local part'],
  ['bob@', 'empty domain'],
  ['a@b@example.com', 'two @'],
  ['bob smith@example.com', 'space in local part'],
  ['"bob smith"@example.com', 'quoted local part'],
  ['bob@example', 'single-label domain'],
  ['bob@1.2.3.4', 'bare IPv4'],
  ['bob@[192.168.0.1]', 'domain literal'],
  ['bob@exa mple.com', 'space in domain'],
  ['bob@-example.com', 'label starts with a hyphen'],
  ['bob@example..com', 'empty label'],
  ['bob@xn--zz.com', 'broken punycode'],
  ['mailto:bob@example.com', 'URI, not an addr-spec'],
  ['bob(comment)@example.com', 'comment not removed by the caller'],
  ['...@example.com', 'only dots'],
  ['b\u202Eob@example.com', 'bidi override'],
  [`${'a'.repeat(65)}@example.com`, 'local part over 64'],
  [`a@${'b'.repeat(64)}.com`, 'label over 63'],
  [`a@${'b.'.repeat(130)}com`, 'domain over 253'],
];

describe('normalizeAddress', () => {
  it.each(valid)('%s -> %s', (raw, expected) => {
    expect(normalizeAddress(raw)).toBe(expected);
  });

  it.each(invalid)('%s is rejected (%s)', (raw) => {
    expect(normalizeAddress(raw)).toBeNull();
  });

  it('is idempotent on its own output', () => {
    for (const [, expected] of valid) expect(normalizeAddress(expected)).toBe(expected);
  });
});
