import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** bin/touchbase-heartbeat.mjs (the worker's container healthcheck) reads this file's age. */
export const HEARTBEAT_FILE = join(tmpdir(), 'touchbase-worker.heartbeat');
const EVERY_MS = 10_000;

/**
 * A worker has no port to probe: while `isHealthy()` holds (its BullMQ workers running), it touches
 * a file every few seconds, and the healthcheck calls it unhealthy when the file grows stale.
 */
export function startHeartbeat(isHealthy: () => boolean): () => void {
  const beat = () => {
    if (isHealthy()) void writeFile(HEARTBEAT_FILE, `${Date.now()}\n`).catch(() => undefined);
  };
  beat();
  const timer = setInterval(beat, EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
