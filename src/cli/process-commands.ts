import type { Command } from 'commander';
import { refusePendingMigrations, startWorkers } from '../../workers/index.ts';
import { loadConfig } from '../config/config.ts';
import { applyMigrations } from '../lib/migrations.ts';
import { generateSecret } from '../lib/token-cipher.ts';
import { buildServer } from '../web/server.ts';
import { explain, withContext } from './run-command.ts';

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
        const running = await startWorkers(ctx);
        await untilSignal();
        await running.close();
      });
    });

  program
    .command('server')
    .description('run the HTTP server on PORT (health, readiness, one-click unsubscribe)')
    .action(async () => {
      await withContext(async (ctx) => {
        await refusePendingMigrations(ctx.config.DATABASE_URL);
        const app = await buildServer(ctx);
        const address = await app.listen({ port: ctx.config.PORT, host: '0.0.0.0' });
        process.stdout.write(`touchbase server listening on ${address.replace('0.0.0.0', '127.0.0.1')}\n`);
        await untilSignal();
        await app.close();
      });
    });
}

/** Resolves on SIGTERM or SIGINT: the process then drains and exits 0. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
