import { Client, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import type { FakeGraph } from './fake-graph.ts';
import type { FakeGraphMessageSpec } from './types.ts';

/**
 * The real Graph client pointed at the fake. `customHosts` matters: without the fake's host
 * there, the SDK sends no bearer token to a non-Graph host.
 */
export function fakeGraphClient(fake: FakeGraph, token: string): Client {
  return Client.init({
    baseUrl: fake.graphUrl,
    customHosts: new Set([fake.graphHost]),
    authProvider: (done) => done(null, token),
  });
}

/** Per-request middleware options that turn off the SDK's retries, to see the first error. */
export const noRetry = () => [new RetryHandlerOptions(0, 0)];

/**
 * A small numbered message for the fake's own tests: hour `i` of 2025, from/to one of seven
 * people; received mail has a Message-ID header, Sent Items none.
 */
export function numberedMessage(
  i: number,
  folder: string,
  owner: string,
  extra: Partial<FakeGraphMessageSpec> = {},
): FakeGraphMessageSpec {
  const at = new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const them = { emailAddress: { name: `Person ${i % 7}`, address: `p${i % 7}@fabrikam.example` } };
  const me = { emailAddress: { name: 'Ada Lovelace', address: owner } };
  const sent = folder === 'sentitems';
  return {
    folder,
    internetMessageId: `<m${i}@${sent ? 'contoso' : 'fabrikam'}.example>`,
    subject: `Topic ${i % 11}`,
    from: sent ? me : them,
    toRecipients: [sent ? them : me],
    sentDateTime: at,
    receivedDateTime: at,
    body: `Body of message ${i}`,
    ...(sent ? {} : { internetMessageHeaders: [{ name: 'Message-ID', value: `<m${i}@fabrikam.example>` }] }),
    ...extra,
  };
}
