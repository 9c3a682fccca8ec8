import { ownAddresses } from '../accounts/account-store.ts';
import { forgetOwnAddresses } from '../contacts/contact-store.ts';
import { refreshDirtyContacts } from '../contacts/refresh-dirty-contacts.ts';
import type { Clock } from '../lib/clock.ts';
import { DAY_MS } from '../lib/clock.ts';
import { ProviderError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { AccountStatus, Prisma, type PrismaClient } from '../lib/prisma.ts';
import { canonicalAddress } from '../mail/canonical-address.ts';
import { parseAddressList } from '../mail/parse-addresses.ts';
import type {
  BackfillPage,
  BackfillState,
  MailProvider,
  MessageMeta,
  SyncCursor,
} from '../providers/types.ts';
import { backfillTotalAfter } from './backfill-progress.ts';
import { isContactRefreshDue } from './contact-refresh-policy.ts';
import { judgeAgainAsOwn, storeInteractions } from './store-interactions.ts';
import { StorePipeline } from './store-pipeline.ts';

export interface SyncDeps {
  prisma: PrismaClient;
  provider: MailProvider;
  log: Logger;
  clock: Clock;
  backfillDays: number;
  groupSizeLimit: number;
  /**
   * Told of every page's messages before its progress is saved, so replies to a digest found in
   * the user's Sent mail become command jobs (a crash re-finds them; commands apply once).
   */
  onMessages?: (messages: MessageMeta[]) => Promise<void>;
  /** Told after each backfill page: for `touchbase sync --wait` and `touchbase accounts`. */
  onProgress?: (progress: SyncProgress) => Promise<void>;
  /**
   * How much backfill one run may do before it stops and asks for a next run (a chunk); without
   * it, a run goes to the end. Memory stays flat either way: one page at a time.
   */
  chunk?: { maxPages: number; maxMs: number };
}

export interface SyncProgress {
  phase: 'backfill' | 'changes';
  listed: number;
  total: number | null;
  stored: number;
}

/** A run that has done nothing yet; `chunks` is the account's chunk count so far. */
export function emptySyncResult(chunks = 0): SyncResult {
  return {
    backfillPages: 0,
    changePages: 0,
    fetched: 0,
    stored: 0,
    contactsTouched: 0,
    resynced: false,
    continues: false,
    chunks,
  };
}

export interface SyncResult {
  skipped?: string;
  backfillPages: number;
  changePages: number;
  fetched: number;
  stored: number;
  contactsTouched: number;
  resynced: boolean;
  /** The backfill stopped at its chunk budget and goes on in a next run. */
  continues: boolean;
  /** Backfill chunks done for this account, ever (MailAccount.backfillChunks): names the next one. */
  chunks: number;
}

/**
 * One sync run for one account: go on with (or start) the backfill, page by page with its
 * progress saved after each page, up to the chunk budget (then `continues`: a next run goes on);
 * once the backfill is done, catch up through the provider's change feed. Every page is stored
 * idempotently, so a run killed at any point resumes without losing or double-counting mail.
 */
export async function syncAccount(deps: SyncDeps, accountId: string): Promise<SyncResult> {
  const { prisma, provider, log } = deps;
  const result = emptySyncResult();
  const started = performance.now();
  let account = await prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
  result.chunks = account.backfillChunks;
  if (account.status !== AccountStatus.ACTIVE) {
    return { ...result, skipped: `account is ${account.status}` };
  }
  let own = await ownAddresses(prisma, account.userId);
  await forgetOwnAddresses(prisma, account.userId, own);
  const refresh = async () => {
    result.contactsTouched += await refreshDirtyContacts(prisma, account.userId, {
      groupSizeLimit: deps.groupSizeLimit,
      own,
    });
  };
  // A recompute the policy asked for at this chunk's start, running beside its fetching and
  // storing (the dirty marks' seq keeps the two apart: docs/decisions/0010, 0011); `listed` is
  // what it covers, `at` when it began.
  let recomputing: { done: Promise<void>; listed: number; at: Date } | null = null;
  // Pages are stored one behind the other (docs/decisions/0018): a page's statements go out while
  // the page before is still being stored, and each page's follow-up (its replies to digests, its
  // progress) runs once it is stored, in page order.
  const pipeline = new StorePipeline<{ inserted: number }>();
  // A backfill page only stores (its addresses are marked dirty); its contacts are recomputed
  // in batches when the chunk's policy says so. A change page is small: recomputed at once.
  const store = async (messages: MessageMeta[], phase: 'backfill' | 'changes', then: () => Promise<void>) => {
    // Every From of the mailbox's own Sent mail is the user: an alias even where the provider
    // does not list aliases (a headers-only grant, another client's send-as).
    const aliases = newAliases(messages, own);
    if (aliases.length > 0) {
      // The page in flight was judged by the old own addresses, and a recompute still running
      // knows them: both end before they change, so judging again reaches that page's rows.
      await pipeline.drain();
      await recomputing?.done;
      const updated = await prisma.mailAccount.update({
        where: { id: accountId },
        data: { aliases: { push: aliases } },
      });
      own = await ownAddresses(prisma, updated.userId);
      await forgetOwnAddresses(prisma, updated.userId, own);
      const judgedAgain = await judgeAgainAsOwn(prisma, updated.userId, own);
      log.info(
        { event: 'sync.aliases', accountId, added: aliases.length, judgedAgain },
        'new own addresses found in sent mail',
      );
    }
    const stored = storeInteractions(prisma, { userId: account.userId, accountId }, messages, own);
    await pipeline.push(stored, async ({ inserted }) => {
      // Also picks up what a killed backfill or change run stored but never recomputed.
      if (phase === 'changes') await refresh();
      if (messages.length > 0) await deps.onMessages?.(messages);
      result.fetched += messages.length;
      result.stored += inserted;
      await then();
    });
  };

  if (!account.syncCursor) {
    account = await startBackfill(deps, accountId);
  }

  try {
    for (;;) {
      if (account.backfillState) {
        const now = deps.clock.now();
        // A backfill begun before the time was recorded counts its last recompute as long ago.
        const sinceLastMs = account.backfillRefreshedAt
          ? now.getTime() - account.backfillRefreshedAt.getTime()
          : Number.POSITIVE_INFINITY;
        if (
          account.backfillRefreshedListed > 0 &&
          isContactRefreshDue(account.backfillListed, account.backfillRefreshedListed, sinceLastMs)
        ) {
          recomputing = { done: refresh(), listed: account.backfillListed, at: now };
          recomputing.done.catch(() => {}); // awaited below; never reported as unhandled
        }
        // The next page is fetched while this one is stored (one ahead, and only within the chunk,
        // so a chunk never spends quota on a page it does not keep): the provider's quota and
        // latency, not the database, set the pace. With the page before still being stored, a
        // worker killed mid-chunk reads again at most three pages, never one whose progress was
        // saved. Whether a page is the chunk's last is decided when it is asked for, so a provider
        // that reads ahead hands over all it read.
        const isLast = (pages: number) =>
          deps.chunk !== undefined &&
          (pages >= deps.chunk.maxPages || performance.now() - started >= deps.chunk.maxMs);
        let last = isLast(1);
        let next = prefetch(provider, account.backfillState as BackfillState, last);
        for (let pages = 1; ; pages++) {
          const page = await next.page;
          const chunkEnds = page.done || last;
          if (!chunkEnds) {
            last = isLast(pages + 1);
            next = prefetch(provider, page.state, last);
          }
          // What follows a page once it is stored: the chunk's recompute where it ends, and the
          // page's progress.
          await store(page.messages, 'backfill', async () => {
            // The first chunk recomputes before it ends (people show up within a minute), and so
            // does the last; the ones between, when due, run beside the next chunk (above).
            let refreshed: { listed: number; at: Date } | undefined;
            if (chunkEnds && recomputing) {
              await recomputing.done;
              refreshed = recomputing;
              recomputing = null;
            }
            if (page.done || (chunkEnds && account.backfillRefreshedListed === 0)) {
              const at = deps.clock.now();
              await refresh();
              refreshed = { listed: page.listed, at };
            }
            const saved = await prisma.mailAccount.update({
              where: { id: accountId },
              data: {
                // The provider's estimate, once a page gives it; what was listed, once done.
                backfillTotal: backfillTotalAfter(account.backfillTotal, page),
                ...(page.done
                  ? {
                      backfillState: Prisma.DbNull,
                      backfillDoneAt: deps.clock.now(),
                      // A provider whose change cursor comes out of the backfill itself (Graph's
                      // deltaLinks) hands it over with the last page.
                      ...(page.cursor ? { syncCursor: page.cursor as Prisma.InputJsonValue } : {}),
                    }
                  : { backfillState: page.state as Prisma.InputJsonValue }),
                backfillListed: page.listed,
                ...(refreshed
                  ? { backfillRefreshedListed: refreshed.listed, backfillRefreshedAt: refreshed.at }
                  : {}),
                // Counted with the page that ends the chunk, so a chunk is either done or not.
                ...(chunkEnds ? { backfillChunks: { increment: 1 } } : {}),
              },
            });
            result.chunks = saved.backfillChunks;
            account = saved;
            await deps.onProgress?.({
              phase: 'backfill',
              listed: page.listed,
              total: saved.backfillTotal,
              stored: result.stored,
            });
            result.backfillPages++;
            log.debug(
              { event: 'sync.page', accountId, kind: 'backfill', messages: page.messages.length },
              'backfill page',
            );
          });
          if (!chunkEnds) continue;
          await pipeline.drain();
          if (page.done) break;
          result.continues = true;
          return result;
        }
      }
      try {
        let cursor = (await prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } }))
          .syncCursor as SyncCursor;
        for (;;) {
          const page = await provider.changes(cursor);
          await store(page.messages, 'changes', async () => {});
          await pipeline.drain();
          cursor = page.cursor;
          await prisma.mailAccount.update({
            where: { id: accountId },
            data: { syncCursor: cursor as Prisma.InputJsonValue },
          });
          result.changePages++;
          if (!page.more) break;
        }
        break;
      } catch (error) {
        // The change feed forgot our cursor: resync from scratch. Rows already stored stay; the
        // idempotent store skips them, so nothing is counted twice.
        if (!(error instanceof ProviderError && error.code === 'CURSOR_INVALID') || result.resynced)
          throw error;
        log.warn({ event: 'sync.resync', accountId }, 'change cursor expired; resyncing');
        result.resynced = true;
        account = await startBackfill(deps, accountId);
      }
    }
  } finally {
    // A run that fails keeps the page it stored (its progress saved) and leaves no store or
    // recompute running behind it (its error, if any, is the run's).
    await pipeline.close();
    await recomputing?.done.catch(() => {});
  }

  await prisma.mailAccount.update({
    where: { id: accountId },
    data: { lastSyncedAt: deps.clock.now(), lastSyncError: null },
  });
  return result;
}

