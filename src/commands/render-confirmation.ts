import type { RenderedDigest } from '../digest/types.ts';

export const COMMAND_HELP = [
  'snooze 2            quiet for 2 weeks (or: snooze 2 3w, snooze 2,4 for 2 months, snooze 1-3 until March 3)',
  'done 4              handled: the reply is written, or you caught up',
  'mute 5              never suggest this person again',
  'unmute 5            undo a mute',
  'cadence 3 every 2 months   how often you want to be in touch',
  'help                this list',
];

/** The short answer to a reply: what was applied, what was not understood, and how to say it. */
export function renderConfirmation(input: {
  subject: string | null;
  applied: readonly string[];
  notUnderstood: readonly string[];
  publicUrl: string;
}): RenderedDigest {
  const base = (input.subject ?? 'your touchbase digest').trim();
  const subject = /^re:/i.test(base) ? base : `Re: ${base}`;
  const lines: string[] = [];
  if (input.applied.length > 0) lines.push('Done:', ...input.applied.map((a) => `  ${a}`));
  else lines.push('Nothing was changed.');
  if (input.notUnderstood.length > 0) {
    lines.push(
      '',
      'Not understood (nothing changed for these):',
      ...input.notUnderstood.map((t) => `  "${t}"`),
    );
  }
  if (input.notUnderstood.length > 0 || input.applied.some((a) => a.startsWith('Help'))) {
    lines.push(
      '',
      'Reply to your digest with any of these, one per line or separated by commas:',
      ...COMMAND_HELP.map((h) => `  ${h}`),
    );
  }
  lines.push('', `-- `, `touchbase · settings: ${input.publicUrl}/settings`);
  const text = `${lines.join('\n')}\n`;
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="color-scheme" content="light dark"></head><body style="margin:0;padding:16px;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#1f2328;background:#ffffff"><pre style="white-space:pre-wrap;font:inherit;margin:0">${escapeHtml(text)}</pre></body></html>`;
  return { subject, text, html };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
