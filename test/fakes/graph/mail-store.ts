import { changeKey, exchangeId } from './ids.ts';
import type { FakeGraphFolderSpec, FakeGraphMessageSpec } from './types.ts';

export interface StoredMessage {
  spec: FakeGraphMessageSpec;
  id: string;
  folderId: string;
  conversationId: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  /** the change sequence number of the last add/update in this folder */
  changeSeq: number;
  /** when it entered this folder */
  addedSeq: number;
}

export interface Tombstone {
  id: string;
  addedSeq: number;
  removedSeq: number;
  reason: 'deleted' | 'changed';
}

export interface StoredFolder {
  id: string;
  displayName: string;
  parentFolderId: string;
  wellKnownName?: string;
  isHidden: boolean;
  /** bumped by invalidateDelta: every token from an older epoch answers 410 */
  epoch: number;
  messages: Map<string, StoredMessage>;
  tombstones: Tombstone[];
}

/** The folders every Exchange Online mailbox has, with their display names. */
const WELL_KNOWN: [name: string, displayName: string, hidden: boolean][] = [
  ['inbox', 'Inbox', false],
  ['sentitems', 'Sent Items', false],
  ['drafts', 'Drafts', false],
  ['deleteditems', 'Deleted Items', false],
  ['junkemail', 'Junk Email', false],
  ['archive', 'Archive', false],
  ['outbox', 'Outbox', false],
  ['conversationhistory', 'Conversation History', false],
  ['scheduled', 'Scheduled', false],
  ['searchfolders', 'Search Folders', true],
  ['recoverableitemsdeletions', 'Recoverable Items Deletions', true],
];

/**
 * Folders, messages and the change bookkeeping message delta needs: one global sequence; each
 * message remembers when it entered its folder and last changed; removals leave tombstones.
 */
export class MailStore {
  readonly folders = new Map<string, StoredFolder>();
  readonly root: StoredFolder;
  private readonly byMessageId = new Map<string, StoredMessage>();
  /** internetMessageId -> the messages carrying it (a message sent to oneself is in two folders) */
  private readonly byInternetId = new Map<string, Set<StoredMessage>>();
  private seqCounter = 0;
  private idCounter = 0;
  private readonly conversations = new Map<string, string>();

  constructor(
    private readonly salt: string,
    folders: FakeGraphFolderSpec[],
    messages: FakeGraphMessageSpec[],
  ) {
    this.root = this.makeFolder(
      { displayName: 'Top of Information Store', isHidden: false },
      '',
      'msgfolderroot',
    );
    for (const [name, displayName, hidden] of WELL_KNOWN) {
      this.makeFolder({ displayName, isHidden: hidden }, this.root.id, name);
    }
    for (const f of folders) this.addFolder(f);
    for (const m of messages) this.addMessage(m);
  }

  get seq(): number {
    return this.seqCounter;
  }

  /** A folder by id, well-known name (case-insensitive) or display name. */
  folder(ref: string): StoredFolder | undefined {
    const direct = this.folders.get(ref);
    if (direct) return direct;
    const lower = ref.toLowerCase();
    for (const f of this.folders.values()) if (f.wellKnownName === lower) return f;
    for (const f of this.folders.values()) if (f.displayName.toLowerCase() === lower) return f;
    return undefined;
  }

  requireFolder(ref: string): StoredFolder {
    const f = this.folder(ref);
    if (!f) throw new Error(`fake Graph: no folder "${ref}"`);
    return f;
  }

  children(parentId: string): StoredFolder[] {
    return [...this.folders.values()].filter((f) => f.parentFolderId === parentId);
  }

  addFolder(spec: FakeGraphFolderSpec): string {
    const parent = spec.parent ? this.requireFolder(spec.parent) : this.root;
    return this.makeFolder(spec, parent.id, undefined).id;
  }

  message(id: string): StoredMessage | undefined {
    return this.byMessageId.get(id);
  }

  withInternetMessageId(internetMessageId: string): StoredMessage[] {
    return [...(this.byInternetId.get(internetMessageId) ?? [])];
  }

