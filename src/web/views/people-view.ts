import type { ContactView } from '../../contacts/list-contacts.ts';
import { formatCadence, formatDate, formatRelative } from '../../digest/format-relative.ts';
import { type AccountReading, readingSentence } from '../../sync/backfill-progress.ts';
import { flag, html, type SafeHtml } from './html.ts';
import { csrfField } from './layout.ts';

export const SNOOZE_CHOICES: Record<string, { label: string; days: number }> = {
  '2w': { label: '2 weeks', days: 14 },
  '1m': { label: '1 month', days: 30 },
  '3m': { label: '3 months', days: 91 },
};

export const CADENCE_CHOICES: { days: number; label: string }[] = [
  { days: 7, label: 'Every week' },
  { days: 14, label: 'Every 2 weeks' },
  { days: 30, label: 'Every month' },
  { days: 61, label: 'Every 2 months' },
  { days: 91, label: 'Every 3 months' },
  { days: 182, label: 'Every 6 months' },
  { days: 365, label: 'Every year' },
];

const STATUS_TEXT: Record<ContactView['status'], string> = {
  lapsed: 'Lapsed',
  active: 'In touch',
  snoozed: 'Snoozed',
  muted: 'Muted',
};

export interface PeopleViewInput {
  /** The contacts shown (the first of `total` matches). */
  contacts: ContactView[];
  total: number;
  /** Every contact, for the merge form (the list above may be filtered by the search). */
  all: ContactView[];
  query: string;
  csrf: string;
  now: Date;
  timeZone: string;
  /** Mailboxes still being read for the first time: the list is drawn from their newest mail. */
  reading: AccountReading[];
}

export function peopleBody(input: PeopleViewInput): SafeHtml {
  const { contacts, query } = input;
  return html`<div class="panel">
<form method="get" action="/people" role="search" class="inline">
<div><label for="q">Search by name or address</label>
<input type="search" id="q" name="q" value="${query}"></div>
<button type="submit">Search</button>${query ? html` <a href="/people">Show everyone</a>` : ''}
</form>
</div>
<section aria-labelledby="list-heading">
<h2 id="list-heading">${query ? `${input.total} found` : `${input.total} people`}, lapsed first</h2>
${input.reading.map((account) => html`<p class="muted">${readingSentence(account)}</p>`)}
${input.total > contacts.length ? html`<p class="muted">Showing the first ${contacts.length}. Search to find anyone else.</p>` : ''}
${contacts.length === 0 ? html`<p class="panel">${query ? 'Nobody matches that search.' : 'No contacts yet. They appear as your mail is read: someone becomes a contact once you have written to each other.'}</p>` : ''}
<ul class="people">${contacts.map((c) => personItem(c, input))}</ul>
</section>
${input.all.length >= 2 ? mergeSection(input) : ''}`;
}

function personItem(c: ContactView, input: PeopleViewInput): SafeHtml {
  const name = displayName(c);
  const hidden = html`${csrfField(input.csrf)}${input.query ? html`<input type="hidden" name="q" value="${input.query}">` : ''}`;
  const who = html`<span class="visually-hidden"> ${name}</span>`;
  return html`<li class="panel person" id="c-${c.id}">
<h3>${name} <span class="badge ${c.status}">${STATUS_TEXT[c.status]}</span></h3>
${c.name ? html`<p class="muted">${c.emails.join(', ')}</p>` : ''}
<dl class="facts">
<dt>Last contact</dt><dd>${c.lastContactAt ? `${formatRelative(c.lastContactAt, input.now)} (${c.lastDirection === 'sent' ? 'you wrote' : 'they wrote'})` : 'unknown'}</dd>
<dt>Usual rhythm</dt><dd>${c.cadenceDays ? `${formatCadence(c.cadenceDays)}${c.explicitCadenceDays ? ' (set by you)' : ''}` : 'not known yet'}</dd>
${c.status === 'snoozed' && c.snoozedUntil ? html`<dt>Snoozed until</dt><dd>${formatDate(c.snoozedUntil, input.timeZone)}</dd>` : ''}
</dl>
<div class="actions">
<form method="post" action="/people/${c.id}/snooze">
${hidden}
<label for="snooze-${c.id}">Snooze for</label>
<select id="snooze-${c.id}" name="for">${Object.entries(SNOOZE_CHOICES).map(([key, choice]) => html`<option value="${key}">${choice.label}</option>`)}</select>
<button type="submit">Snooze${who}</button>
</form>
${c.status === 'snoozed' ? html`<form method="post" action="/people/${c.id}/snooze">${hidden}<input type="hidden" name="for" value="end"><button type="submit" class="secondary">End snooze${who}</button></form>` : ''}
<form method="post" action="/people/${c.id}/${c.mutedAt ? 'unmute' : 'mute'}">
${hidden}
<button type="submit" class="secondary">${c.mutedAt ? 'Unmute' : 'Mute'}${who}</button>
</form>
<form method="post" action="/people/${c.id}/cadence">
${hidden}
<label for="cadence-${c.id}">Rhythm</label>
<select id="cadence-${c.id}" name="days">
<option value=""${flag('selected', !c.explicitCadenceDays)}>As usual${c.inferredCadenceDays ? ` (${formatCadence(c.inferredCadenceDays)})` : ''}</option>
${CADENCE_CHOICES.map((choice) => html`<option value="${choice.days}"${flag('selected', c.explicitCadenceDays === choice.days)}>${choice.label}</option>`)}
</select>
<button type="submit" class="secondary">Set rhythm${who}</button>
</form>
</div>
</li>`;
}

function mergeSection(input: PeopleViewInput): SafeHtml {
  const options = (selected: number) =>
    input.all.map(
      (c, i) =>
        html`<option value="${c.id}"${flag('selected', i === selected)}>${displayName(c)}${c.name ? ` <${c.emails[0] ?? ''}>` : ''}</option>`,
    );
  return html`<section class="panel" aria-labelledby="merge-heading">
<h2 id="merge-heading">Merge two contacts</h2>
<p>When one person appears twice (two addresses), make them one. The first keeps its settings and gets the second’s addresses.</p>
<form method="post" action="/people/merge">
${csrfField(input.csrf)}
<label for="merge-into">Keep</label>
<select id="merge-into" name="into">${options(0)}</select>
<label for="merge-from">Merge into it</label>
<select id="merge-from" name="from">${options(1)}</select>
<p><button type="submit">Merge</button></p>
</form>
</section>`;
}

export function displayName(c: Pick<ContactView, 'name' | 'emails'>): string {
  return c.name ?? c.emails[0] ?? 'Unnamed contact';
}

/** The search: every word must appear in the name or one of the addresses. */
export function matchesQuery(c: ContactView, query: string): boolean {
  const haystack = [c.name ?? '', ...c.emails].join(' ').toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => haystack.includes(word));
}
