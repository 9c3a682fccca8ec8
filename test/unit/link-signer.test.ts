import { describe, expect, it } from 'vitest';
import { createLinkSigner } from '../../src/lib/link-signer.ts';
import { generateSecret } from '../../src/lib/token-cipher.ts';

describe('signed links', () => {
  const signer = createLinkSigner(generateSecret());

  it('carries its value for its purpose only', () => {
    const token = signer.sign('unsubscribe', 'user-1');
    expect(signer.verify('unsubscribe', token)).toBe('user-1');
    expect(signer.verify('settings', token)).toBeNull();
    expect(createLinkSigner(generateSecret()).verify('unsubscribe', token)).toBeNull();
  });

  it('refuses every one-character change, including the lenient last base64 character', () => {
    const token = signer.sign('unsubscribe', 'user-1');
    for (let i = 0; i < token.length; i++) {
      if (token[i] === '.') continue;
      const changed = `${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`;
      expect(signer.verify('unsubscribe', changed), `position ${i}`).not.toBe('user-1');
    }
  });
});
