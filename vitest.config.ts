import { defineConfig } from 'vitest/config';
import { graphTlsEnv } from './test/fakes/graph/tls.ts';

// The fake Graph server speaks HTTPS with a test-only CA (test/fakes/graph/tls). Node reads
// NODE_EXTRA_CA_CERTS only when a process starts, so it is set here, before vitest forks its
// workers, which inherit it (and pass it on to the CLI/worker processes tests spawn).
process.env.NODE_EXTRA_CA_CERTS = graphTlsEnv().NODE_EXTRA_CA_CERTS;

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Each file gets its own database schema and queue prefix; two cores, so keep it modest.
          maxWorkers: 2,
          // Unit tests first (fast feedback), then the integration project with its own worker count.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
