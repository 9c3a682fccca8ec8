import { describe, expect, it } from 'vitest';
import { createTokenCipher, generateSecret } from '../../src/lib/token-cipher.ts';

describe('token cipher (AES-256-GCM, row-bound)', () => {
  const secret = generateSecret();
  const cipher = createTokenCipher([secret]);

  it('round-trips and never stores the plaintext', () => {
    const sealed = cipher.encrypt('1//refresh-token-value', 'row-1');
    expect(sealed).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(sealed).not.toContain('refresh-token-value');
    expect(cipher.decrypt(sealed, 'row-1')).toBe('1//refresh-token-value');
  });

  it('uses a fresh IV each time', () => {
    expect(cipher.encrypt('same', 'row-1')).not.toBe(cipher.encrypt('same', 'row-1'));
  });

  it('refuses a ciphertext copied to another row', () => {
    const sealed = cipher.encrypt('token', 'row-1');
    expect(() => cipher.decrypt(sealed, 'row-2')).toThrow(/integrity check/);
  });

  it('refuses a tampered ciphertext', () => {
    const sealed = cipher.encrypt('token', 'row-1');
    const last = sealed.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${sealed.slice(0, -2)}${last}${sealed.slice(-1)}`;
    expect(() => cipher.decrypt(tampered, 'row-1')).toThrow(/integrity check/);
  });

  it('reads tokens sealed with an older key after rotation, and seals with the new one', () => {
    const old = cipher.encrypt('token', 'row-1');
    const rotated = createTokenCipher([generateSecret(), secret]);
    expect(rotated.decrypt(old, 'row-1')).toBe('token');
    expect(rotated.encrypt('token', 'row-1').split('.')[1]).not.toBe(old.split('.')[1]);
  });

  it('says which setting to fix when the key is unknown', () => {
    const sealed = cipher.encrypt('token', 'row-1');
    expect(() => createTokenCipher([generateSecret()]).decrypt(sealed, 'row-1')).toThrow(/TOUCHBASE_SECRET/);
  });

  it('rejects a secret that is not 32 bytes', () => {
    expect(() => createTokenCipher([Buffer.alloc(16).toString('base64')])).toThrow(/32 bytes/);
  });
});
