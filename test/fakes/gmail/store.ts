import type { FakeGmailMessage } from './fake-gmail.ts';

export interface StoredMessage extends FakeGmailMessage {
  historyId: number;
}

export type HistoryType = 'messageAdded' | 'messageDeleted' | 'labelAdded' | 'labelRemoved';

export interface HistoryRecord {
  id: number;
  type: HistoryType;
  message: { id: string; threadId: string; labelIds: string[] };
}

/**
 * The mailbox: messages plus the change log that users.history.list reads. History ids grow with
 * uneven gaps, as Google's do, so clients cannot get away with assuming contiguous ids.
 */
export class MailboxStore {
  readonly messages = new Map<string, StoredMessage>();
  /** Bumped on every change, so derived views (sorted listings) know when to rebuild. */
  version = 0;
  /** Message ids per thread: threads.get on a 100k-message mailbox must not scan it. */
  private readonly threads = new Map<string, Set<string>>();
  private readonly history: HistoryRecord[] = [];
  private current: number;
  /** start ids below this were issued before the retained history and answer 404 */
  private oldestValid: number;
  private step = 0;

  constructor(initial: FakeGmailMessage[]) {
    this.current = 4_100_000;
    this.oldestValid = this.current;
    const sorted = [...initial].sort((a, b) => a.internalDate - b.internalDate || a.id.localeCompare(b.id));
    for (const m of sorted) this.add(m);
  }

  get historyId(): number {
    return this.current;
  }

  add(m: FakeGmailMessage): StoredMessage {
    validateMessage(m);
    if (this.messages.has(m.id)) throw new Error(`fake gmail: message ${m.id} already exists`);
    const stored: StoredMessage = {
      ...m,
      labelIds: [...m.labelIds],
      headers: [...m.headers],
      historyId: this.bump(),
    };
    this.messages.set(m.id, stored);
    const thread = this.threads.get(m.threadId) ?? new Set<string>();
    thread.add(m.id);
    this.threads.set(m.threadId, thread);
    this.version += 1;
    this.record('messageAdded', stored);
    return stored;
  }

  delete(id: string): void {
    const m = this.messages.get(id);
    if (!m) throw new Error(`fake gmail: no message ${id} to delete`);
    this.messages.delete(id);
    const thread = this.threads.get(m.threadId);
    thread?.delete(id);
    if (thread?.size === 0) this.threads.delete(m.threadId);
    this.version += 1;
    this.bump();
    this.record('messageDeleted', m);
  }

  /** Forget every history record and make all ids issued so far too old to start from. */
  expire(): void {
    this.history.length = 0;
    this.oldestValid = this.bump();
  }

  isTooOld(startHistoryId: number): boolean {
    return startHistoryId < this.oldestValid;
  }

  historyAfter(startHistoryId: number): HistoryRecord[] {
    return this.history.filter((h) => h.id > startHistoryId);
  }

  threadMessages(threadId: string): StoredMessage[] {
    return [...(this.threads.get(threadId) ?? [])]
      .map((id) => this.messages.get(id) as StoredMessage)
      .sort((a, b) => a.internalDate - b.internalDate || a.id.localeCompare(b.id));
  }

  threadCount(): number {
    return this.threads.size;
  }

  private bump(): number {
    this.step += 1;
    // Deterministic but uneven gaps (1..23) stand in for Google's "not contiguous, random gaps".
    this.current += 1 + ((this.step * 7919) % 23);
    return this.current;
  }

  private record(type: HistoryType, m: StoredMessage): void {
    this.history.push({
      id: this.current,
      type,
      message: { id: m.id, threadId: m.threadId, labelIds: [...m.labelIds] },
    });
  }
}

function validateMessage(m: FakeGmailMessage): void {
  if (!m.id || !m.threadId) throw new Error('fake gmail: a message needs id and threadId');
  if (!Number.isFinite(m.internalDate)) throw new Error(`fake gmail: message ${m.id} has no internalDate`);
}
