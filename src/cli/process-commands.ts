import type { Command } from 'commander';
import { refusePendingMigrations, startWorkers } from '../../workers/index.ts';
import { loadConfig } from '../config/config.ts';
import { applyMigrations } from '../lib/migrations.ts';
import { generateSecret } from '../lib/token-cipher.ts';
import { buildServer } from '../web/server.ts';
import { startHeartbeat } from './heartbeat.ts';
import { explain, withContext } from './run-command.ts';
import { waitForShutdown } from './shutdown.ts';

export function registerProcessCommands(program: Command): void {
  program
    .command('secret')
    .description('print a new random TOUCHBASE_SECRET (base64 of 32 bytes)')
    .action(() => {
      process.stdout.write(`${generateSecret()}\n`);
    });

  program
    .command('migrate')
    .description('apply pending database migrations to DATABASE_URL')
    .action(async () => {
      try {
        const { applied } = await applyMigrations(loadConfig().DATABASE_URL);
        process.stdout.write(applied.length ? `Applied ${applied.join(', ')}\n` : 'Database is up to date\n');
      } catch (error) {
        process.exitCode = 1;
        process.stderr.write(`touchbase: ${explain(error)}\n`);
      }
    });

  program
    .command('worker')
    .description('run the background workers (sync, digests, reply commands) until SIGTERM')
    .action(async () => {
      await withContext(async (ctx) => {
        const graceMs = ctx.config.SHUTDOWN_GRACE_SECONDS * 1000;
        const running = await startWorkers(ctx);
        const stopHeartbeat = startHeartbeat(() => running.workers.every((w) => w.isRunning()));
        process.stdout.write(`touchbase worker running (pid ${process.pid})\n`);
        const shutdown = await waitForShutdown(ctx.log, graceMs);
        stopHeartbeat();
        await running.close(graceMs, shutdown.hurry);
      });
      exitWhenDone();
    });

  program
    .command('server')
    .description('run the HTTP server on PORT (pages, health, readiness, metrics, admin)')
    .action(async () => {
      await withContext(async (ctx) => {
        const graceMs = ctx.config.SHUTDOWN_GRACE_SECONDS * 1000;
        await refusePendingMigrations(ctx.config.DATABASE_URL);
        const app = await buildServer(ctx);
        const address = await app.listen({ port: ctx.config.PORT, host: '0.0.0.0' });
        process.stdout.write(`touchbase server listening on ${address.replace('0.0.0.0', '127.0.0.1')}\n`);
        const shutdown = await waitForShutdown(ctx.log, graceMs);
        // New requests get 503 (fastify's return503OnClosing) while in-flight ones finish.
        const closed = app.close().then(() => 'closed' as const);
        if ((await Promise.race([closed, shutdown.hurry])) !== 'closed') {
          ctx.log.warn({ event: 'server.forced_stop' }, 'requests still open: closing their connections');
          app.server.closeAllConnections();
          await closed;
        }
        ctx.log.info({ event: 'server.stopped' }, 'server stopped');
      });
      exitWhenDone();
    });
}

/**
 * Everything was closed; a job cut short may still hold a socket or a timer, which must not keep a
 * stopped process alive (an orchestrator would wait, then SIGKILL).
 */
function exitWhenDone(): void {
  process.exit(process.exitCode ?? 0);
}
