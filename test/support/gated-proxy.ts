import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of a fake provider that can hold matching requests until the test opens
 * the gate: a job can be kept "in flight" for as long as a test needs, without sleeps.
 */
export interface GatedProxy {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  /** Where requests go; set once the fake is up. */
  target: string;
  /** Requests matching this (path with query) wait while the gate is closed (or their answers do). */
  hold: RegExp;
  /** How many requests (or answers) are waiting at the gate now. */
  held(): number;
  close(): void;
  open(): void;
  stop(): Promise<void>;
}

/**
 * `holdResponses`: a matching request is passed on at once and its ANSWER waits at the gate - the
 * provider has acted (a refresh token rotated, say) while the caller has not heard back yet.
 */
export async function startGatedProxy(
  hold: RegExp,
  options: { holdResponses?: boolean } = {},
): Promise<GatedProxy> {
  let closed = false;
  let waiting: (() => void)[] = [];
  const proxy: GatedProxy = {
    url: '',
    target: '',
    hold,
    held: () => waiting.length,
    close() {
      closed = true;
    },
    open() {
      closed = false;
      const release = waiting;
      waiting = [];
      for (const go of release) go();
    },
    async stop() {
      proxy.open();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const forward = async (req: IncomingMessage, res: ServerResponse, gate: boolean) => {
    try {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (
          typeof value === 'string' &&
          !['host', 'connection', 'accept-encoding', 'content-length'].includes(name)
        )
          headers[name] = value;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const answer = await fetch(new URL(req.url ?? '/', proxy.target), {
        method: req.method ?? 'GET',
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      const body = Buffer.from(await answer.arrayBuffer());
      const out: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(name))
          out[name] = value;
      });
      const reply = () => void res.writeHead(answer.status, out).end(body);
      if (gate && closed) waiting.push(reply);
      else reply();
    } catch (error) {
      res.writeHead(502).end(String(error));
    }
  };
  const server = createServer((req, res) => {
    const gated = proxy.hold.test(req.url ?? '');
    if (options.holdResponses) return void forward(req, res, gated);
    if (closed && gated) {
      waiting.push(() => void forward(req, res, false));
      return;
    }
    void forward(req, res, false);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(proxy, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
  return proxy;
}