/**
 * Starts reading a backfill page. A failure is kept for whoever awaits `page` (and never reported
 * as unhandled if nobody does: a run that failed storing the page before drops this one).
 */
function prefetch(
  provider: MailProvider,
  state: BackfillState,
  last: boolean,
): { page: Promise<BackfillPage> } {
  const page = provider.backfillPage(state, { last });
  page.catch(() => {});
  return { page };
}

async function startBackfill(deps: SyncDeps, accountId: string) {
  const since = new Date(deps.clock.now().getTime() - deps.backfillDays * DAY_MS);
  const { state, cursor, total } = await deps.provider.beginBackfill(since);
  return deps.prisma.mailAccount.update({
    where: { id: accountId },
    data: {
      backfillState: state as Prisma.InputJsonValue,
      syncCursor: cursor as Prisma.InputJsonValue,
      backfillListed: 0,
      backfillRefreshedListed: 0,
      backfillRefreshedAt: null,
      backfillTotal: total,
      backfillStartedAt: deps.clock.now(),
      // A resync is a backfill again: `touchbase accounts` shows its progress, not the old one.
      backfillDoneAt: null,
    },
  });
}

function newAliases(messages: readonly MessageMeta[], own: ReadonlySet<string>): string[] {
  const found = new Set<string>();
  for (const message of messages) {
    if (message.direction !== 'sent') continue;
    const from = parseAddressList(message.from)[0]?.address;
    if (from && !own.has(from) && !own.has(canonicalAddress(from))) found.add(from);
  }
  return [...found];
}
