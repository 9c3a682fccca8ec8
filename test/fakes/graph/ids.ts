import { createHash } from 'node:crypto';

/**
 * Exchange-like ids ("AAMkAD...="): base64 of an entry id. Derived from a counter and a salt so
 * a seeded mailbox gets the same ids every run, while a moved message gets a fresh one.
 */
export function exchangeId(kind: 'message' | 'folder' | 'conversation', salt: string, n: number): string {
  const digest = createHash('sha256').update(`${kind}:${salt}:${n}`).digest();
  const prefix =
    kind === 'folder'
      ? 'AAMkADFmMTI0LTQ5AC4AAAAAAA'
      : kind === 'conversation'
        ? 'AAQkADFmMTI0LTQ5'
        : 'AAMkADFmMTI0LTQ5AEYAAAAAAA';
  const tail =
    kind === 'message'
      ? digest.toString('base64url') + digest.subarray(0, 18).toString('base64url')
      : digest.toString('base64url').slice(0, 24);
  return `${prefix}${tail}AAA=`;
}

export function changeKey(seq: number): string {
  return `CQAAABYAAAA${Buffer.from(`ck${seq.toString(36).padStart(8, '0')}`).toString('base64url')}`;
}
