import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface SinkMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
}

export interface SmtpSink {
  /** smtp://127.0.0.1:<port>, ready for sendDigest. */
  url: string;
  /** Every accepted message, in arrival order. */
  messages: SinkMessage[];
  close(): Promise<void>;
}

/**
 * A real SMTP server on a random local port: plain text, any or no AUTH accepted. With
 * `rejectWith`, every RCPT TO is refused with that reply, as a server refusing a mailbox does.
 */
export async function startSmtpSink(
  opts: { rejectWith?: { code: number; message: string } } = {},
): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const server = new SMTPServer({
    authOptional: true,
    // Credentials in a test URL must not need TLS to be accepted.
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // Don't keep a test waiting on connections a client forgot to close.
    closeTimeout: 100,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'test' });
    },
    onRcptTo(_address, _session, callback) {
      const reject = opts.rejectWith;
      if (!reject) return callback();
      callback(Object.assign(new Error(reject.message), { responseCode: reject.code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        messages.push({
          envelope: {
            from: addressOf(session.envelope.mailFrom),
            to: session.envelope.rcptTo.map(addressOf),
          },
          raw: Buffer.concat(chunks),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function addressOf(address: SMTPServerAddress | false): string {
  return address ? address.address : '';
}
