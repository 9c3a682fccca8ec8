import {
  aggregateContact,
  type ContactAggregate,
  type ContactInteraction,
} from '../../src/contacts/aggregate-contact.ts';
import { collectThreads } from '../../src/contacts/collect-threads.ts';
import { type ContactStatus, contactStatus } from '../../src/contacts/contact-status.ts';
import { type FollowUp, findFollowUps } from '../../src/contacts/find-follow-ups.ts';
import { groupInteractions, type StoredInteraction } from '../../src/contacts/group-interactions.ts';
import { DAY_MS } from '../../src/lib/clock.ts';
import { canonicalAddress } from '../../src/mail/canonical-address.ts';
import { toInteractionFacts } from '../../src/mail/to-interaction.ts';
import type { MessageMeta } from '../../src/providers/types.ts';

/** The store's defaults (config GROUP_SIZE_LIMIT, OWE_REPLY_DAYS, AWAIT_REPLY_DAYS; digest window). */
export interface PipelineOptions {
  groupSizeLimit?: number;
  oweAfterDays?: number;
  awaitAfterDays?: number;
  maxAgeDays?: number;
}

export interface InferredContact {
  /** Every address of the person seen in a counted message, sorted (the store's contact_addresses). */
  addresses: string[];
  aggregate: ContactAggregate;
  status: ContactStatus;
}

export interface Inference {
  /** Keyed by canonicalAddress: one person per canonical key, as the store merges automatically. */
  contacts: Map<string, InferredContact>;
  followUps: FollowUp[];
}

/**
 * The in-memory mirror of what sync + refreshContacts + selectDigestContent compute from stored
 * interactions, with no mutes, snoozes, explicit merges or explicit cadences. It composes the pure
 * rules exactly as the store does, so that evaluation and the benchmark measure the real rules and
 * not a re-implementation; each stage is exported so the benchmark can time it on its own.
 */
export function inferFromMessages(
  messages: readonly MessageMeta[],
  own: ReadonlySet<string>,
  now: Date,
  opts: PipelineOptions = {},
): Inference {
  const rows = toStoredRows(messages, own);
  const people = groupPeople(rows, own);
  const aggregates = aggregatePeople(people, opts);
  const contacts = withStatus(aggregates, now);
  return { contacts, followUps: followUpsOf(rows, contacts, now, opts) };
}

/** A stored interaction row: what storeInteractions writes and both readers select. */
export interface PipelineRow extends StoredInteraction {
  fromAddress: string | null;
  addressedToUser: boolean;
}

/**
 * storeInteractions: one row per provider message (the store's unique key is the account and the
 * provider id, so a re-delivered page is skipped). The row id is the provider id rather than an
 * insertion counter: groupInteractions breaks ties on it, and a counter would make the result
 * depend on arrival order in a way the database's ids do not model either.
 */
export function toStoredRows(messages: readonly MessageMeta[], own: ReadonlySet<string>): PipelineRow[] {
  // The store is given the user's addresses lower-cased (ownAddresses).
  const ownLower = lowerCased(own);
  const seen = new Set<string>();
  const rows: PipelineRow[] = [];
  for (const meta of messages) {
    if (seen.has(meta.providerId)) continue;
    seen.add(meta.providerId);
    const facts = toInteractionFacts(meta, ownLower);
    rows.push({
      id: meta.providerId,
      at: meta.at,
      direction: facts.direction,
      recipientCount: facts.recipientCount,
      automatedReason: facts.automatedReason,
      subject: meta.subject,
      threadId: meta.threadId,
      internetMessageId: meta.internetMessageId,
      counterparties: facts.counterparties,
      counterpartyNames: facts.counterpartyNames,
      counterpartyKeys: facts.counterparties.map(canonicalAddress),
      fromAddress: facts.fromAddress,
      addressedToUser: facts.addressedToUser,
    });
  }
  return rows;
}

export interface People {
  /** canonical key -> the addresses refreshContacts would group under it. */
  groups: Map<string, Set<string>>;
  byPerson: Map<string, ContactInteraction[]>;
}

/**
 * refreshContacts' grouping: the addresses touched by person-to-person rows and bounces (the ones
 * storeInteractions hands on), minus the user's own, one group per canonical key.
 */
