import type { MailStore, StoredFolder, StoredMessage } from './mail-store.ts';
import { renderMessage } from './message-resource.ts';

export type ChangeType = 'created' | 'updated' | 'deleted';

/** What a $deltatoken carries (Graph encodes the original query options into its links too). */
interface DeltaState {
  f: string;
  e: number;
  s: number;
  sel?: string[];
  flt?: string;
  ct?: ChangeType;
}

interface Round {
  id: string;
  folderId: string;
  epoch: number;
  upToSeq: number;
  items: ({ kind: 'message'; id: string } | { kind: 'removed'; id: string; reason: string })[];
  select: string[] | undefined;
  filter: string | undefined;
  changeType: ChangeType | undefined;
}

export interface DeltaRequest {
  folder: StoredFolder;
  select: string[] | undefined;
  filter: string | undefined;
  changeType: ChangeType | undefined;
  /** `$top`: the initial round lists at most this many (newest) messages */
  top: number | undefined;
  deltaToken: string | null;
  skipToken: string | null;
  pageSize: number;
  bodyAsText: boolean;
  basicOnly: boolean;
  /** e.g. https://127.0.0.1:PORT/v1.0/me */
  linkBase: string;
}

export type DeltaResult =
  | { ok: true; body: Record<string, unknown>; count: number }
  | { ok: false; status: number; code: string; message: string };

// As Exchange answers (observed and reported in microsoftgraph/microsoft-graph-docs#2350).
const gone410 = (epoch: number) =>
  `The sync state generation is not found; generation=${epoch};[highest=${epoch + 1}][${epoch + 1}].`;
const MAX_ROUNDS = 2000;

/**
 * Per-folder message delta. A round is fixed when it starts (its item ids are remembered under
 * a skip token); later rounds list what changed after the round's sequence number: messages
 * added or updated in the folder, and `@removed` entries for those that left it.
 */
export class DeltaEngine {
  private readonly rounds = new Map<string, Round>();
  private roundCounter = 0;

  constructor(private readonly store: MailStore) {}

  page(r: DeltaRequest): DeltaResult {
    let round: Round;
    let offset = 0;
    if (r.skipToken !== null) {
      const parsed = this.parseSkip(r.skipToken);
      if (!parsed) return gone('SyncStateInvalid', 'The skip token is malformed or unknown.');
      [round, offset] = parsed;
      if (round.folderId !== r.folder.id)
        return gone('SyncStateInvalid', 'The skip token belongs to another folder.');
    } else {
      let state: DeltaState | undefined;
      if (r.deltaToken !== null) {
        state = decode<DeltaState>(r.deltaToken);
        if (!state || state.f !== r.folder.id)
          return gone('SyncStateInvalid', 'The delta token is malformed.');
      }
      round = this.startRound(r, state);
    }
    if (round.epoch !== r.folder.epoch) return gone('SyncStateNotFound', gone410(round.epoch));

    const slice = round.items.slice(offset, offset + r.pageSize);
    const value: Record<string, unknown>[] = [];
    for (const item of slice) {
      if (item.kind === 'removed') {
        value.push({
          '@odata.type': '#microsoft.graph.message',
          id: item.id,
          '@removed': { reason: item.reason },
        });
        continue;
      }
      const m = r.folder.messages.get(item.id);
      // Moved away after the round started: report it gone rather than stale.
      if (!m) {
        value.push({
          '@odata.type': '#microsoft.graph.message',
          id: item.id,
          '@removed': { reason: 'deleted' },
        });
        continue;
      }
      value.push({
        '@odata.type': '#microsoft.graph.message',
        ...renderMessage(this.store, m, {
          select: round.select,
          bodyAsText: r.bodyAsText,
          basicOnly: r.basicOnly,
          baseUrl: r.linkBase,
        }),
      });
    }
    const link = `${r.linkBase}/mailFolders('${r.folder.id}')/messages/delta`;
    const body: Record<string, unknown> = {
      '@odata.context': `${r.linkBase.replace(/\/v1\.0\/.*$/, '/v1.0')}/$metadata#Collection(message)`,
    };
    const next = offset + r.pageSize;
    if (next < round.items.length) {
      body['@odata.nextLink'] = `${link}?$skiptoken=${this.skipToken(round, next)}`;
    } else {
      const state: DeltaState = { f: round.folderId, e: round.epoch, s: round.upToSeq };
      if (round.select) state.sel = round.select;
      if (round.filter) state.flt = round.filter;
      if (round.changeType) state.ct = round.changeType;
      body['@odata.deltaLink'] = `${link}?$deltatoken=${encode(state)}`;
    }
    body.value = value;
    return { ok: true, body, count: value.length };
  }

