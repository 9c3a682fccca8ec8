import { spawn } from 'node:child_process';
import { startFakeGmail } from '../fakes/gmail/fake-gmail.ts';
import { startFakeGraph } from '../fakes/graph/fake-graph.ts';
import { graphTlsEnv } from '../fakes/graph/tls.ts';
import { gmailToGraph } from '../fixtures/gmail-to-graph.ts';
import { SAMPLE_OWNER, type SampleMailbox } from '../fixtures/sample-mailbox.ts';
import { replyToDigest } from './demo-helpers.ts';

/** The sample mailbox served by a fake provider, and how the demo user answers a digest there. */
export interface DemoMailbox {
  provider: 'gmail' | 'outlook';
  label: string;
  /** The settings that point touchbase at the fake. */
  settings: Record<string, string>;
  reply(digestMessageId: string, body: string, now: Date): Promise<void>;
  close(): Promise<void>;
}

const CLIENT = { id: 'touchbase-demo', secret: 'demo-secret' };

export async function startDemoMailbox(provider: string, mailbox: SampleMailbox): Promise<DemoMailbox> {
  if (provider === 'gmail') {
    const fake = await startFakeGmail({
      email: SAMPLE_OWNER.email,
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      messages: mailbox.messages,
      sendAs: [
        { sendAsEmail: SAMPLE_OWNER.email, displayName: SAMPLE_OWNER.name, isPrimary: true },
        ...mailbox.expected.aliases.map((alias) => ({ sendAsEmail: alias, displayName: SAMPLE_OWNER.name })),
      ],
    });
    return {
      provider,
      label: 'Gmail',
      settings: {
        GOOGLE_CLIENT_ID: CLIENT.id,
        GOOGLE_CLIENT_SECRET: CLIENT.secret,
        GOOGLE_AUTH_URL: fake.authUrl,
        GOOGLE_TOKEN_URL: fake.tokenUrl,
        GMAIL_API_URL: fake.apiUrl,
      },
      reply: async (digestMessageId, body, now) => replyToDigest(fake, digestMessageId, body, now),
      close: () => fake.close(),
    };
  }
  if (provider === 'outlook') {
    const fake = await startFakeGraph({
      email: SAMPLE_OWNER.email,
      displayName: SAMPLE_OWNER.name,
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      messages: gmailToGraph(mailbox.messages),
    });
    const owner = { emailAddress: { name: SAMPLE_OWNER.name, address: SAMPLE_OWNER.email } };
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      provider,
      label: 'Outlook (Microsoft Graph)',
      settings: {
        MICROSOFT_CLIENT_ID: CLIENT.id,
        MICROSOFT_CLIENT_SECRET: CLIENT.secret,
        MICROSOFT_AUTHORITY_URL: fake.authorityUrl,
        MICROSOFT_TENANT: fake.tenant,
        GRAPH_API_URL: fake.graphUrl,
      },
      // The digest lands in the inbox; the answer from Outlook's Sent Items carries no
      // In-Reply-To: touchbase ties it to the digest by their shared conversation.
      async reply(digestMessageId, body, now) {
        fake.addMessage({
          folder: 'inbox',
          internetMessageId: digestMessageId,
          conversationId: 'demo-digest',
          subject: 'Your touchbase week',
          from: { emailAddress: { name: 'touchbase', address: 'digest@touchbase.localhost' } },
          toRecipients: [owner],
          sentDateTime: iso(now.getTime() + 30_000),
          receivedDateTime: iso(now.getTime() + 30_000),
        });
        fake.addMessage({
          folder: 'sentitems',
          internetMessageId: '<demo-reply@contoso.example>',
          conversationId: 'demo-digest',
          subject: 'RE: Your touchbase week',
          from: owner,
          toRecipients: [owner],
          sentDateTime: iso(now.getTime() + 60_000),
          receivedDateTime: iso(now.getTime() + 60_000),
          body: `${body}\n\nFrom: touchbase <digest@touchbase.localhost>\n> 1. ...`,
          uniqueBody: body,
        });
      },
      close: () => fake.close(),
    };
  }
  throw new Error(`--provider must be gmail or outlook (got ${provider})`);
}

/**
 * The fake Graph speaks HTTPS with a test CA that Node trusts only through NODE_EXTRA_CA_CERTS,
 * read at start-up: runs this very command again with it set, and says whether it did.
 */
export async function relaunchWithTestCa(provider: string): Promise<boolean> {
  if (provider !== 'outlook') return false;
  const tls = graphTlsEnv();
  if (process.env.NODE_EXTRA_CA_CERTS === tls.NODE_EXTRA_CA_CERTS) return false;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env: { ...process.env, ...tls },
    stdio: 'inherit',
  });
  process.exitCode = (await new Promise<number | null>((resolve) => child.on('close', resolve))) ?? 1;
  return true;
}
