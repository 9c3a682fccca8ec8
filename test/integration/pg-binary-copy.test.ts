import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinaryCopyRows } from '../../src/lib/pg-binary-copy.ts';
import { copyIn } from '../../src/lib/pg-copy-in.ts';
import { createTestDatabase } from '../support/test-database.ts';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let client: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(
    'CREATE TABLE copied (n int, t text, a text[], at timestamp(3), i int4, b boolean, u uuid)',
  );
});
afterAll(async () => {
  await client.end();
  await db.drop();
});

interface Row {
  t?: string | null;
  a?: string[] | null;
  at?: number;
  i?: number;
  b?: boolean;
  u?: string;
}

/** Copies the rows into `copied` (numbered in order) and reads them back as Postgres has them. */
async function roundTrip(rows: Row[]): Promise<Record<string, unknown>[]> {
  await client.query('TRUNCATE copied');
  const out = new BinaryCopyRows(16); // tiny, so the buffer grows many times
  rows.forEach((row, n) => {
    out.row(7);
    out.int4(n);
    out.text(row.t);
    out.textArray(row.a);
    if (row.at === undefined) out.null();
    else out.timestamp(row.at);
    if (row.i === undefined) out.null();
    else out.int4(row.i);
    if (row.b === undefined) out.null();
    else out.bool(row.b);
    if (row.u === undefined) out.null();
    else out.uuid(row.u);
  });
  expect(await copyIn(client, 'COPY copied FROM STDIN (FORMAT binary)', out.finish())).toBe(rows.length);
  // As JSON, so nothing is converted on the way back (a timestamp stays its text, in UTC).
  const { rows: back } = await client.query<{ row: Record<string, unknown> }>(
    "SELECT json_build_object('t', t, 'a', a, 'at', at, 'i', i, 'b', b, 'u', u) AS row FROM copied ORDER BY n",
  );
  return back.map((r) => r.row);
}

describe('BinaryCopyRows', () => {
  it('writes text as Postgres reads it: ASCII, non-ASCII, short and long, empty and NULL', async () => {
    const texts = [
      '',
      'plain ascii',
      'x'.repeat(64),
      'y'.repeat(65),
      'Ünïcödé, 中文, emoji 😀',
      `${'long '.repeat(300)}😀 é`,
      'quotes \' " \\ and \t tab \n newline, commas, {braces}',
      null,
    ];
    const back = await roundTrip(texts.map((t) => ({ t })));
    expect(back.map((r) => r.t)).toEqual(texts);
  });

  it('stores NUL and a lone surrogate as U+FFFD, in short and in long text', async () => {
    const long = 'z'.repeat(100);
    const back = await roundTrip([
      { t: 'a\0b' },
      { t: `${long}\0` },
      { t: 'cut \uD83D' },
      { t: `${long} \uDE00 cut` },
      { t: 'é\0' },
    ]);
    expect(back.map((r) => r.t)).toEqual([
      'a\uFFFDb',
      `${long}\uFFFD`,
      'cut \uFFFD',
      `${long} \uFFFD cut`,
      'é\uFFFD',
    ]);
  });

  it('writes text arrays: NULL, empty, and elements of every kind', async () => {
    const arrays = [null, [], ['one'], ['', 'ü', 'x'.repeat(300), 'a,b', '{c}', 'NULL'], ['nul\0']];
    const back = await roundTrip(arrays.map((a) => ({ a })));
    expect(back.map((r) => r.a)).toEqual([
      null,
      [],
      ['one'],
      ['', 'ü', 'x'.repeat(300), 'a,b', '{c}', 'NULL'],
      ['nul\uFFFD'],
    ]);
  });

  it('writes timestamps to the millisecond, before 1970, around 2000 and after 2038', async () => {
    const times = [
      '1969-07-20T20:17:40.001Z',
      '1970-01-01T00:00:00.000Z',
      '1999-12-31T23:59:59.999Z',
      '2000-01-01T00:00:00.000Z',
      '2026-12-04T16:45:12.345Z',
      '2040-02-29T12:00:00.500Z',
      '1601-01-01T00:00:00.000Z',
      '3000-06-15T08:30:00.250Z',
    ];
    const back = await roundTrip(times.map((at) => ({ at: Date.parse(at) })));
    expect(back.map((r) => new Date(`${r.at}Z`).toISOString())).toEqual(times);
  });

  it('refuses a time that is no time, or too far to hold exactly', () => {
    const rows = new BinaryCopyRows();
    expect(() => rows.timestamp(Number.NaN)).toThrow(/not a storable time/);
    expect(() => rows.timestamp(Date.parse('+010000-01-01T00:00:00Z'))).toThrow(/not a storable time/);
  });

  it('writes integers, booleans and uuids', async () => {
    const id = randomUUID();
    const back = await roundTrip([
      { i: 0, b: true, u: id },
      { i: -1, b: false, u: id.toUpperCase() },
      { i: 2 ** 31 - 1 },
      { i: -(2 ** 31) },
    ]);
    expect(back.map((r) => [r.i, r.b, r.u])).toEqual([
      [0, true, id],
      [-1, false, id],
      [2 ** 31 - 1, null, null],
      [-(2 ** 31), null, null],
    ]);
    expect(() => new BinaryCopyRows().uuid('not-a-uuid')).toThrow(/not a uuid/);
  });
});
