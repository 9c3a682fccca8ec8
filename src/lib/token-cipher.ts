import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppError } from './errors.ts';

/**
 * Tokens at rest: AES-256-GCM, the owning row's id as associated data (a ciphertext copied to
 * another row does not decrypt), and a key id prefix so a new secret can be rolled in while
 * old rows are still readable.
 */
export interface TokenCipher {
  encrypt(plaintext: string, rowId: string): string;
  decrypt(sealed: string, rowId: string): string;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** `secrets[0]` encrypts; every secret decrypts (rotation: put the new one first). */
export function createTokenCipher(secrets: readonly string[]): TokenCipher {
  const keys = secrets.map((s) => {
    const key = Buffer.from(s, 'base64');
    if (key.length !== 32) throw new AppError('CONFIG_INVALID', 'a token secret must be base64 of 32 bytes');
    return { id: keyId(key), key };
  });
  const current = keys[0];
  if (!current) throw new AppError('CONFIG_INVALID', 'no token secret given');

  return {
    encrypt(plaintext, rowId) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      cipher.setAAD(Buffer.from(rowId, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const sealed = Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
      return `${VERSION}.${current.id}.${sealed}`;
    },
    decrypt(sealed, rowId) {
      const [version, id, data] = sealed.split('.');
      const entry = keys.find((k) => k.id === id);
      if (version !== VERSION || !entry || !data) {
        throw new AppError(
          'TOKEN_KEY_UNKNOWN',
          'a stored token was encrypted with a key this process does not have: set TOUCHBASE_SECRET to the secret it was stored with',
        );
      }
      const raw = Buffer.from(data, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', entry.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(rowId, 'utf8'));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      try {
        return Buffer.concat([
          decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch (cause) {
        throw new AppError(
          'TOKEN_TAMPERED',
          'a stored token failed its integrity check (wrong row or altered)',
          {
            cause,
          },
        );
      }
    },
  };
}

/** A new secret for TOUCHBASE_SECRET. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64');
}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}
