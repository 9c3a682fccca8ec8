import { createHash } from 'node:crypto';

const prefixes = new Map<string, string>();

/**
 * Exchange-like ids ("AAMkAD...AAA="). Like real ones they share a long mailbox-specific prefix
 * (derived from the salt) and differ in the tail (derived from a counter), so a seeded mailbox
 * gets the same ids every run, a moved message gets a fresh one, and 100,000 cost nothing.
 */
export function exchangeId(kind: 'message' | 'folder' | 'conversation', salt: string, n: number): string {
  const key = `${kind}:${salt}`;
  let prefix = prefixes.get(key);
  if (!prefix) {
    const mailbox = createHash('sha256').update(key).digest('base64url');
    const head = kind === 'folder' ? 'AAMkAD' : kind === 'conversation' ? 'AAQkAD' : 'AAMkAD';
    prefix = `${head}${mailbox.slice(0, kind === 'message' ? 64 : 30)}`;
    prefixes.set(key, prefix);
  }
  const tail = Buffer.alloc(12);
  tail.writeUInt32BE(Math.imul(n, 2654435761) >>> 0, 0);
  tail.writeUInt32BE(n >>> 0, 4);
  tail.writeUInt32BE(Math.imul(n ^ 0x5bd1e995, 0x27d4eb2d) >>> 0, 8);
  return `${prefix}${tail.toString('base64url')}AAA=`;
}

export function changeKey(seq: number): string {
  return `CQAAABYAAAA${Buffer.from(`ck${seq.toString(36).padStart(8, '0')}`).toString('base64url')}`;
}
