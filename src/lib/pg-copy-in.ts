import type pg from 'pg';

/**
 * Runs `COPY ... FROM STDIN` with all of `data` (already in the COPY format the statement names)
 * sent at once, behind the statement: Query, one CopyData, CopyDone, in one write. Resolves to
 * the rows copied; rejects with the server's error as node-postgres reports it (code, constraint,
 * detail), and the connection stays usable.
 *
 * A client usually waits for the server's CopyInResponse before it sends any data (as
 * pg-copy-streams does): a round trip per statement, and the server waits for the client's event
 * loop to come round to the answer, which during a backfill is often busy building the next page.
 * The protocol lets the data go first: the server reads its messages in order, so the data is
 * there when the COPY starts. If the COPY fails, whether before it reads any data (no such
 * table) or partway (a unique violation), the server answers ErrorResponse and ReadyForQuery,
 * and drops the CopyData and CopyDone still to come (the protocol's "Copy Operations": "any
 * subsequent CopyData, CopyDone, or CopyFail messages issued by the frontend will simply be
 * dropped"), so the next statement on the connection runs as usual (docs/decisions/0021).
 */
export function copyIn(client: pg.ClientBase, statement: string, data: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    let rowCount = 0;
    let failed = false;
    // A Submittable: node-postgres calls submit when the connection is free, then hands it each
    // message of the answer until ReadyForQuery (or handleError if the connection is lost).
    const copy: pg.Submittable & CopyAnswer = {
      submit(connection) {
        const stream = connection.stream;
        stream.cork();
        connection.query(statement);
        stream.write(frame(COPY_DATA, data.length));
        stream.write(data);
        stream.write(frame(COPY_DONE, 0));
        stream.uncork();
      },
      handleCommandComplete(message) {
        // "COPY n"
        rowCount = Number(message.text.slice(message.text.lastIndexOf(' ') + 1));
      },
      handleError(error) {
        failed = true;
        reject(error);
      },
      handleReadyForQuery() {
        if (!failed) resolve(rowCount);
      },
      handleCopyInResponse() {},
      handleRowDescription() {},
      handleDataRow() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
    };
    client.query(copy);
  });
}

/** What node-postgres calls on a Submittable as the answer comes (lib/client.js). */
interface CopyAnswer {
  handleCommandComplete(message: { text: string }): void;
  handleError(error: Error): void;
  handleReadyForQuery(): void;
  /** The answers a COPY never gets, or that need nothing here: */
  handleCopyInResponse(): void;
  handleRowDescription(): void;
  handleDataRow(): void;
  handleEmptyQuery(): void;
  handlePortalSuspended(): void;
}

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'

/** A message's type byte and length (the length counts itself and the body, not the type). */
function frame(type: number, bodyLength: number): Buffer {
  const head = Buffer.allocUnsafe(5);
  head[0] = type;
  head.writeUInt32BE(bodyLength + 4, 1);
  return head;
}
