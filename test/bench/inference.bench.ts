import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { MessageMeta } from '../../src/providers/types.ts';
import { buildLabelledMailbox, type LabelledMailbox, scoreInference } from '../fixtures/labelled-mailbox.ts';
import {
  aggregatePeople,
  followUpsOf,
  groupPeople,
  type Inference,
  toStoredRows,
  withStatus,
} from '../support/inference-pipeline.ts';

/** Issue 5: the pure rules must take at least this many messages per second on one core. */
const TARGET_PER_SECOND = 100_000;
const STAGES = ['facts', 'grouping', 'aggregation', 'status', 'follow-ups', 'total'] as const;
type Stage = (typeof STAGES)[number];

/**
 * Throughput of the pure relationship rules on a large labelled mailbox: toInteractionFacts for
 * every message, grouping, aggregation, status and follow-ups, each timed, plus the quality of
 * the answer on the same mailbox. Mailbox generation is timed apart and excluded. The rules run
 * on the main thread only, so wall time is one core; CPU time is shown too, because the garbage
 * collector's helper threads can add to it on a second core.
 */
export async function runInferenceBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      messages: { type: 'string', default: '200000' },
      runs: { type: 'string', default: '5' },
      seed: { type: 'string', default: '20261122' },
    },
  });
  const target = Number(values.messages);
  const runs = Math.max(1, Number(values.runs));
  const now = new Date('2025-06-02T12:00:00Z');
  const rssBefore = process.memoryUsage().rss;

  const genStart = performance.now();
  const mailbox = buildToSize(Number(values.seed), now, target);
  const genMs = performance.now() - genStart;
  const own = new Set(mailbox.own);
  const rssMailbox = process.memoryUsage().rss;
  console.log(
    `mailbox: ${fmt(mailbox.messages.length)} messages, ${fmt(mailbox.kinds.size)} people, generated in ${(genMs / 1000).toFixed(1)} s (not timed below)`,
  );
  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, Node ${process.version}; noisy, so best and median of ${runs} runs`,
  );

  // One untimed pass on a slice, so the first timed run is not mostly JIT compilation.
  runOnce(mailbox.messages.slice(0, 20_000), own, now);

  const samples: Record<Stage, number[]> = Object.fromEntries(
    STAGES.map((s) => [s, []]),
  ) as unknown as Record<Stage, number[]>;
  const cpuSamples: number[] = [];
  let last: Inference | undefined;
  for (let r = 0; r < runs; r++) {
    const cpuStart = process.cpuUsage();
    const { times, result } = runOnce(mailbox.messages, own, now);
    const cpu = process.cpuUsage(cpuStart);
    cpuSamples.push((cpu.user + cpu.system) / 1000);
    for (const stage of STAGES) samples[stage].push(times[stage]);
    last = result;
  }

  const n = mailbox.messages.length;
  const lines = [
    `${'stage'.padEnd(12)} ${'best ms'.padStart(9)} ${'median ms'.padStart(10)} ${'best msg/s'.padStart(12)} ${'median msg/s'.padStart(13)}`,
  ];
  for (const stage of STAGES) {
    const best = Math.min(...samples[stage]);
    const mid = median(samples[stage]);
    lines.push(
      `${stage.padEnd(12)} ${best.toFixed(0).padStart(9)} ${mid.toFixed(0).padStart(10)} ${fmt(n / (best / 1000)).padStart(12)} ${fmt(n / (mid / 1000)).padStart(13)}`,
    );
  }
  console.log(`\nthroughput (pure rules, one thread)\n${lines.join('\n')}`);
  const bestTotal = n / (Math.min(...samples.total) / 1000);
  console.log(
    `target ${fmt(TARGET_PER_SECOND)} msg/s: ${bestTotal >= TARGET_PER_SECOND ? 'met' : `NOT met (best is ${((100 * bestTotal) / TARGET_PER_SECOND).toFixed(0)}% of it)`}`,
  );
  console.log(
    `CPU time per run: best ${Math.min(...cpuSamples).toFixed(0)} ms, median ${median(cpuSamples).toFixed(0)} ms (wall total median ${median(samples.total).toFixed(0)} ms)`,
  );
  const usage = process.resourceUsage();
  console.log(
    `memory: RSS ${mb(rssBefore)} at start, ${mb(rssMailbox)} with the mailbox, peak ${mb(usage.maxRSS * 1024)} (maxRSS); heap used now ${mb(process.memoryUsage().heapUsed)}`,
  );

  if (last) {
    const s = scoreInference(mailbox.truth, last);
    const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
    const row = (
      label: string,
      r: { precision: number; recall: number; truePositives: number; actual: number },
    ) =>
      `${label.padEnd(16)} ${pct(r.precision).padStart(9)} ${pct(r.recall).padStart(9)}   (${r.truePositives} of ${r.actual})`;
    console.log(
      [
        '\nquality on this mailbox (the store as it is; awaiting-reply includes the follow-up window bug)',
        `${'figure'.padEnd(16)} ${'precision'.padStart(9)} ${'recall'.padStart(9)}`,
        row('contacts', s.contacts),
        row('lapsed', s.lapsed),
        row('owe-reply', s.oweReply),
        row('awaiting-reply', s.awaitingReply),
        `${'exact dates'.padEnd(16)} ${s.exactDates.exact}/${s.exactDates.of} last-contact times exact to the ms`,
      ].join('\n'),
    );
  }
}

function runOnce(
  messages: readonly MessageMeta[],
  own: ReadonlySet<string>,
  now: Date,
): { times: Record<Stage, number>; result: Inference } {
  const t0 = performance.now();
  const rows = toStoredRows(messages, own);
  const t1 = performance.now();
  const people = groupPeople(rows, own);
  const t2 = performance.now();
  const aggregates = aggregatePeople(people);
  const t3 = performance.now();
  const contacts = withStatus(aggregates, now);
  const t4 = performance.now();
  const followUps = followUpsOf(rows, contacts, now);
  const t5 = performance.now();
  return {
    times: {
      facts: t1 - t0,
      grouping: t2 - t1,
      aggregation: t3 - t2,
      status: t4 - t3,
      'follow-ups': t5 - t4,
      total: t5 - t0,
    },
    result: { contacts, followUps },
  };
}

/** The generator is sized in people; a small sample tells how many people make `target` messages. */
function buildToSize(seed: number, now: Date, target: number): LabelledMailbox {
  const sample = buildLabelledMailbox({ seed, now, people: 400 });
  const perPerson = sample.messages.length / 400;
  return buildLabelledMailbox({ seed, now, people: Math.max(50, Math.round(target / perPerson)) });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}
