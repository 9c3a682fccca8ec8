import { type Clock, fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { buildSampleMailbox, SAMPLE_OWNER, type SampleMailbox } from '../fixtures/sample-mailbox.ts';
import { type SmtpSink, startSmtpSink } from './smtp-sink.ts';
import { connectFake, startTestEnv, type TestEnv } from './test-env.ts';

export interface SampleEnv {
  readonly env: TestEnv;
  readonly sink: SmtpSink;
  /** At `now`, unless `clock` was given. */
  readonly ctx: AppContext;
  readonly sample: SampleMailbox;
  readonly owner: { userId: string; accountId: string };
  close(): Promise<void>;
}

/**
 * The sample mailbox at `now` on the fake Gmail, connected through the real OAuth flow (not
 * synced yet), with an SMTP sink for what touchbase sends.
 */
export async function startSampleEnv(options: {
  now: Date;
  clock?: Clock;
  settings?: Record<string, string>;
}): Promise<SampleEnv> {
  const sample = buildSampleMailbox({
    owner: SAMPLE_OWNER.email,
    ownerName: SAMPLE_OWNER.name,
    now: options.now,
  });
  const sink = await startSmtpSink();
  const env = await startTestEnv({
    owner: SAMPLE_OWNER.email,
    messages: sample.messages,
    settings: { ...options.settings, SMTP_URL: sink.url },
  });
  const ctx = env.context({ clock: options.clock ?? fixedClock(options.now) });
  const { user, account } = await connectFake(ctx);
  return {
    env,
    sink,
    ctx,
    sample,
    owner: { userId: user.id, accountId: account.id },
    async close() {
      await env.close();
      await sink.close();
    },
  };
}
