import type { Logger } from '../lib/logger.ts';

export interface Shutdown {
  signal: NodeJS.Signals;
  /**
   * Settles when waiting should end: a second signal, or `graceMs` after the first. Whatever is
   * still running then is handed back (jobs to their queue) or cut (HTTP connections).
   */
  hurry: Promise<'signal' | 'timeout'>;
}

/** How long past the grace period closing may take before the process exits anyway. */
const BACKSTOP_MS = 10_000;

/**
 * Resolves on the first SIGTERM or SIGINT. From then on, a second signal hurries the shutdown, a
 * third exits at once, and a backstop timer exits (code 1) if closing hangs (a dead Redis, say):
 * each with one clear log line, so `docker stop` never has to resort to SIGKILL unexplained.
 */
export function waitForShutdown(log: Logger, graceMs: number): Promise<Shutdown> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', first);
      process.off('SIGINT', first);
      log.info(
        { event: 'shutdown.started', signal, graceSeconds: graceMs / 1000 },
        `${signal}: finishing in-flight work (up to ${graceMs / 1000} s; send it again to stop waiting)`,
      );
      const backstop = setTimeout(() => {
        log.error(
          { event: 'shutdown.stuck', waitedMs: graceMs + BACKSTOP_MS },
          `still not stopped ${(graceMs + BACKSTOP_MS) / 1000} s after ${signal}: exiting now`,
        );
        process.exit(1);
      }, graceMs + BACKSTOP_MS);
      backstop.unref();
      const hurry = new Promise<'signal' | 'timeout'>((settle) => {
        const timer = setTimeout(() => settle('timeout'), graceMs);
        timer.unref();
        let signals = 0;
        const again = (next: NodeJS.Signals) => {
          signals++;
          if (signals === 1) {
            clearTimeout(timer);
            log.warn(
              { event: 'shutdown.hurried', signal: next },
              `second ${next}: not waiting for in-flight work`,
            );
            settle('signal');
            return;
          }
          log.error({ event: 'shutdown.aborted', signal: next }, `third ${next}: exiting now`);
          process.exit(1);
        };
        process.on('SIGTERM', again);
        process.on('SIGINT', again);
      });
      resolve({ signal, hurry });
    };
    process.on('SIGTERM', first);
    process.on('SIGINT', first);
  });
}
