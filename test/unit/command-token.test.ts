import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCommandSigner, subjectCommandText } from '../../src/commands/command-token.ts';
import { generateSecret } from '../../src/lib/token-cipher.ts';

describe('command tokens in the Subject', () => {
  const signer = createCommandSigner(generateSecret());
  const digestId = randomUUID();

  it('names its digest', () => {
    expect(signer.verify(`snooze 2 for 2 weeks ${signer.tag(digestId)}`)).toBe(digestId);
    expect(signer.verify(`Re: done 1 ${signer.tag(digestId)}`)).toBe(digestId);
  });

  it('cannot be forged, altered or used under another secret', () => {
    const tag = signer.tag(digestId);
    const token = tag.slice(4, -1);
    const flipped = `${token.slice(0, 5)}${token[5] === 'A' ? 'B' : 'A'}${token.slice(6)}`;
    expect(signer.verify(`done 1 [tb:${flipped}]`)).toBeNull();
    expect(createCommandSigner(generateSecret()).verify(`done 1 ${tag}`)).toBeNull();
    expect(signer.verify('done 1 [tb:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA]')).toBeNull();
    expect(signer.verify('done 1')).toBeNull();
    expect(signer.verify(null)).toBeNull();
  });

  it('leaves what the user typed', () => {
    expect(subjectCommandText(`Re: RE: snooze 2 for 2 weeks ${signer.tag(digestId)}`)).toBe(
      'snooze 2 for 2 weeks',
    );
  });
});