  private startRound(r: DeltaRequest, state: DeltaState | undefined): Round {
    const folder = r.folder;
    // Options given with the first request stick to the whole chain of links, as in Graph.
    const select = state ? state.sel : r.select;
    const filter = state ? state.flt : r.filter;
    const changeType = state ? state.ct : r.changeType;
    const since = filter ? sinceOf(filter) : undefined;
    const keep = (m: StoredMessage) => since === undefined || since(m.spec.receivedDateTime);
    const items: Round['items'] = [];
    const epoch = state ? state.e : folder.epoch;
    if (!state) {
      const all = [...folder.messages.values()].filter(keep);
      all.sort((a, b) => b.spec.receivedDateTime.localeCompare(a.spec.receivedDateTime));
      for (const m of r.top === undefined ? all : all.slice(0, r.top))
        items.push({ kind: 'message', id: m.id });
    } else {
      const s = state.s;
      if (changeType !== 'deleted') {
        for (const m of folder.messages.values()) {
          if (m.changeSeq <= s || !keep(m)) continue;
          const created = m.addedSeq > s;
          if (changeType === 'created' && !created) continue;
          if (changeType === 'updated' && created) continue;
          items.push({ kind: 'message', id: m.id });
        }
      }
      if (changeType === undefined || changeType === 'deleted') {
        for (const t of folder.tombstones) {
          if (t.removedSeq > s && t.addedSeq <= s)
            items.push({ kind: 'removed', id: t.id, reason: t.reason });
        }
      }
    }
    this.roundCounter += 1;
    return {
      id: `r${this.roundCounter}`,
      folderId: folder.id,
      epoch,
      upToSeq: this.store.seq,
      items,
      select,
      filter,
      changeType,
    };
  }

  private skipToken(round: Round, offset: number): string {
    if (!this.rounds.has(round.id)) {
      this.rounds.set(round.id, round);
      if (this.rounds.size > MAX_ROUNDS) {
        const oldest = this.rounds.keys().next().value;
        if (oldest !== undefined) this.rounds.delete(oldest);
      }
    }
    return Buffer.from(`${round.id}:${offset}:${round.folderId.slice(-12)}`).toString('base64url');
  }

  private parseSkip(token: string): [Round, number] | undefined {
    const [id, offset] = Buffer.from(token, 'base64url').toString('utf8').split(':');
    const round = id ? this.rounds.get(id) : undefined;
    const n = Number(offset);
    if (!round || !Number.isInteger(n) || n < 0) return undefined;
    return [round, n];
  }
}

/**
 * The one $filter message delta supports: `receivedDateTime ge|gt <ISO date>`. Returns a
 * predicate, or undefined when the filter is anything else.
 */
export function sinceOf(filter: string): ((received: string) => boolean) | undefined {
  const m = /^\s*receivedDateTime\s+(ge|gt)\s+(\d{4}-\d{2}-\d{2}T[\d:.]+Z?)\s*$/i.exec(filter);
  if (!m?.[1] || !m[2]) return undefined;
  const t = Date.parse(m[2].endsWith('Z') ? m[2] : `${m[2]}Z`);
  if (Number.isNaN(t)) return undefined;
  return m[1].toLowerCase() === 'ge' ? (r) => Date.parse(r) >= t : (r) => Date.parse(r) > t;
}

function gone(code: string, message: string): DeltaResult {
  return { ok: false, status: 410, code, message };
}

function encode(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

function decode<T>(token: string): T | undefined {
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