export function groupPeople(rows: readonly PipelineRow[], own: ReadonlySet<string>): People {
  const ownLower = lowerCased(own);
  const keys = new Map<string, Set<string>>();
  for (const row of rows) {
    if (row.automatedReason !== null && row.automatedReason !== 'bounce') continue;
    for (const address of row.counterparties) {
      if (ownLower.has(address) || ownLower.has(canonicalAddress(address))) continue;
      const key = canonicalAddress(address);
      keys.set(key, new Set([key]));
    }
  }
  // As the store: people are canonical keys; their addresses are the variants seen in mail.
  const grouped = groupInteractions(rows, keys);
  return { groups: grouped.addresses, byPerson: grouped.byPerson };
}

/** aggregateContact per person; a person is a contact iff the aggregate says so. */
export function aggregatePeople(
  people: People,
  opts: PipelineOptions = {},
): Map<string, { addresses: string[]; aggregate: ContactAggregate }> {
  const groupSizeLimit = opts.groupSizeLimit ?? DEFAULT_OPTIONS.groupSizeLimit;
  const result = new Map<string, { addresses: string[]; aggregate: ContactAggregate }>();
  for (const [key, addresses] of people.groups) {
    const aggregate = aggregateContact(people.byPerson.get(key) ?? [], { groupSizeLimit });
    if (aggregate.isContact) result.set(key, { addresses: [...addresses].sort(), aggregate });
  }
  return result;
}

/** contactStatus with nothing muted, snoozed or set by hand. */
export function withStatus(
  aggregates: ReadonlyMap<string, { addresses: string[]; aggregate: ContactAggregate }>,
  now: Date,
): Map<string, InferredContact> {
  const result = new Map<string, InferredContact>();
  for (const [key, { addresses, aggregate }] of aggregates) {
    const status = contactStatus(
      {
        mutedAt: null,
        snoozedUntil: null,
        lastContactAt: aggregate.lastContactAt,
        cadenceDays: null,
        inferredCadenceDays: aggregate.inferredCadenceDays,
      },
      now,
    );
    result.set(key, { addresses, aggregate, status });
  }
  return result;
}

/**
 * selectDigestContent's follow-ups: rows of the last maxAgeDays that have a thread, in time order,
 * split by thread; a follow-up needs a contact's address (active or lapsed: nothing is muted here).
 */
export function followUpsOf(
  rows: readonly PipelineRow[],
  contacts: ReadonlyMap<string, InferredContact>,
  now: Date,
  opts: PipelineOptions = {},
): FollowUp[] {
  const o = { ...DEFAULT_OPTIONS, ...definedOnly(opts) };
  const contactAddresses = new Set<string>();
  for (const contact of contacts.values())
    for (const address of contact.addresses) contactAddresses.add(address);

  // As the store: threads active in the window, read whole, copies of one message joined.
  const since = now.getTime() - o.maxAgeDays * DAY_MS;
  const active = new Set(
    rows.filter((row) => row.threadId !== null && row.at.getTime() >= since).map((r) => r.threadId),
  );
  const threads = collectThreads(
    rows
      .filter((row) => row.threadId !== null && active.has(row.threadId))
      .map((row) => ({
        threadId: row.threadId as string,
        internetMessageId: row.internetMessageId,
        at: row.at,
        direction: row.direction,
        fromAddress: row.fromAddress,
        counterparties: [...row.counterparties],
        subject: row.subject,
        automatedReason: row.automatedReason,
        recipientCount: row.recipientCount,
        addressedToUser: row.addressedToUser,
      })),
  );
  return findFollowUps(threads, (address) => contactAddresses.has(address), now, o);
}

export const DEFAULT_OPTIONS: Required<PipelineOptions> = {
  groupSizeLimit: 10,
  oweAfterDays: 2,
  awaitAfterDays: 7,
  maxAgeDays: 30,
};

function definedOnly(opts: PipelineOptions): PipelineOptions {
  return Object.fromEntries(Object.entries(opts).filter(([, value]) => value !== undefined));
}

function lowerCased(own: ReadonlySet<string>): Set<string> {
  return new Set([...own].map((address) => address.toLowerCase()));
}
