import { ProviderError } from '../../lib/errors.ts';
import type { GraphCall } from './graph-call.ts';

/** Well-known folders whose mail is nobody's exchange: spam, bin, unsent, Teams/Skype history. */
export const SKIPPED_FOLDERS = [
  'junkemail',
  'deleteditems',
  'drafts',
  'conversationhistory',
  'outbox',
] as const;
/** The well-known folders touchbase needs the ids of: the skipped ones, and Sent Items. */
export const KNOWN_FOLDERS = ['sentitems', ...SKIPPED_FOLDERS] as const;
export type KnownFolders = Partial<Record<(typeof KNOWN_FOLDERS)[number], string>>;

/** A folder that holds real mail, as the sync sees it. */
export interface SyncFolder {
  id: string;
  /** The well-known name ("inbox", "sentitems", "archive") or "folder". */
  label: string;
  /** Sent Items and its subfolders: the user's own mail. */
  sent: boolean;
  /** Messages in it when listed; an empty folder costs no request until it has some. */
  total: number;
}

interface GraphFolder {
  id: string;
  childFolderCount?: number;
  totalItemCount?: number;
}

const FOLDER_SELECT = 'id,childFolderCount,totalItemCount';
/**
 * Graph hands a batch's items to Outlook four at a time: a batch of four costs one round trip,
 * and a fifth item a second one. Discovery asks four things a round.
 */
const ROUND_ITEMS = 4;

/** One thing discovery asks Graph: a well-known folder's id, or one page of a folder listing. */
type Ask =
  | { kind: 'known'; name: (typeof KNOWN_FOLDERS)[number] }
  | { kind: 'list'; url: string; parent: string | null };

interface BatchAnswer {
  id: string;
  status: number;
  body?: { id?: string; value?: GraphFolder[]; '@odata.nextLink'?: string };
}

/**
 * Every folder that holds real mail (top-level folders and their children, recursively), and the
 * ids of the well-known folders (`known`: what the caller kept from before, looked up otherwise:
 * v1.0 folders carry no wellKnownName, so asking for each by name is the documented way).
 *
 * One JSON $batch of at most four asks per round: the top-level listing and the first well-known
 * names, then each level's child listings with the names left. A mailbox of one level of
 * subfolders takes two round trips, where asking one thing at a time took four.
 */
export async function discoverFolders(
  call: GraphCall,
  kept: KnownFolders = {},
): Promise<{ known: KnownFolders; folders: SyncFolder[] }> {
  const known: KnownFolders = { ...kept };
  const pending: Ask[] = [
    { kind: 'list', url: listingUrl('/me/mailFolders'), parent: null },
    ...KNOWN_FOLDERS.filter((name) => !known[name]).map((name) => ({ kind: 'known' as const, name })),
  ];
  const found: (GraphFolder & { parent: string | null })[] = [];
  while (pending.length > 0) {
    // Listings first: the next level depends on them, the names on nothing.
    pending.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'list' ? -1 : 1));
    const round = pending.splice(0, ROUND_ITEMS);
    const answers = await askAll(call, round);
    // Names first, so that a listing of the same round does not descend into a skipped folder.
    round.forEach((ask, index) => {
      const id = answers[index]?.body?.id;
      if (ask.kind === 'known' && id) known[ask.name] = id;
    });
    const skipped = new Set(SKIPPED_FOLDERS.map((name) => known[name]));
    round.forEach((ask, index) => {
      const answer = answers[index];
      if (ask.kind !== 'list' || !answer) return;
      for (const folder of answer.body?.value ?? []) {
        found.push({ ...folder, parent: ask.parent });
        if ((folder.childFolderCount ?? 0) > 0 && !skipped.has(folder.id)) {
          const path = `/me/mailFolders/${encodeURIComponent(folder.id)}/childFolders`;
          pending.push({ kind: 'list', url: listingUrl(path), parent: folder.id });
        }
      }
      const next = answer.body?.['@odata.nextLink'];
      if (next) pending.push({ kind: 'list', url: relativeUrl(next), parent: ask.parent });
    });
  }
  if (!known.sentitems) {
    throw new ProviderError(
      'UNKNOWN',
      'Outlook did not name the Sent Items folder; try the sync again later',
    );
  }
  return { known, folders: syncFolders(found, known) };
}

/**
 * The folders that hold real mail: not a skipped one nor anything under it (a child of Deleted
 * Items was listed before its parent was known to be the bin). Sent Items and its subfolders are
 * the user's own mail.
 */
function syncFolders(found: (GraphFolder & { parent: string | null })[], known: KnownFolders): SyncFolder[] {
  const skipped = new Set(SKIPPED_FOLDERS.map((name) => known[name]).filter(Boolean));
  const labels = new Map(Object.entries(known).map(([name, id]) => [id, name]));
  const parents = new Map(found.map((f) => [f.id, f.parent]));
  const lineage = (id: string): string[] => {
    const line: string[] = [];
    for (let at: string | null | undefined = id; at && !line.includes(at); at = parents.get(at))
      line.push(at);
    return line;
  };
  return found
    .filter((folder) => !lineage(folder.id).some((id) => skipped.has(id)))
    .map((folder) => ({
      id: folder.id,
      label: labels.get(folder.id) ?? 'folder',
      sent: lineage(folder.id).includes(known.sentitems ?? ''),
      total: folder.totalItemCount ?? 0,
    }));
}

/**
 * One $batch for the round; an item that failed (throttled, a 5xx) is asked again on its own,
 * through the call's retries. A well-known folder the mailbox lacks (no Conversation History on a
 * consumer account) or a folder deleted since it was listed answers null: nothing to read.
 */
async function askAll(call: GraphCall, asks: Ask[]): Promise<(BatchAnswer | null)[]> {
  const requests = asks.map((ask, index) => ({
    id: String(index),
    method: 'GET',
    url: ask.kind === 'known' ? `/me/mailFolders/${ask.name}?$select=id` : ask.url,
  }));
  const answer = await call<{ responses?: BatchAnswer[] }>(
    asks.some((a) => a.kind === 'list') ? 'mailFolders.list (batch)' : 'mailFolders.get (batch)',
    (client) => client.api('/$batch'),
    { post: { requests }, units: requests.length },
  );
  const byId = new Map((answer.responses ?? []).map((r) => [r.id, r]));
  return Promise.all(
    requests.map(async (request, index): Promise<BatchAnswer | null> => {
      const response = byId.get(request.id);
      if (response?.status === 200) return response;
      if (response?.status === 404) return null;
      const what = asks[index]?.kind === 'known' ? 'mailFolders.get' : 'mailFolders.list';
      const body = await call<BatchAnswer['body']>(what, (client) => client.api(request.url)).catch(
        (error: unknown) => {
          if (error instanceof ProviderError && error.code === 'NOT_FOUND') return null;
          throw error;
        },
      );
      return body ? { id: request.id, status: 200, body } : null;
    }),
  );
}

function listingUrl(path: string): string {
  return `${path}?$top=100&$select=${FOLDER_SELECT}`;
}

/** A nextLink as a batch item's url: relative to the version root. */
function relativeUrl(link: string): string {
  const url = new URL(link);
  return `${url.pathname.replace(/^\/v1\.0/, '')}${url.search}`;
}
