import type { LinkSigner } from './link-signer.ts';

/** A digest's settings link opens that user's settings for five weeks: a newer digest brings a new one. */
export const SETTINGS_LINK_DAYS = 35;
const PURPOSE = 'settings';

/** `${PUBLIC_URL}/settings?u=...`: the digest's "change schedule" link, which works without a session. */
export function settingsLinkUrl(publicUrl: string, signer: LinkSigner, userId: string, now: Date): string {
  const expires = Math.floor(now.getTime() / 1000) + SETTINGS_LINK_DAYS * 86_400;
  return `${publicUrl.replace(/\/+$/, '')}/settings?u=${signer.sign(PURPOSE, `${userId}.${expires}`)}`;
}

/** The user a settings link is for, or null when it is altered, for another purpose, or expired. */
export function verifySettingsLink(signer: LinkSigner, token: string, now: Date): string | null {
  const value = signer.verify(PURPOSE, token);
  const [userId, expires] = value?.split('.') ?? [];
  if (!userId || !expires || Number(expires) * 1000 < now.getTime()) return null;
  return userId;
}
