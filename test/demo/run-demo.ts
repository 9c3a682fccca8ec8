/**
 * `npm run demo`: the whole product on a sample mailbox, with no credentials and no settings.
 * A fake Gmail, or with `--provider outlook` a fake Microsoft Graph (test/fakes), serves a year of
 * realistic mail; touchbase connects to it through the real OAuth flow, syncs it with real BullMQ
 * workers into Postgres, and writes the digest to the outbox. Nothing here is a shortcut around the product: it is the product pointed at a fake.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { parseConfig } from '../../src/config/config.ts';
import { listContacts } from '../../src/contacts/list-contacts.ts';
import { lastDueAt } from '../../src/digest/schedule.ts';
import { selectDigestContent, selectOptions } from '../../src/digest/select-digest-items.ts';
import { sendWeeklyDigest } from '../../src/digest/send-weekly-digest.ts';
import { createContext } from '../../src/lib/context.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { applyMigrations } from '../../src/lib/migrations.ts';
import { generateSecret } from '../../src/lib/token-cipher.ts';
import { connectAccount } from '../../src/oauth/connect-account.ts';
import { enqueueSync } from '../../src/queues/queues.ts';
import { startWorkers } from '../../workers/index.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { actLikeBrowser } from '../support/act-like-browser.ts';
import { describeItem, waitForReply, waitForSync } from './demo-helpers.ts';
import { relaunchWithTestCa, startDemoMailbox } from './demo-mailboxes.ts';

const { values: args } = parseArgs({
  options: {
    'postgres-url': { type: 'string', default: 'postgresql://postgres:touchbase@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    database: { type: 'string', default: 'touchbase_demo' },
    outbox: { type: 'string', default: './outbox' },
    provider: { type: 'string', default: 'gmail' },
  },
});

const say = (line = '') => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  if (await relaunchWithTestCa(args.provider)) return;
  const databaseUrl = await freshDatabase(args['postgres-url'], args.database);
  await checkRedis(args['redis-url']);
  await applyMigrations(databaseUrl);

  const now = new Date();
  const mailbox = buildSampleMailbox({ owner: SAMPLE_OWNER.email, ownerName: SAMPLE_OWNER.name, now });
  const fake = await startDemoMailbox(args.provider, mailbox);
  const config = parseConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: args['redis-url'],
    TOUCHBASE_SECRET: generateSecret(),
    ...fake.settings,
    OUTBOX_DIR: args.outbox,
    DIGEST_FROM: 'touchbase <digest@touchbase.localhost>',
    QUEUE_PREFIX: `touchbase-demo-${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: 'warn',
  });
  const ctx = createContext(config, { log: createLogger('warn') });
  const workers = await startWorkers(ctx);
  try {
    say(
      `Sample mailbox: ${mailbox.messages.length} messages of ${SAMPLE_OWNER.name} <${SAMPLE_OWNER.email}>`,
    );
    say(`Connecting through the OAuth flow (PKCE, loopback redirect) against the fake ${fake.label}...`);
    const { user, account } = await connectAccount(ctx, fake.provider, {
      onAuthorizeUrl: async (url) => {
        say(`Open this URL to connect: ${url.slice(0, 90)}...`);
        await actLikeBrowser(url);
      },
    });
    say(`Connected ${account.email}. Syncing with the background workers...`);
    const synced = await waitForSync(ctx, account.id, 180_000);
    say(`Synced ${synced.interactions} messages in ${(synced.ms / 1000).toFixed(1)} s.`);

    const contacts = await listContacts(ctx.prisma, user.id, now);
    const content = await selectDigestContent(
      ctx.prisma,
      user,
      now,
      lastDueAt(user, now).period,
      selectOptions(config),
    );
    say();
    say(
      `${contacts.length} people you are in touch with (newsletters, no-reply senders and group-only people left out).`,
    );
    for (const kind of ['owe-reply', 'awaiting-reply', 'lapsed'] as const) {
      const items = content.items.filter((i) => i.kind === kind);
      if (items.length === 0) continue;
      say();
      say(
        { 'owe-reply': 'You owe a reply:', 'awaiting-reply': 'Waiting to hear back:', lapsed: 'Lapsing:' }[
          kind
        ],
      );
      for (const item of items) say(`  ${describeItem(item, now)}`);
    }

    const outcome = await sendWeeklyDigest(ctx, user.id);
    say();
    if (outcome.status === 'sent' && outcome.location) {
      say(`Digest written to ${resolve(outcome.location)}`);
      say(`          and to ${resolve(outcome.location.replace(/\.eml$/, '.html'))} (open it in a browser)`);
    } else {
      say(`Digest: ${outcome.status}`);
    }
    if (outcome.status === 'sent') {
      const command = 'snooze 1 3w, done 2';
      say();
      say(`You reply to the digest from your mailbox: "${command}"`);
      await fake.reply(outcome.messageId, command, now);
      await enqueueSync(ctx.queues(), account.id, 'manual');
      const reply = await waitForReply(ctx, account.id, 60_000);
      say('touchbase finds the reply in your Sent mail, applies it and answers in the thread:');
      for (const line of reply.applied) say(`  ${line}`);
      for (const text of reply.notUnderstood) say(`  not understood: "${text}"`);
      say(`Confirmation written to ${resolve(args.outbox, `${reply.confirmationFile}.eml`)}`);
    }
    say();
    say(`Explore it: export DATABASE_URL=${databaseUrl} TOUCHBASE_SECRET=$(npx touchbase secret)`);
    say('            npx touchbase contacts; npx touchbase contacts why "May"; npx touchbase digest preview');
  } finally {
    await workers.close(5_000);
    const queues = ctx.queues();
    // The demo's queues are its own; leave nothing behind in Redis.
    await Promise.all([queues.sync.obliterate({ force: true }), queues.digest.obliterate({ force: true })]);
    await ctx.close();
    await fake.close();
  }
}

async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z0-9_]+$/.test(name))
    throw new Error(`--database must be lower-case letters, digits and _ (got ${name})`);
  const client = new pg.Client({ connectionString: adminUrl });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `cannot reach Postgres at ${adminUrl} (${(error as Error).message}).\nStart it: docker compose up -d postgres redis`,
    );
  }
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `cannot reach Redis at ${url} (${(error as Error).message}).\nStart it: docker compose up -d postgres redis`,
    );
  } finally {
    redis.disconnect();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
