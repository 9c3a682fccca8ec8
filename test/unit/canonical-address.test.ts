import { describe, expect, it } from 'vitest';
import { canonicalAddress } from '../../src/mail/canonical-address.ts';

describe('canonicalAddress: safe automatic merges only', () => {
  it.each([
    ['john.smith@gmail.com', 'johnsmith@gmail.com'],
    ['johnsmith+news@gmail.com', 'johnsmith@gmail.com'],
    ['j.o.h.n.smith+a+b@googlemail.com', 'johnsmith@gmail.com'],
    ['johnsmith@gmail.com', 'johnsmith@gmail.com'],
    // Other providers: dots and +tags may be different mailboxes, so no merge.
    ['john.smith@example.com', 'john.smith@example.com'],
    ['john+work@example.com', 'john+work@example.com'],
    ['john.smith@gmail.co.uk', 'john.smith@gmail.co.uk'],
    // Nothing left of the local part: keep the address rather than invent one.
    ['+tag@gmail.com', '+tag@gmail.com'],
  ])('%s -> %s', (address, canonical) => {
    expect(canonicalAddress(address)).toBe(canonical);
  });
});
