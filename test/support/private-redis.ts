import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { waitFor } from './wait-for.ts';

export interface PrivateRedis {
  url: string;
  /**
   * Kills the server (SIGKILL: nothing saved) and, `downMs` later, starts an empty one on the same
   * port.
   */
  restartEmpty(downMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A redis-server of the test's own, without persistence, for tests that take Redis away from
 * running processes: the shared one serves every other test.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server = await startServer(port);
  return {
    url,
    async restartEmpty(downMs = 0) {
      await stop(server);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      server = await startServer(port);
    },
    async close() {
      await stop(server);
    },
  };
}

async function startServer(port: number): Promise<ChildProcess> {
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const probe = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined); // refused until the server listens: waitFor asks again
  try {
    await waitFor(
      async () => {
        try {
          if (probe.status !== 'ready') await probe.connect();
          return (await probe.ping()) === 'PONG' ? true : null;
        } catch {
          probe.disconnect();
          return null;
        }
      },
      `redis-server on port ${port}`,
      10_000,
    );
  } finally {
    probe.disconnect();
  }
  return server;
}

async function stop(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = once(server, 'exit');
  server.kill('SIGKILL');
  await exited;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
