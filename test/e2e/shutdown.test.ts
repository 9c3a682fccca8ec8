import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEARTBEAT_FILE } from '../../src/cli/heartbeat.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { enqueueSync } from '../../src/queues/queues.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { type GatedProxy, startGatedProxy } from '../support/gated-proxy.ts';
import { type CliRun, startCli } from '../support/run-cli.ts';
import { connectFake, startTestEnv, type TestEnv } from '../support/test-env.ts';

const sample = buildSampleMailbox({
  owner: SAMPLE_OWNER.email,
  ownerName: SAMPLE_OWNER.name,
  now: new Date(),
});
const WAIT = { timeout: 45_000, interval: 100 };

/**
 * `touchbase worker` and `touchbase server` as real processes given SIGTERM. A proxy in front of
 * the fake Gmail holds the sync's mailbox reads, so a job is in flight exactly when the test says.
 */
describe('graceful shutdown on SIGTERM', () => {
  let env: TestEnv;
  let proxy: GatedProxy;
  let ctx: AppContext;
  let accountId: string;
  let extra = 0;

  beforeAll(async () => {
    proxy = await startGatedProxy(/\/gmail\/v1\/users\/me\/(messages|history)/);
    env = await startTestEnv({
      owner: SAMPLE_OWNER.email,
      messages: sample.messages,
      settings: { GMAIL_API_URL: proxy.url, LOG_LEVEL: 'info' },
    });
    proxy.target = env.fake.apiUrl;
    ctx = env.context();
    accountId = (await connectFake(ctx)).account.id;
  });
  afterAll(async () => {
    await proxy?.stop();
    await env?.close();
  });

  const startWorker = async (graceSeconds: number) => {
    const run = startCli(['worker'], { ...env.env, SHUTDOWN_GRACE_SECONDS: String(graceSeconds) });
    await run.waitForLine(/touchbase worker running/, 60_000);
    return run;
  };
  const counts = () => ctx.queues().sync.getJobCounts('active', 'waiting', 'completed', 'delayed');
  const lastSynced = async () =>
    (await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } })).lastSyncedAt?.getTime() ??
    0;
  /** A sync that has something to read, held at the gate: a job in flight. */
  const holdASync = async () => {
    env.fake.addMessage({
      id: `late-${++extra}`,
      threadId: `late-${extra}`,
      labelIds: ['INBOX'],
      internalDate: Date.now(),
      headers: [
        { name: 'From', value: sample.expected.active[0] ?? 'a@example.com' },
        { name: 'To', value: SAMPLE_OWNER.email },
        { name: 'Subject', value: 'late news' },
      ],
    });
    proxy.close();
    await enqueueSync(ctx.queues(), accountId, 'manual');
    await expect.poll(() => proxy.held(), WAIT).toBeGreaterThan(0);
  };
  const signalled = (run: CliRun, event: string) =>
    expect.poll(() => run.stderr(), WAIT).toContain(`"event":"${event}"`);

  it('the worker finishes the job in flight, then exits 0', async () => {
    rmSync(HEARTBEAT_FILE, { force: true });
    const run = await startWorker(60);
    // The container healthcheck: healthy once the worker has written its heartbeat.
    const health = spawnSync(process.execPath, [
      fileURLToPath(new URL('../../bin/touchbase-heartbeat.mjs', import.meta.url)),
    ]);
    expect(health.status, health.stderr.toString()).toBe(0);
    await holdASync();
    run.child.kill('SIGTERM');
    await signalled(run, 'shutdown.started');
    const before = await lastSynced();
    proxy.open();
    const result = await run.exit;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('"event":"worker.stopped"');
    expect(result.stderr).not.toContain('worker.forced_stop');
    expect(await lastSynced()).toBeGreaterThan(before);
    expect((await counts()).active).toBe(0);
  });

  it('past the grace period, the job goes back to the queue, the worker exits 0, and another worker runs it', async () => {
    const run = await startWorker(2);
    await holdASync();
    run.child.kill('SIGTERM');
    const result = await run.exit;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /"event":"worker.forced_stop","reason":"timeout","returned":1,.*\(after 2 s\): 1 handed back to the queue/,
    );
    const left = await counts();
    expect(left.active).toBe(0);
    expect((left.waiting ?? 0) + (left.delayed ?? 0)).toBeGreaterThan(0);

    // Not lost: the next worker takes it and finishes it.
    const before = await lastSynced();
    proxy.open();
    const next = await startWorker(30);
    await expect.poll(lastSynced, WAIT).toBeGreaterThan(before);
    await expect.poll(async () => (await counts()).active, WAIT).toBe(0);
    next.child.kill('SIGTERM');
    expect((await next.exit).code).toBe(0);
  });

  it('a second SIGTERM stops waiting at once and hands the job back', async () => {
    const run = await startWorker(600);
    await holdASync();
    run.child.kill('SIGTERM');
    await signalled(run, 'shutdown.started');
    run.child.kill('SIGTERM');
    const result = await run.exit;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('"event":"shutdown.hurried"');
    expect(result.stderr).toMatch(/second signal\): 1 handed back to the queue/);
    expect((await counts()).active).toBe(0);
    proxy.open();
  });

  it('the server stops taking requests, closes its connections and exits 0', async () => {
    const run = startCli(['server'], { ...env.env, PORT: '0' });
    const [, url] = await run.waitForLine(/listening on (http:\S+)/, 60_000);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-request-id')).toBeTruthy();
    run.child.kill('SIGTERM');
    const result = await run.exit;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('"event":"shutdown.started"');
    expect(result.stderr).toContain('"event":"server.stopped"');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
