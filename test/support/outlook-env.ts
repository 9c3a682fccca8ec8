import type { AppContext } from '../../src/lib/context.ts';
import { connectAccount } from '../../src/oauth/connect-account.ts';
import type { FakeGmailMessage } from '../fakes/gmail/fake-gmail.ts';
import { type FakeGraph, type FakeGraphOptions, startFakeGraph } from '../fakes/graph/fake-graph.ts';
import { actLikeBrowser } from './act-like-browser.ts';
import { startTestEnv, type TestEnv } from './test-env.ts';

export const GRAPH_CLIENT = { id: 'touchbase-graph-test', secret: 'graph-test-secret' } as const;

export interface OutlookTestEnv extends TestEnv {
  graph: FakeGraph;
}

/**
 * The test env (database, queue prefix, outbox, fake Gmail) plus a fake Microsoft identity +
 * Graph server, with the MICROSOFT_* and GRAPH_API_URL settings pointing at it.
 */
export async function startOutlookEnv(options: {
  graph: Omit<FakeGraphOptions, 'clientId' | 'clientSecret'>;
  gmailOwner?: string;
  gmailMessages?: FakeGmailMessage[];
  settings?: Record<string, string>;
  /** A desktop (public) app registration: no client secret, PKCE alone. */
  publicClient?: boolean;
}): Promise<OutlookTestEnv> {
  const graph = await startFakeGraph({
    ...options.graph,
    clientId: GRAPH_CLIENT.id,
    ...(options.publicClient ? {} : { clientSecret: GRAPH_CLIENT.secret }),
  });
  const env = await startTestEnv({
    owner: options.gmailOwner ?? 'nobody@gmail.example',
    messages: options.gmailMessages ?? [],
    settings: {
      MICROSOFT_CLIENT_ID: GRAPH_CLIENT.id,
      MICROSOFT_CLIENT_SECRET: options.publicClient ? '' : GRAPH_CLIENT.secret,
      MICROSOFT_AUTHORITY_URL: graph.authorityUrl,
      MICROSOFT_TENANT: graph.tenant,
      GRAPH_API_URL: graph.graphUrl,
      ...options.settings,
    },
  });
  return {
    ...env,
    graph,
    async close() {
      await env.close();
      await graph.close();
    },
  };
}

/** Connects the fake Outlook mailbox through the real OAuth flow (the browser simulated). */
export async function connectOutlook(ctx: AppContext, userEmail?: string) {
  return connectAccount(ctx, 'outlook', {
    userEmail,
    onAuthorizeUrl: (url) => actLikeBrowser(url).then(() => undefined),
  });
}
