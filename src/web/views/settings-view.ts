import { formatRelative } from '../../digest/format-relative.ts';
import type { MailAccount, User } from '../../lib/prisma.ts';
import { backfillProgressText } from '../../sync/backfill-progress.ts';
import { flag, html, type SafeHtml } from './html.ts';
import { csrfField } from './layout.ts';

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const ZONES = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')];
const PROVIDER_NAMES: Record<string, string> = { gmail: 'Gmail', outlook: 'Outlook' };

export interface SettingsViewInput {
  user: User;
  /** Null when the page was opened with a signed link: accounts need a real sign-in. */
  accounts: MailAccount[] | null;
  csrf: string;
  /** Appended to every form's action: `?u=...` for a signed link, '' in a session. */
  linkQuery: string;
  now: Date;
}

export function settingsBody(input: SettingsViewInput): SafeHtml {
  const { user, csrf, linkQuery } = input;
  // A zone never chosen is the default UTC: the browser's own zone is offered instead (app.js).
  const guessZone = user.timeZone === 'UTC';
  return html`<section class="panel" aria-labelledby="schedule-heading">
<h2 id="schedule-heading">Weekly digest</h2>
<form method="post" action="/settings/schedule${linkQuery}">
${csrfField(csrf)}
<label for="digestDay">Day</label>
<select id="digestDay" name="digestDay">${WEEKDAYS.map((day, i) => html`<option value="${i + 1}"${flag('selected', user.digestDay === i + 1)}>${day}</option>`)}</select>
<label for="digestHour">Time</label>
<select id="digestHour" name="digestHour">${Array.from({ length: 24 }, (_, hour) => html`<option value="${hour}"${flag('selected', user.digestHour === hour)}>${String(hour).padStart(2, '0')}:00</option>`)}</select>
<label for="timeZone">Time zone</label>
<select id="timeZone" name="timeZone" aria-describedby="tz-note"${guessZone ? html` data-browser-tz="tz-note"` : ''}>${ZONES.map((zone) => html`<option value="${zone}"${flag('selected', user.timeZone === zone)}>${zone.replaceAll('_', ' ')}</option>`)}</select>
<p id="tz-note" class="muted"${flag('hidden', true)}>Filled in from your browser; your saved time zone is ${user.timeZone}. Save to use it.</p>
<p><button type="submit">Save schedule</button></p>
</form>
<form method="post" action="/settings/pause${linkQuery}">
${csrfField(csrf)}
<input type="hidden" name="paused" value="${user.digestPaused ? '0' : '1'}">
<p>${user.digestPaused ? 'Your digest is paused.' : 'Your digest is on.'}
<button type="submit" class="secondary">${user.digestPaused ? 'Resume the digest' : 'Pause the digest'}</button></p>
</form>
</section>
${input.accounts ? accountsSection(input.accounts, input.now) : signInHint()}`;
}

function accountsSection(accounts: MailAccount[], now: Date): SafeHtml {
  return html`<section class="panel" aria-labelledby="accounts-heading">
<h2 id="accounts-heading">Connected mailboxes</h2>
${accounts.length === 0 ? html`<p>No mailbox is connected.</p>` : ''}
<ul class="accounts">${accounts.map((account) => accountItem(account, now))}</ul>
<p><a href="/connect">Add another mailbox</a></p>
</section>
<section class="panel" aria-labelledby="delete-heading">
<h2 id="delete-heading">Your data</h2>
<p><a href="/delete">Delete all my data</a> (accounts, contacts, mail facts and digests).</p>
</section>`;
}

function accountItem(account: MailAccount, now: Date): SafeHtml {
  const provider = PROVIDER_NAMES[account.provider] ?? account.provider;
  return html`<li class="account">
<h3>${account.email}</h3>
<p><span class="muted">${provider}:</span> ${syncState(account, now)}</p>
<div class="actions">
<form method="get" action="/oauth/${account.provider}/start">
<input type="hidden" name="next" value="/settings">
<input type="hidden" name="hint" value="${account.email}">
<button type="submit" class="secondary" aria-label="Reconnect ${account.email}">Reconnect</button>
</form>
<a class="button secondary" href="/accounts/${account.id}/disconnect" aria-label="Disconnect ${account.email}">Disconnect</a>
</div>
</li>`;
}

/** Where the account's sync stands, in words: what the user would ask about. */
export function syncState(account: MailAccount, now: Date): string {
  if (account.status === 'NEEDS_RECONNECT') {
    return `Needs reconnecting${account.statusReason ? `: ${account.statusReason}` : ''}.`;
  }
  if (account.status === 'DISCONNECTED') return 'Disconnected.';
  if (account.lastSyncError) return `Sync error: ${account.lastSyncError}`;
  if (!account.backfillDoneAt) {
    if (account.backfillTotal) return `Reading past mail: ${backfillProgressText(account, now)}.`;
    return account.backfillListed > 0
      ? `Reading past mail: ${account.backfillListed} messages so far.`
      : 'Waiting for the first sync.';
  }
  return account.lastSyncedAt ? `Synced ${formatRelative(account.lastSyncedAt, now)}.` : 'Synced.';
}

function signInHint(): SafeHtml {
  return html`<section class="panel" aria-labelledby="more-heading">
<h2 id="more-heading">More settings</h2>
<p>This page was opened from your digest. To see your people or manage your mailboxes, <a href="/connect?next=/settings">sign in</a>.</p>
</section>`;
}
