/** Small helpers for human-readable CLI output. */
export function ago(at: Date | null, now: Date): string {
  if (!at) return 'never';
  const days = Math.floor((now.getTime() - at.getTime()) / 86_400_000);
  if (days < 1) return 'today';
  if (days < 14) return `${days}d ago`;
  if (days < 60) return `${Math.round(days / 7)}w ago`;
  if (days < 730) return `${Math.round(days / 30)}mo ago`;
  return `${Math.round(days / 365)}y ago`;
}

/**
 * A recent moment to the minute ("just now", "3 min ago", "5 h ago"), older ones as `ago` says
 * them: for when something last ran, where "today" cannot tell a sync a minute ago from one
 * stuck since the morning.
 */
export function agoToTheMinute(at: Date | null, now: Date): string {
  if (!at) return 'never';
  const minutes = Math.floor((now.getTime() - at.getTime()) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h ago`;
  return ago(at, now);
}

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
