import { loadConfig } from '../config/config.ts';
import { type AppContext, createContext } from '../lib/context.ts';
import { isAppError } from '../lib/errors.ts';

/**
 * Runs one CLI command with a context built from the settings, closes it afterwards, and turns
 * any failure into one clear line on stderr and a non-zero exit.
 */
export async function withContext(fn: (ctx: AppContext) => Promise<void>): Promise<void> {
  let ctx: AppContext | undefined;
  try {
    ctx = createContext(loadConfig());
    await fn(ctx);
  } catch (error) {
    process.exitCode = 1;
    process.stderr.write(`touchbase: ${explain(error)}\n`);
  } finally {
    await ctx?.close().catch(() => undefined);
  }
}

/** The one line a person needs: what went wrong and what to do. */
export function explain(error: unknown): string {
  if (isAppError(error)) return error.message;
  const text =
    error instanceof Error
      ? `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}`
      : String(error);
  if (/ECONNREFUSED.*:(5432|543\d)|Can't reach database|connect ECONNREFUSED 127\.0\.0\.1:5432/i.test(text)) {
    return 'cannot reach Postgres at DATABASE_URL: start it (docker compose up -d postgres) or fix DATABASE_URL';
  }
  if (/ECONNREFUSED.*:6379/i.test(text)) {
    return 'cannot reach Redis at REDIS_URL: start it (docker compose up -d redis) or fix REDIS_URL';
  }
  if (/database ".*" does not exist/i.test(text)) {
    return `${(error as Error).message}: create it (createdb) or fix DATABASE_URL, then run touchbase migrate`;
  }
  if (/relation ".*" does not exist|table .* does not exist/i.test(text)) {
    return 'the database has no touchbase tables yet: run touchbase migrate';
  }
  return `${error instanceof Error ? error.message : String(error)} (run with LOG_LEVEL=debug for details)`;
}
