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
  /** Requests matching this (path with query) wait while the gate is closed. */
  hold: RegExp;
  /** How many requests are waiting at the gate now. */
  held(): number;
  close(): void;
  open(): void;
  stop(): Promise<void>;
}

export async function startGatedProxy(hold: RegExp): Promise<GatedProxy> {
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
  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && !['host', 'connection', 'accept-encoding'].includes(name))
          headers[name] = value;
      }
      const answer = await fetch(new URL(req.url ?? '/', proxy.target), {
        method: req.method ?? 'GET',
        headers,
      });
      const body = Buffer.from(await answer.arrayBuffer());
      const out: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(name))
          out[name] = value;
      });
      res.writeHead(answer.status, out).end(body);
    } catch (error) {
      res.writeHead(502).end(String(error));
    }
  };
  const server = createServer((req, res) => {
    if (closed && proxy.hold.test(req.url ?? '')) {
      waiting.push(() => void forward(req, res));
      return;
    }
    void forward(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(proxy, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
  return proxy;
}
