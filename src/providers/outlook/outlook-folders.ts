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

interface GraphPage<T> {
  value?: T[];
  '@odata.nextLink'?: string;
}

const FOLDER_SELECT = 'id,childFolderCount,totalItemCount';

/**
 * The ids of the well-known folders, in one $batch (v1.0 folders carry no wellKnownName: asking
 * for each by name is the documented way). Ids never change, so the caller keeps them.
 */
export async function lookUpKnownFolders(call: GraphCall): Promise<KnownFolders> {
  const requests = KNOWN_FOLDERS.map((name, index) => ({
    id: String(index),
    method: 'GET',
    url: `/me/mailFolders/${name}?$select=id`,
  }));
  const answer = await call<{ responses?: { id: string; status: number; body?: { id?: string } }[] }>(
    'mailFolders.get (batch)',
    (client) => client.api('/$batch'),
    { post: { requests }, units: requests.length },
  );
  const known: KnownFolders = {};
  const again: (typeof KNOWN_FOLDERS)[number][] = [];
  for (const response of answer.responses ?? []) {
    const name = KNOWN_FOLDERS[Number(response.id)];
    if (!name) continue;
    if (response.status === 200 && response.body?.id) known[name] = response.body.id;
    // A mailbox without one of them (no Conversation History on a consumer account): nothing to
    // skip. Anything else (a throttled or failed item) is asked again on its own, within the budget.
    else if (response.status !== 404) again.push(name);
  }
  for (const name of again) {
    const folder = await call<{ id?: string }>('mailFolders.get', (client) =>
      client.api(`/me/mailFolders/${name}`).select('id'),
    ).catch((error: unknown) => {
      if (error instanceof ProviderError && error.code === 'NOT_FOUND') return { id: undefined };
      throw error;
    });
    if (folder.id) known[name] = folder.id;
  }
  if (!known.sentitems) {
    throw new ProviderError(
      'UNKNOWN',
      'Outlook did not name the Sent Items folder; try the sync again later',
    );
  }
  return known;
}

/** Every folder that holds real mail: top-level folders and their children, recursively. */
export async function listSyncFolders(call: GraphCall, known: KnownFolders): Promise<SyncFolder[]> {
  const skipped = new Set(SKIPPED_FOLDERS.map((name) => known[name]).filter(Boolean));
  const labels = new Map(Object.entries(known).map(([name, id]) => [id, name]));
  const found: SyncFolder[] = [];
  const visit = async (path: string, sentParent: boolean) => {
    for (const folder of await listAll(call, path)) {
      if (skipped.has(folder.id)) continue;
      const sent = sentParent || folder.id === known.sentitems;
      found.push({
        id: folder.id,
        label: labels.get(folder.id) ?? 'folder',
        sent,
        total: folder.totalItemCount ?? 0,
      });
      if ((folder.childFolderCount ?? 0) > 0) {
        await visit(`/me/mailFolders/${encodeURIComponent(folder.id)}/childFolders`, sent);
      }
    }
  };
  await visit('/me/mailFolders', false);
  return found;
}

async function listAll(call: GraphCall, path: string): Promise<GraphFolder[]> {
  const folders: GraphFolder[] = [];
  let next: string | undefined = `${path}?$top=100&$select=${FOLDER_SELECT}`;
  while (next) {
    const url: string = next;
    const page: GraphPage<GraphFolder> = await call('mailFolders.list', (client) => client.api(url));
    folders.push(...(page.value ?? []));
    next = page['@odata.nextLink'];
  }
  return folders;
}