  addMessage(spec: FakeGraphMessageSpec): string {
    const folder = this.requireFolder(spec.folder);
    const id = spec.id ?? this.nextId('message');
    if (this.byMessageId.has(id)) throw new Error(`fake Graph: duplicate message id ${id}`);
    const seq = this.nextSeq();
    const created = spec.receivedDateTime;
    const m: StoredMessage = {
      spec: { ...spec, folder: folder.id },
      id,
      folderId: folder.id,
      conversationId: spec.conversationId ?? this.conversationFor(spec.subject),
      createdDateTime: created,
      lastModifiedDateTime: created,
      changeSeq: seq,
      addedSeq: seq,
    };
    folder.messages.set(id, m);
    this.index(m);
    return id;
  }

  update(id: string, patch: Partial<Omit<FakeGraphMessageSpec, 'folder' | 'id'>>): void {
    const m = this.requireMessage(id);
    this.unindex(m);
    m.spec = { ...m.spec, ...patch };
    this.index(m);
    m.changeSeq = this.nextSeq();
    m.lastModifiedDateTime = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /** Outlook gives a moved message a new id (unless immutable ids were asked for). */
  move(id: string, folderRef: string): string {
    const m = this.requireMessage(id);
    const target = this.requireFolder(folderRef);
    this.remove(m, 'deleted');
    const newId = this.nextId('message');
    const seq = this.nextSeq();
    const moved: StoredMessage = {
      ...m,
      spec: { ...m.spec, folder: target.id, id: newId },
      id: newId,
      folderId: target.id,
      changeSeq: seq,
      addedSeq: seq,
      lastModifiedDateTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    target.messages.set(newId, moved);
    this.index(moved);
    return newId;
  }

  delete(id: string): void {
    this.remove(this.requireMessage(id), 'deleted');
  }

  invalidate(folderRef: string): void {
    this.requireFolder(folderRef).epoch += 1;
  }

  changeKeyOf(m: StoredMessage): string {
    return changeKey(m.changeSeq);
  }

  private remove(m: StoredMessage, reason: Tombstone['reason']): void {
    const folder = this.requireFolder(m.folderId);
    folder.messages.delete(m.id);
    this.unindex(m);
    folder.tombstones.push({ id: m.id, addedSeq: m.addedSeq, removedSeq: this.nextSeq(), reason });
  }

  private index(m: StoredMessage): void {
    this.byMessageId.set(m.id, m);
    const set = this.byInternetId.get(m.spec.internetMessageId) ?? new Set();
    set.add(m);
    this.byInternetId.set(m.spec.internetMessageId, set);
  }

  private unindex(m: StoredMessage): void {
    this.byMessageId.delete(m.id);
    const set = this.byInternetId.get(m.spec.internetMessageId);
    set?.delete(m);
    if (set?.size === 0) this.byInternetId.delete(m.spec.internetMessageId);
  }

  private requireMessage(id: string): StoredMessage {
    const m = this.byMessageId.get(id);
    if (!m) throw new Error(`fake Graph: no message ${id}`);
    return m;
  }

  private makeFolder(
    spec: FakeGraphFolderSpec,
    parentId: string,
    wellKnownName: string | undefined,
  ): StoredFolder {
    const id = spec.id ?? this.nextId('folder');
    const f: StoredFolder = {
      id,
      displayName: spec.displayName,
      parentFolderId: parentId,
      isHidden: spec.isHidden ?? false,
      epoch: 0,
      messages: new Map(),
      tombstones: [],
    };
    if (wellKnownName) f.wellKnownName = wellKnownName;
    this.folders.set(id, f);
    return f;
  }

  /** Without an explicit id, messages sharing a normalised subject share a conversation. */
  private conversationFor(subject: string): string {
    const key = subject
      .replace(/^((re|fw|fwd|aw|sv)\s*:\s*)+/i, '')
      .trim()
      .toLowerCase();
    let id = this.conversations.get(key);
    if (!id) {
      id = exchangeId('conversation', this.salt, this.conversations.size + 1);
      this.conversations.set(key, id);
    }
    return id;
  }

  private nextId(kind: 'message' | 'folder'): string {
    this.idCounter += 1;
    return exchangeId(kind, this.salt, this.idCounter);
  }

  private nextSeq(): number {
    this.seqCounter += 1;
    return this.seqCounter;
  }
}
