import { AccountStatus, type PrismaClient } from '../lib/prisma.ts';

/**
 * What the operator sees of an account that needs reconnecting. No address: the user already
 * hears about it in their own digest, and the operator can act on ids (logs, metrics and
 * `touchbase accounts` all speak ids) without reading who uses the service.
 */
export interface ReconnectRow {
  accountId: string;
  userId: string;
  provider: string;
  reason: string | null;
  /** When the row last changed: syncs stop for such an account, so this is when it broke. */
  since: string;
  lastSyncedAt: string | null;
}

export async function listAccountsNeedingReconnect(prisma: PrismaClient): Promise<ReconnectRow[]> {
  const accounts = await prisma.mailAccount.findMany({
    where: { status: AccountStatus.NEEDS_RECONNECT },
    select: {
      id: true,
      userId: true,
      provider: true,
      statusReason: true,
      updatedAt: true,
      lastSyncedAt: true,
    },
    orderBy: { updatedAt: 'asc' },
    take: 500,
  });
  return accounts.map((a) => ({
    accountId: a.id,
    userId: a.userId,
    provider: a.provider,
    reason: a.statusReason,
    since: a.updatedAt.toISOString(),
    lastSyncedAt: a.lastSyncedAt?.toISOString() ?? null,
  }));
}

export function renderAdminHome(accounts: readonly ReconnectRow[], now: Date): string {
  const rows = accounts
    .map(
      (a) =>
        `<tr><td><code>${html(a.accountId)}</code></td><td>${html(a.provider)}</td><td>${html(a.reason ?? '—')}</td><td><time datetime="${html(a.since)}">${html(a.since.slice(0, 16).replace('T', ' '))} UTC</time> (${ago(a.since, now)})</td><td><code>${html(a.userId)}</code></td></tr>`,
    )
    .join('');
  const table = accounts.length
    ? `<table><caption>Accounts needing reconnect (${accounts.length})</caption><thead><tr><th scope="col">Account</th><th scope="col">Provider</th><th scope="col">Reason</th><th scope="col">Since</th><th scope="col">User</th></tr></thead><tbody>${rows}</tbody></table>`
    : '<p>No account needs reconnecting.</p>';
  return layout(
    'Admin',
    `<p><a href="/admin/queues">Queues (bull-board)</a> · <a href="/metrics">Metrics</a></p>
<h2>Accounts needing reconnect</h2>
<p>Their owners see this in their digest and settings; they reconnect from the connect page.</p>
${table}
<form method="post" action="/admin/logout"><button type="submit">Sign out</button></form>`,
  );
}

export function renderLogin(error?: string): string {
  return layout(
    'Admin sign-in',
    `${error ? `<p role="alert">${html(error)}</p>` : ''}
<form method="post" action="/admin/login">
<label for="token">Admin token (ADMIN_TOKEN)</label><br>
<input id="token" name="token" type="password" autocomplete="current-password" required size="40">
<button type="submit">Sign in</button>
</form>`,
  );
}

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${html(title)} · touchbase</title><style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:left}caption{text-align:left;font-weight:bold}</style></head><body><h1>${html(title)}</h1>${body}</body></html>`;
}

function ago(iso: string, now: Date): string {
  const hours = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 3600_000));
  return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} days ago`;
}

function html(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
