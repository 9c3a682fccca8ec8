/**
 * Rows in PostgreSQL's binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html,
 * "Binary Format"), for `COPY ... FROM STDIN (FORMAT binary)` (sent by copyIn, pg-copy-in.ts). Each value
 * goes as its type's binary form, so Postgres parses nothing: no JSON, no text array literals, no
 * timestamps in words (docs/decisions/0020). Only the types the store writes are here. The npm
 * encoders for this format stream one object per row through several stream stages, which cost
 * more than the insert; this one writes a page into one growing buffer.
 *
 *   const rows = new BinaryCopyRows();
 *   rows.row(2); rows.text('a'); rows.int4(1);
 *   await copyIn(client, 'COPY t (a, b) FROM STDIN (FORMAT binary)', rows.finish());
 */
export class BinaryCopyRows {
  #buffer: Buffer;
  #at = 0;
  #uuids = new Map<string, Buffer>();

  constructor(sizeHint = 64 * 1024) {
    this.#buffer = Buffer.allocUnsafe(Math.max(sizeHint, HEADER.length + 2));
    this.#at = HEADER.copy(this.#buffer, 0);
  }

  /** Starts a row of `fields` values; each value method below writes the next one. */
  row(fields: number): void {
    this.#room(2);
    this.#buffer[this.#at++] = fields >>> 8;
    this.#buffer[this.#at++] = fields;
  }

  null(): void {
    this.#int32(-1);
  }

  /**
   * A text value, or NULL. Postgres text holds neither NUL nor a lone UTF-16 surrogate (a header
   * cut mid-character): each is stored as U+FFFD, the surrogate by Node's UTF-8 encoder itself.
   * Short ASCII text, most of a page's, is copied byte by byte: a call into Node's encoder costs
   * more than the copy.
   */
  text(value: string | null | undefined): void {
    if (value === null || value === undefined) {
      this.null();
      return;
    }
    const length = value.length;
    this.#room(4 + 3 * length);
    const buffer = this.#buffer;
    const start = this.#at + 4;
    let at = start;
    let i = 0;
    if (length <= SHORT_TEXT) {
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code === 0 || code > 0x7f) break;
        buffer[at++] = code;
      }
    }
    if (i < length) {
      const text = value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
      at = start + buffer.write(text, start, 'utf8');
    }
    this.#int32(at - start);
    this.#at = at;
  }

  /** A one-dimensional text[] without NULL elements, or NULL; an empty array is '{}'. */
  textArray(values: readonly string[] | null | undefined): void {
    if (values === null || values === undefined) {
      this.null();
      return;
    }
    const lengthAt = this.#at;
    this.#int32(0); // the array's length, known at its end
    this.#int32(values.length === 0 ? 0 : 1); // dimensions
    this.#int32(0); // no NULL element
    this.#int32(TEXT_OID);
    if (values.length > 0) {
      this.#int32(values.length);
      this.#int32(1); // lower bound
      for (const value of values) this.text(value);
    }
    this.#buffer.writeInt32BE(this.#at - lengthAt - 4, lengthAt);
  }

  /**
   * A `timestamp` (without time zone) from epoch milliseconds, read as UTC: microseconds since
   * 2000-01-01 as a 64-bit integer, written in two halves. A millisecond count times 1000 is a
   * multiple of 8, so a double holds it exactly to 2^56 microseconds either side of 2000: years
   * -283 to 4283. Mail dates outside those are refused, not rounded.
   */
  timestamp(epochMs: number): void {
    const micros = (epochMs - POSTGRES_EPOCH_MS) * 1000;
    if (!Number.isInteger(micros) || Math.abs(micros) > 2 ** 56)
      throw new RangeError(`not a storable time: ${epochMs} ms since 1970`);
    const high = Math.floor(micros / 2 ** 32);
    this.#int32(8);
    this.#int32(high);
    this.#int32(micros - high * 2 ** 32);
  }

  int4(value: number): void {
    this.#int32(4);
    this.#int32(value);
  }

  bool(value: boolean): void {
    this.#int32(1);
    this.#room(1);
    this.#buffer[this.#at++] = value ? 1 : 0;
  }

  /** A `uuid` from its usual text form. A page repeats a few ids: each is converted once. */
  uuid(value: string): void {
    let bytes = this.#uuids.get(value);
    if (!bytes) {
      const hex = value.replaceAll('-', '');
      if (!/^[0-9a-f]{32}$/i.test(hex)) throw new RangeError(`not a uuid: ${value}`);
      bytes = Buffer.from(hex, 'hex');
      this.#uuids.set(value, bytes);
    }
    this.#int32(16);
    this.#room(16);
    this.#at += bytes.copy(this.#buffer, this.#at);
  }

  /** The COPY data: the rows written so far and the end mark. The writer is not used again. */
  finish(): Buffer {
    this.#room(2);
    this.#at = this.#buffer.writeInt16BE(-1, this.#at);
    return this.#buffer.subarray(0, this.#at);
  }

  /** Big-endian, byte by byte (the Buffer method checks its arguments on every call). */
  #int32(value: number): void {
    this.#room(4);
    const buffer = this.#buffer;
    const at = this.#at;
    buffer[at] = value >>> 24;
    buffer[at + 1] = value >>> 16;
    buffer[at + 2] = value >>> 8;
    buffer[at + 3] = value;
    this.#at = at + 4;
  }

  #room(bytes: number): void {
    if (this.#at + bytes <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.#buffer.length, this.#at + bytes));
    this.#buffer.copy(grown, 0, 0, this.#at);
    this.#buffer = grown;
  }
}

/** The signature, the flags (no OIDs) and an empty header extension. */
const HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
const TEXT_OID = 25;
/** Text up to this long is tried as ASCII first. */
const SHORT_TEXT = 64;
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);
