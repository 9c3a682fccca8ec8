import { randomBytes } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

/**
 * A driver adapter factory for Prisma's JavaScript schema engine (`engine: "js"` in
 * prisma.config.ts), used by `prisma migrate deploy|status|diff`.
 *
 * @prisma/adapter-pg 6.19.3 is written for the query client and has three gaps when the schema
 * engine drives it (see docs/decisions/0001-prisma-offline.md); this subclass closes them. It
 * reaches into the adapter's behaviour, so the adapter version is pinned exactly in package.json.
 */
export function createMigrationAdapterFactory(databaseUrl: string): PrismaPg {
  return new MigrationAwarePg(databaseUrl);
}

/** Returns `databaseUrl` pointing at another database on the same server, same credentials. */
export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** Runs one statement on its own short-lived connection (CREATE/DROP DATABASE refuse transactions). */
export async function runAdminStatement(databaseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

class MigrationAwarePg extends PrismaPg {
  readonly #databaseUrl: string;

  constructor(databaseUrl: string) {
    super(poolConfig(databaseUrl));
    this.#databaseUrl = databaseUrl;
  }

  override async connect(): ReturnType<PrismaPg['connect']> {
    const adapter = await super.connect();
    runScriptsAsOneQuery(adapter);
    return adapter;
  }

  /**
   * The stock implementation spreads `database` over a config whose connection string wins, so
   * the "shadow" connection lands on the main database, and it drops the shadow database while
   * its own pool is still connected. Here the shadow database gets a name of ours, its own URL,
   * and is dropped only after its pool has closed.
   */
  override async connectToShadowDb(): ReturnType<PrismaPg['connectToShadowDb']> {
    const name = `touchbase_shadow_${randomBytes(6).toString('hex')}`;
    await runAdminStatement(this.#databaseUrl, `CREATE DATABASE "${name}"`);
    let adapter: Awaited<ReturnType<PrismaPg['connect']>>;
    try {
      adapter = await new PrismaPg(poolConfig(withDatabase(this.#databaseUrl, name))).connect();
    } catch (error) {
      await runAdminStatement(this.#databaseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      throw error;
    }
    runScriptsAsOneQuery(adapter);
    const closePool = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await closePool();
      await runAdminStatement(this.#databaseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    };
    return adapter;
  }
}

function poolConfig(connectionString: string): pg.PoolConfig {
  // The CLI does not always dispose the adapter before exiting: without allowExitOnIdle every
  // migrate command would sit out pg's 10 s idle timeout. A small pool keeps shadow databases
  // cheap to drop.
  return { connectionString, max: 2, allowExitOnIdle: true, onConnect: reportCatalogTypesAsText };
}

/**
 * The stock `executeScript` splits on `;`, which breaks `DO $$ ... $$` bodies and literals that
 * contain semicolons. A parameterless query goes over the simple protocol, where Postgres accepts
 * many statements in one message and runs them in one implicit transaction, as the native
 * engine does. Going through `executeRaw` keeps the adapter's error mapping.
 */
function runScriptsAsOneQuery(adapter: Awaited<ReturnType<PrismaPg['connect']>>): void {
  adapter.executeScript = async (script: string) => {
    await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
  };
}

// System-catalog types the adapter refuses to map ("Unsupported column type"); the schema engine
// reads them from its introspection queries and only needs their text.
const CATALOG_SCALAR_TYPES = new Set([
  18, // "char"
  19, // name
  22, // int2vector
  24, // regproc
  30, // oidvector
  194, // pg_node_tree
  1033, // aclitem
  2205, // regclass
  2206, // regtype
]);
const CATALOG_ARRAY_TYPES = new Set([
  1002, // "char"[]
  1003, // name[]
  1034, // aclitem[]
]);
const TEXT_OID = 25;
const TEXT_ARRAY_OID = 1009;
// pg-types' TypeId enum lists scalar types only; the array parser is there at runtime all the same.
const getTextParser = pg.types.getTypeParser as (oid: number, format: 'text') => (value: string) => unknown;
const parseTextArray = getTextParser(TEXT_ARRAY_OID, 'text');

type QueryResultLike = { fields: { dataTypeID: number }[]; rows: unknown[] };
type Callback = (error: Error | undefined, result: unknown) => void;

/**
 * The adapter maps column types from `result.fields[].dataTypeID` after pg has parsed the rows,
 * so relabelling catalog columns as text / text[] (and parsing the arrays pg left as literals)
 * on every connection of the pool makes them acceptable, in and out of transactions alike.
 */
function reportCatalogTypesAsText(client: pg.ClientBase): void {
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  const patched = (...args: unknown[]): unknown => {
    const [config] = args;
    // Submittables (cursors, streams) are not used by the adapter; leave them untouched.
    if (typeof config === 'object' && config !== null && 'submit' in config) return original(...args);
    const last = args.at(-1);
    if (typeof last === 'function') {
      const callback = last as Callback;
      return original(...args.slice(0, -1), (error: Error | undefined, result: unknown) => {
        if (!error) relabelCatalogColumns(result);
        callback(error, result);
      });
    }
    return (original(...args) as Promise<unknown>).then((result) => {
      relabelCatalogColumns(result);
      return result;
    });
  };
  Object.defineProperty(client, 'query', { value: patched, writable: true, configurable: true });
}

function relabelCatalogColumns(result: unknown): void {
  // A multi-statement simple query resolves to one result per statement.
  const results = Array.isArray(result) ? result : [result];
  for (const each of results as (QueryResultLike | undefined)[]) {
    if (!each || !Array.isArray(each.fields)) continue;
    each.fields.forEach((field, index) => {
      if (CATALOG_SCALAR_TYPES.has(field.dataTypeID)) {
        field.dataTypeID = TEXT_OID;
      } else if (CATALOG_ARRAY_TYPES.has(field.dataTypeID)) {
        field.dataTypeID = TEXT_ARRAY_OID;
        parseArrayColumn(each.rows, index);
      }
    });
  }
}

function parseArrayColumn(rows: unknown[], index: number): void {
  for (const row of rows) {
    // The adapter asks for rows as arrays; object rows would come from other callers.
    if (Array.isArray(row) && typeof row[index] === 'string') {
      row[index] = parseTextArray(row[index]);
    }
  }
}
