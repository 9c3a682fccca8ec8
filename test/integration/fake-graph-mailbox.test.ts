import { Client } from '@microsoft/microsoft-graph-client';
import { describe, expect, it } from 'vitest';
import { startFakeGraph } from '../fakes/graph/fake-graph.ts';
import { generateMailbox } from '../fakes/graph/mailbox-generator.ts';
import { signInToFake } from '../fakes/graph/sign-in.ts';

const owner = { name: 'Ada Lovelace', email: 'ada@contoso.example' };
const now = Date.UTC(2026, 10, 1);

describe('fake Graph mailbox generator', () => {
  it('is deterministic, exact in size, and spreads mail over every kind of folder', () => {
    const a = generateMailbox({ owner, count: 3000, seed: 9, now });
    const b = generateMailbox({ owner, count: 3000, seed: 9, now });
    const c = generateMailbox({ owner, count: 3000, seed: 10, now });
    expect(a.messages).toHaveLength(3000);
    expect(JSON.stringify(a.messages)).toBe(JSON.stringify(b.messages));
    expect(JSON.stringify(a.messages)).not.toBe(JSON.stringify(c.messages));
    expect(Object.keys(a.byFolder).sort()).toEqual(
      [
        'Family',
        'Projects',
        'Receipts',
        'archive',
        'conversationhistory',
        'deleteditems',
        'drafts',
        'inbox',
        'junkemail',
        'sentitems',
      ].sort(),
    );
    expect(new Set(a.messages.map((m) => m.internetMessageId)).size).toBe(3000);
    expect(a.messages.every((m) => Date.parse(m.receivedDateTime) <= now)).toBe(true);
    // Sent Items carry no transport headers; received mail does.
    expect(
      a.messages.filter((m) => m.folder === 'sentitems').every((m) => m.internetMessageHeaders === undefined),
    ).toBe(true);
    expect(
      a.messages
        .filter((m) => m.folder === 'inbox')
        .every((m) => (m.internetMessageHeaders?.length ?? 0) > 0),
    ).toBe(true);
  });

  it('writes two-way conversations with a few frequent people and a long tail', () => {
    const { messages, people } = generateMailbox({ owner, count: 4000, seed: 2, now });
    const perPerson = new Map<string, { sent: number; received: number }>();
    for (const m of messages) {
      const fromMe = m.from?.emailAddress.address === owner.email;
      const other = fromMe ? m.toRecipients[0]?.emailAddress.address : m.from?.emailAddress.address;
      if (!other || !people.some((p) => p.email === other)) continue;
      const e = perPerson.get(other) ?? { sent: 0, received: 0 };
      if (fromMe) e.sent += 1;
      else e.received += 1;
      perPerson.set(other, e);
    }
    const counts = [...perPerson.values()].map((e) => e.sent + e.received).sort((x, y) => y - x);
    expect(counts[0]).toBeGreaterThan(5 * (counts[Math.floor(counts.length / 2)] ?? 1));
    const top = people[0]?.email ?? '';
    const twoWay = [...perPerson.values()].filter((e) => e.sent > 0 && e.received > 0).length;
    expect(twoWay).toBeGreaterThan(perPerson.size / 3);
    expect(top).toContain('@');
    // conversations share a conversationId and their replies say RE:
    const byConv = new Map<string, string[]>();
    for (const m of messages)
      if (m.conversationId)
        byConv.set(m.conversationId, [...(byConv.get(m.conversationId) ?? []), m.subject]);
    const long = [...byConv.values()].find((s) => s.length >= 3) ?? [];
    expect(long.slice(1).every((s) => s.startsWith('RE: '))).toBe(true);
  });

  it('loads into the fake and pages each folder with 1,000-message pages', async () => {
    const mailbox = generateMailbox({ owner, count: 5000, seed: 4, now });
    const fake = await startFakeGraph({ email: owner.email, clientId: 'gen', ...mailbox });
    try {
      const { access_token } = await signInToFake(fake, {
        clientId: 'gen',
        scopes: ['User.Read', 'Mail.ReadBasic'],
      });
      const client = Client.init({
        baseUrl: fake.graphUrl,
        customHosts: new Set([fake.graphHost]),
        authProvider: (done) => done(null, access_token),
      });
      for (const folder of ['Projects', 'sentitems']) {
        let link: string | undefined =
          `/me/mailFolders/${fake.folderId(folder)}/messages/delta?$select=internetMessageId`;
        let seen = 0;
        while (link) {
          const page = (await client.api(link).header('Prefer', 'odata.maxpagesize=1000').get()) as {
            value: unknown[];
            '@odata.nextLink'?: string;
          };
          seen += page.value.length;
          link = page['@odata.nextLink'];
        }
        expect(seen).toBe(mailbox.byFolder[folder]);
      }
      expect(fake.stats.pagesServed).toBe(
        Math.ceil((mailbox.byFolder.Projects ?? 0) / 1000) +
          Math.ceil((mailbox.byFolder.sentitems ?? 0) / 1000),
      );
    } finally {
      await fake.close();
    }
  });
});
