#!/usr/bin/env node
// The worker container's healthcheck: healthy while `touchbase worker` keeps touching its
// heartbeat file (src/cli/heartbeat.ts writes it every 10 s while its queues are being worked).
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const file = join(tmpdir(), 'touchbase-worker.heartbeat');
try {
  const ageMs = Date.now() - statSync(file).mtimeMs;
  if (ageMs > 60_000) {
    console.error(`touchbase worker heartbeat is ${Math.round(ageMs / 1000)} s old`);
    process.exit(1);
  }
} catch {
  console.error('touchbase worker has not written its heartbeat yet');
  process.exit(1);
}
