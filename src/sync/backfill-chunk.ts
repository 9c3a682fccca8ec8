import type { Config } from '../config/config.ts';
import type { MailProvider } from '../providers/types.ts';

/**
 * How much backfill one sync job does before it hands over to the next (SyncDeps.chunk): at most
 * BACKFILL_CHUNK_SECONDS, and BACKFILL_CHUNK_PAGES pages where the provider's pages are paced by a
 * quota (MailProvider.chunkedBy). Every page's progress is saved whatever the chunk, so its size
 * bounds a job's length, not what a crash costs.
 */
export function backfillChunk(
  config: Pick<Config, 'BACKFILL_CHUNK_PAGES' | 'BACKFILL_CHUNK_SECONDS'>,
  provider: Pick<MailProvider, 'chunkedBy'>,
): { maxPages: number; maxMs: number } {
  return {
    maxPages: provider.chunkedBy === 'time' ? Number.POSITIVE_INFINITY : config.BACKFILL_CHUNK_PAGES,
    maxMs: config.BACKFILL_CHUNK_SECONDS * 1000,
  };
}
