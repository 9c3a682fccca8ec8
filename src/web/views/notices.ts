/**
 * What a page says after a POST/redirect/GET. The redirect carries only a code, so nobody can
 * make the page say words of their choosing through a link.
 */
const NOTICES: Record<string, string> = {
  connected: 'Your account is connected. The first sync has started; your people appear as it goes.',
  'signed-out': 'You are signed out.',
  'schedule-saved': 'Your digest schedule is saved.',
  paused: 'Your weekly digest is paused.',
  resumed: 'Your weekly digest is on again.',
  disconnected: 'The account is disconnected and its mail data deleted.',
  'disconnected-not-revoked':
    'The account is disconnected and its mail data deleted. touchbase could not revoke its access at the provider: remove touchbase in your account’s security settings.',
  'disconnected-microsoft':
    'The account is disconnected and its mail data deleted. Microsoft has no way for touchbase to revoke one token: remove touchbase under “Apps and services” in your Microsoft account to end its access.',
  snoozed: 'Snoozed.',
  muted: 'Muted: they will not appear in your digest.',
  unmuted: 'Unmuted.',
  'cadence-saved': 'Rhythm saved.',
  merged: 'The two contacts are now one.',
};

export function noticeText(code: unknown): string | undefined {
  return typeof code === 'string' ? NOTICES[code] : undefined;
}
