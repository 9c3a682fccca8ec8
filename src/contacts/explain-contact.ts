import { AppError } from '../lib/errors.ts';
import type { PrismaClient } from '../lib/prisma.ts';
import { canonicalAddress } from '../mail/canonical-address.ts';
import { normalizeAddress } from '../mail/normalize-address.ts';
import { aggregateContact, type ContactAggregate, type ContactInteraction } from './aggregate-contact.ts';
import {
  contactStatus,
  DEFAULT_CADENCE_DAYS,
  lapseThresholdDays,
  MIN_LAPSE_DAYS,
  silenceDays,
} from './contact-status.ts';
import { STORED_INTERACTION_FIELDS } from './contact-store.ts';
import { groupInteractions } from './group-interactions.ts';
import { findContact } from './manage-contacts.ts';
import { describeCadence } from './parse-cadence.ts';

export interface ExplainFacts {
  label: string;
  addresses: { address: string; source: string }[];
  own: boolean;
  rows: readonly ContactInteraction[];
  aggregate: ContactAggregate;
  settings: { mutedAt: Date | null; snoozedUntil: Date | null; cadenceDays: number | null } | null;
  groupSizeLimit: number;
}

/**
 * `touchbase contacts why X`: every decision touchbase made about one person or address, in
 * words: which mail counted, which rule excluded the rest, the rhythm, and why they are (not) lapsed.
 */
export async function explainContact(
  prisma: PrismaClient,
  userId: string,
  query: string,
  now: Date,
  options: { groupSizeLimit: number; own: ReadonlySet<string> },
): Promise<string[]> {
  const address = normalizeAddress(query);
  const contact = await findContact(prisma, userId, query).catch((error: unknown) => {
    if (error instanceof AppError && error.code === 'CONTACT_NOT_FOUND' && address) return null;
    throw error;
  });
  const addresses = contact
    ? contact.addresses.map((a) => ({ address: a.address, source: a.source }))
    : [{ address: address as string, source: 'seen' }];
  const rows = await prisma.interaction.findMany({
    where: { userId, counterpartyKeys: { hasSome: addresses.map((a) => canonicalAddress(a.address)) } },
    select: STORED_INTERACTION_FIELDS,
  });
  const keys = new Set(addresses.map((a) => canonicalAddress(a.address)));
  const grouped = groupInteractions(rows, new Map([['person', keys]])).byPerson.get('person') ?? [];
  return describeDecisions(
    {
      label: contact?.name ? `${contact.name} <${addresses[0]?.address}>` : (addresses[0]?.address ?? query),
      addresses,
      own: addresses.some((a) => options.own.has(a.address)),
      rows: grouped,
      aggregate: aggregateContact(grouped, { groupSizeLimit: options.groupSizeLimit }),
      settings: contact,
      groupSizeLimit: options.groupSizeLimit,
    },
    now,
  );
}

/** The explanation itself, from facts alone (pure, so every branch is tested). */
export function describeDecisions(facts: ExplainFacts, now: Date): string[] {
  const { aggregate: a, rows, groupSizeLimit: limit } = facts;
  const lines = [facts.label];
  if (facts.own)
    return [...lines, 'One of your own addresses (a connected account or an alias): never a contact.'];
  for (const { address, source } of facts.addresses.slice(1)) {
    const how = source === 'auto-merge' ? 'joined automatically (a Gmail variant of the same mailbox)' : '';
    lines.push(`Also ${address}${how ? `: ${how}` : source === 'merged' ? ': merged by you' : ''}`);
  }
  const automated = countBy(
    rows.filter((r) => r.automatedReason !== null).map((r) => r.automatedReason as string),
  );
  const group = rows.filter((r) => r.automatedReason === null && r.recipientCount > limit);
  lines.push(
    `Counted: ${a.sentCount} messages you sent, ${a.receivedCount} they sent (one-to-one or up to ${limit} recipients).`,
  );
  if (group.length) {
    lines.push(
      `${group.length} group messages (more than ${limit} recipients) count only towards the last contact date.`,
    );
  }
  if (automated.size) {
    const reasons = [...automated].map(([reason, n]) => `${reason} ×${n}`).join(', ');
    lines.push(
      `Not counted: ${[...automated.values()].reduce((x, y) => x + y, 0)} automated messages (${reasons}).`,
    );
  }
  lines.push(contactDecision(facts));
  if (!a.isContact || !a.lastContactAt) return lines;

  const days = Math.floor(silenceDays(a.lastContactAt, now));
  const who = a.lastDirection === 'sent' ? 'you wrote' : 'they wrote';
  lines.push(
    `Last contact: ${a.lastContactAt.toISOString().slice(0, 10)} (${days} days ago, ${who})${a.lastSubject ? `: "${a.lastSubject}"` : ''}.`,
  );
  const explicit = facts.settings?.cadenceDays ?? null;
  if (explicit) {
    lines.push(
      `Rhythm: ${describeCadence(explicit)}, set by you${a.inferredCadenceDays ? ` (inferred: ${describeCadence(a.inferredCadenceDays)})` : ''}.`,
    );
  } else if (a.inferredCadenceDays) {
    lines.push(
      `Rhythm: ${describeCadence(a.inferredCadenceDays)}, the typical gap between your ${a.exchangeDays} days of exchanges (a busy day counts once).`,
    );
  } else {
    lines.push(`Rhythm: too few exchanges to infer one (3 needed); ${DEFAULT_CADENCE_DAYS} days is assumed.`);
  }
  const statusFacts = {
    mutedAt: facts.settings?.mutedAt ?? null,
    snoozedUntil: facts.settings?.snoozedUntil ?? null,
    lastContactAt: a.lastContactAt,
    cadenceDays: explicit,
    inferredCadenceDays: a.inferredCadenceDays,
  };
  const threshold = Math.round(lapseThresholdDays(statusFacts));
  const rule = `twice the rhythm, at least ${MIN_LAPSE_DAYS} days`;
  switch (contactStatus(statusFacts, now)) {
    case 'muted':
      lines.push(
        `Muted since ${statusFacts.mutedAt?.toISOString().slice(0, 10)}: never in the digest (unmute to undo).`,
      );
      break;
    case 'snoozed':
      lines.push(`Snoozed until ${statusFacts.snoozedUntil?.toISOString().slice(0, 10)}.`);
      break;
    case 'lapsed':
      lines.push(`Lapsed: ${days} days of silence is more than ${threshold} (${rule}).`);
      break;
    case 'active':
      lines.push(`Active: ${days} days of silence; lapses after ${threshold} (${rule}).`);
      break;
  }
  return lines;
}

function contactDecision(facts: ExplainFacts): string {
  const { aggregate: a, rows, groupSizeLimit: limit } = facts;
  const people = rows.filter((r) => r.automatedReason === null);
  if (a.isContact) return 'A contact: you have written to them directly.';
  if (people.length === 0 && rows.length > 0)
    return 'Not a contact: every message with this address is automated.';
  if (rows.some((r) => r.automatedReason === 'bounce') && !people.some((r) => r.direction === 'received')) {
    return 'Not a contact: mail to this address bounced and they never wrote back.';
  }
  if (people.some((r) => r.direction === 'sent' && r.recipientCount > limit)) {
    return `Not a contact: you wrote to them only in group messages (more than ${limit} recipients).`;
  }
  if (people.length > 0) return 'Not a contact: they wrote to you, but you have never written to them.';
  return 'Not a contact: no mail with this address.';
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
