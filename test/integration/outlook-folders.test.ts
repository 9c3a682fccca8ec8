import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerForAccount } from '../../src/accounts/account-provider.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { type AppContext, createContext } from '../../src/lib/context.ts';
import { createLogger } from '../../src/lib/logger.ts';
import type { FakeGraphFolderSpec, FakeGraphMessageSpec } from '../fakes/graph/types.ts';
import { connectOutlook, type OutlookTestEnv, startOutlookEnv } from '../support/outlook-env.ts';

const NOW = new Date('2026-11-20T10:00:00Z');
const OWNER = 'ada@contoso.example';

/** More top-level folders than one listing page holds (100), so the listing pages on. */
const MANY = Array.from({ length: 105 }, (_, i) => `Topic ${String(i).padStart(3, '0')}`);
const FOLDERS: FakeGraphFolderSpec[] = [
  { displayName: 'Projects', parent: 'inbox' },
  { displayName: 'Projects 2024', parent: 'Projects' },
  { displayName: 'Old stuff', parent: 'deleteditems' },
  { displayName: 'Binned 2023', parent: 'Old stuff' },
  { displayName: 'Sent archive', parent: 'sentitems' },
  ...MANY.map((displayName) => ({ displayName })),
];

function message(folder: string, n: number, fromMe = false): FakeGraphMessageSpec {
  const me = { emailAddress: { name: 'Ada', address: OWNER } };
  const them = { emailAddress: { name: 'Bob', address: `bob${n}@example.org` } };
  return {
    folder,
    internetMessageId: `<m${n}@example.org>`,
    subject: `Message ${n}`,
    from: fromMe ? me : them,
    toRecipients: [fromMe ? them : me],
    sentDateTime: '2026-10-01T09:00:00Z',
    receivedDateTime: '2026-10-01T09:00:00Z',
  };
}

/**
 * Folder discovery asks Graph in JSON batches of four, level by level (decision 0007): the
 * top-level listing beside the first well-known names, then each level's subfolders. It must find
 * every folder that holds mail however deep or however many, and never descend into a skipped one.
 */
describe('Outlook folder discovery', () => {
  let env: OutlookTestEnv;
  let ctx: AppContext;

  beforeAll(async () => {
    env = await startOutlookEnv({
      graph: {
        email: OWNER,
        folders: FOLDERS,
        messages: [
          message('inbox', 1),
          message('Projects', 2),
          message('Projects 2024', 3),
          message('Old stuff', 4),
          message('Binned 2023', 5),
          message('junkemail', 6),
          message('sentitems', 7, true),
          message('Sent archive', 8, true),
          message('Topic 104', 9),
        ],
      },
    });
    ctx = createContext(env.config, { log: createLogger('silent'), clock: fixedClock(NOW) });
  });
  afterAll(async () => {
    await ctx.close();
    await env.close();
  });

  it('finds every folder with mail at any depth and on any listing page, and none under the bin', async () => {
    const { account } = await connectOutlook(ctx);
    const before = { ...env.graph.stats, byRoute: { ...env.graph.stats.byRoute } };
    const provider = providerForAccount(ctx, account);
    const { state, total } = await provider.beginBackfill(new Date('2026-01-01T00:00:00Z'));

    const names = new Map(
      ['inbox', 'Projects', 'Projects 2024', 'sentitems', 'Sent archive', ...MANY].map((name) => [
        env.graph.folderId(name),
        name,
      ]),
    );
    const folders = (state as unknown as { folders: { id: string; label: string; sent: boolean }[] }).folders;
    const found = folders.map((f) => ({ name: names.get(f.id), label: f.label, sent: f.sent }));
    expect(found).toEqual(
      expect.arrayContaining([
        { name: 'inbox', label: 'folder', sent: false },
        { name: 'Projects', label: 'folder', sent: false },
        { name: 'Projects 2024', label: 'folder', sent: false },
        { name: 'sentitems', label: 'sentitems', sent: true },
        { name: 'Sent archive', label: 'folder', sent: true },
        { name: 'Topic 104', label: 'folder', sent: false },
      ]),
    );
    // Only folders that hold mail, and nothing from the bin or the junk folder.
    expect(found).toHaveLength(6);
    expect(total).toBe(6);

    const asked = (route: string) => (env.graph.stats.byRoute[route] ?? 0) - (before.byRoute[route] ?? 0);
    // Listings: the top level (2 pages), the inbox's, Projects' and Sent Items' subfolders. None
    // of the bin's: it was known to be the bin before its level was listed.
    expect(asked('mailFolders.list')).toBe(5);
    expect(asked('mailFolders.get')).toBe(6);
    // Rounds of four asks: the 2 listing pages, 3 levels of subfolders and 6 names fit in 4 batches.
    expect(env.graph.stats.requests - before.requests).toBeLessThanOrEqual(4);
    expect(asked('messages.delta')).toBe(0);
  });
});
