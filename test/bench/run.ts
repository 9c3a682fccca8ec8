/**
 * `npm run bench -- <name> [options]`: one dispatcher, one file per benchmark, so each stays
 * importable on its own and a new one is a line here.
 */
import { runDigestBench } from './digest.bench.ts';
import { runGmailBench } from './gmail.bench.ts';
import { runInferenceBench } from './inference.bench.ts';
import { runOutlookBench } from './outlook.bench.ts';

const BENCHES: Record<string, (args: string[]) => Promise<void> | void> = {
  inference: runInferenceBench,
  digest: runDigestBench,
  gmail: runGmailBench,
  outlook: runOutlookBench,
};

const [name, ...args] = process.argv.slice(2);
const bench = name === undefined ? undefined : BENCHES[name];
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [options]`);
  process.exit(2);
}
await bench(args);
