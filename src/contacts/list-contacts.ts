import type { PrismaClient } from '../lib/prisma.ts';
import { type ContactStatus, contactStatus } from './contact-status.ts';

export interface ContactView {
  id: string;
  name: string | null;
  emails: string[];
  firstContactAt: Date | null;
  lastContactAt: Date | null;
  lastSentAt: Date | null;
  lastReceivedAt: Date | null;
  lastDirection: 'sent' | 'received' | null;
  sentCount: number;
  receivedCount: number;
  exchangeDays: number;
  /** The rhythm in force: the one the user set, else the inferred one. */
  cadenceDays: number | null;
  inferredCadenceDays: number | null;
  explicitCadenceDays: number | null;
  lastSubject: string | null;
  lastThreadId: string | null;
  mutedAt: Date | null;
  snoozedUntil: Date | null;
  status: ContactStatus;
}

const STATUS_ORDER: Record<ContactStatus, number> = { lapsed: 0, active: 1, snoozed: 2, muted: 3 };

/** A user's contacts with their status at `now`: lapsed first, then most recent contact first. */
export async function listContacts(
  prisma: PrismaClient,
  userId: string,
  now: Date,
  options: { includeMuted?: boolean } = {},
): Promise<ContactView[]> {
  const rows = await prisma.contact.findMany({
    where: { userId, ...(options.includeMuted ? {} : { mutedAt: null }) },
    include: { addresses: { orderBy: { address: 'asc' } } },
  });
  return sortContacts(
    rows.map((row) => toContactView({ ...row, emails: row.addresses.map((a) => a.address) }, now)),
  );
}

/** The columns of a contact row a view is made from, with its addresses. */
export interface ContactRow {
  id: string;
  name: string | null;
  emails: string[];
  firstContactAt: Date | null;
  lastContactAt: Date | null;
  lastSentAt: Date | null;
  lastReceivedAt: Date | null;
  sentCount: number;
  receivedCount: number;
  exchangeDays: number;
  inferredCadenceDays: number | null;
  cadenceDays: number | null;
  lastSubject: string | null;
  lastThreadId: string | null;
  mutedAt: Date | null;
  snoozedUntil: Date | null;
}

export function toContactView(row: ContactRow, now: Date): ContactView {
  const lastDirection =
    row.lastSentAt && (!row.lastReceivedAt || row.lastSentAt >= row.lastReceivedAt)
      ? 'sent'
      : row.lastReceivedAt
        ? 'received'
        : null;
  return {
    id: row.id,
    name: row.name,
    emails: row.emails,
    firstContactAt: row.firstContactAt,
    lastContactAt: row.lastContactAt,
    lastSentAt: row.lastSentAt,
    lastReceivedAt: row.lastReceivedAt,
    lastDirection,
    sentCount: row.sentCount,
    receivedCount: row.receivedCount,
    exchangeDays: row.exchangeDays,
    cadenceDays: row.cadenceDays ?? row.inferredCadenceDays,
    inferredCadenceDays: row.inferredCadenceDays,
    explicitCadenceDays: row.cadenceDays,
    lastSubject: row.lastSubject,
    lastThreadId: row.lastThreadId,
    mutedAt: row.mutedAt,
    snoozedUntil: row.snoozedUntil,
    status: contactStatus(row, now),
  };
}

/** Lapsed first, then most recent contact first; ties by id so the order is stable. */
export function sortContacts(views: ContactView[]): ContactView[] {
  return views.sort(
    (a, b) =>
      STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
      (b.lastContactAt?.getTime() ?? 0) - (a.lastContactAt?.getTime() ?? 0) ||
      a.id.localeCompare(b.id),
  );
}

/** The shape `touchbase contacts --json` prints (ISO 8601 times, null where none). */
export function toContactJson(c: ContactView) {
  return {
    name: c.name,
    emails: c.emails,
    lastContactAt: c.lastContactAt?.toISOString() ?? null,
    lastSentAt: c.lastSentAt?.toISOString() ?? null,
    lastReceivedAt: c.lastReceivedAt?.toISOString() ?? null,
    sentCount: c.sentCount,
    receivedCount: c.receivedCount,
    status: c.status,
    snoozedUntil: c.snoozedUntil?.toISOString() ?? null,
    cadenceDays: c.cadenceDays,
  };
}
