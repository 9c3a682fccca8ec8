import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BinaryCopyRows } from '../../src/lib/pg-binary-copy.ts';
import { copyIn } from '../../src/lib/pg-copy-in.ts';
import { createTestDatabase } from '../support/test-database.ts';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let client: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query('CREATE TABLE copied (n int PRIMARY KEY, t text)');
});
afterAll(async () => {
  await client.end();
  await db.drop();
});
beforeEach(async () => {
  await client.query('TRUNCATE copied');
});

const COPY = 'COPY copied (n, t) FROM STDIN (FORMAT binary)';

/** Rows n = from..to-1, each with a text long enough that a few thousand rows outgrow the socket's buffers. */
function rows(from: number, to: number): Buffer {
  const out = new BinaryCopyRows();
  for (let n = from; n < to; n++) {
    out.row(2);
    out.int4(n);
    out.text(`row ${n} ${'x'.repeat(200)}`);
  }
  return out.finish();
}

async function stored(): Promise<number[]> {
  const { rows: back } = await client.query<{ n: number }>('SELECT n FROM copied ORDER BY n');
  return back.map((row) => row.n);
}

describe('copyIn', () => {
  it('copies the rows and says how many, and the connection goes on', async () => {
    expect(await copyIn(client, COPY, rows(0, 3))).toBe(3);
    expect(await stored()).toEqual([0, 1, 2]);
    expect(await copyIn(client, COPY, rows(3, 20_003))).toBe(20_000);
    expect((await stored()).length).toBe(20_003);
  });

  it('copies an empty set of rows', async () => {
    expect(await copyIn(client, COPY, rows(0, 0))).toBe(0);
    expect(await stored()).toEqual([]);
  });

  it('a row that breaks a constraint partway fails the whole COPY with its error, and the data sent after it is dropped', async () => {
    await client.query("INSERT INTO copied VALUES (10000, 'there already')");
    // 40,000 rows, about 9 MB: the server meets row 10,000 long before the client has sent the rest.
    const failure = await copyIn(client, COPY, rows(0, 40_000)).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: '23505', constraint: 'copied_pkey' });
    expect(await stored()).toEqual([10000]);
    // The rest of the data was dropped, not read as statements: the connection goes on.
    expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(await copyIn(client, COPY, rows(0, 2))).toBe(2);
    expect(await stored()).toEqual([0, 1, 10000]);
  });

  it('a statement that fails before any data is read rejects, and the data is dropped', async () => {
    const failure = await copyIn(
      client,
      'COPY nowhere (n) FROM STDIN (FORMAT binary)',
      rows(0, 40_000),
    ).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: '42P01' });
    expect(await copyIn(client, COPY, rows(0, 1))).toBe(1);
  });

  it('data that is not what the statement says fails with the server error, not a hang', async () => {
    const failure = await copyIn(client, COPY, Buffer.from('not binary copy data')).catch(
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: '22P04' });
    expect(await copyIn(client, COPY, rows(0, 1))).toBe(1);
  });

  it('rejects when the connection is lost mid-COPY, and nothing of it is stored', async () => {
    const doomed = new pg.Client({ connectionString: db.url });
    await doomed.connect();
    doomed.on('error', () => {}); // the loss is reported to the COPY; the client only notes it
    const { rows: me } = await doomed.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    // A trigger that holds the COPY until it is killed.
    await client.query(`CREATE TABLE slow (n int)`);
    await client.query(`CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$`);
    await client.query(
      'CREATE TRIGGER slow_down AFTER INSERT ON slow FOR EACH STATEMENT EXECUTE FUNCTION slow_down()',
    );
    const out = new BinaryCopyRows();
    out.row(1);
    out.int4(1);
    const copying = copyIn(doomed, 'COPY slow (n) FROM STDIN (FORMAT binary)', out.finish()).catch(
      (error: unknown) => error,
    );
    await waitFor(async () => {
      const { rows: active } = await client.query(
        "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'PgSleep'",
        [me[0]?.pid],
      );
      return active.length > 0;
    });
    await client.query('SELECT pg_terminate_backend($1)', [me[0]?.pid]);
    const failure = await copying;
    expect(failure).toBeInstanceOf(Error);
    expect(String(failure)).toMatch(/terminat/i);
    expect((await client.query('SELECT n FROM slow')).rows).toEqual([]);
    await doomed.end().catch(() => {});
  });
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; tries < 500; tries++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('timed out waiting');
}
