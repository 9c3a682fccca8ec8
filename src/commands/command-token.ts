import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * A digest's signed token, carried in the Subject of its one-click mailto links ("done 2
 * [tb:...]"), so a command sent as a new message still names its digest, and nobody can forge
 * one for another digest. HMAC-SHA256 under a key derived from TOUCHBASE_SECRET.
 */
export interface CommandSigner {
  /** The subject tag for a digest: `[tb:<token>]`. */
  tag(digestId: string): string;
  /** The digest a subject's tag names, if the tag is genuine. */
  verify(subject: string | null): string | null;
}

const MAC_BYTES = 12;
const TAG_PATTERN = /\[tb:([A-Za-z0-9_-]{20,80})\]/;

export function createCommandSigner(secret: string): CommandSigner {
  const key = Buffer.from(
    hkdfSync('sha256', Buffer.from(secret, 'base64'), Buffer.alloc(0), 'touchbase command token', 32),
  );
  const mac = (id: Buffer) => createHmac('sha256', key).update(id).digest().subarray(0, MAC_BYTES);
  return {
    tag(digestId) {
      const id = Buffer.from(digestId.replaceAll('-', ''), 'hex');
      return `[tb:${Buffer.concat([id, mac(id)]).toString('base64url')}]`;
    },
    verify(subject) {
      const token = subject?.match(TAG_PATTERN)?.[1];
      if (!token) return null;
      const raw = Buffer.from(token, 'base64url');
      // Base64 decoding is lenient (unused low bits): only the exact text of a token counts.
      if (raw.length !== 16 + MAC_BYTES || raw.toString('base64url') !== token) return null;
      const id = raw.subarray(0, 16);
      if (!timingSafeEqual(mac(id), raw.subarray(16))) return null;
      const hex = id.toString('hex');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  };
}

/** The subject with any command tag and reply/forward prefixes removed: what the user typed. */
export function subjectCommandText(subject: string | null): string {
  return (subject ?? '')
    .replace(TAG_PATTERN, ' ')
    .replace(/^\s*((re|aw|sv|antw)\s*:\s*)+/i, '')
    .trim();
}
