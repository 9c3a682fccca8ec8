import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type LaunchOptions } from 'playwright-core';

/** Debian's package; .ci/run installs it. Tests never download a browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Quiet and offline: no first-run UI, no updates, sync or background fetches that could slow a
// test or reach the network, and no GPU or sandbox, which containers and CI runners lack.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile in a temporary directory, so no state (cache, cookies,
 * preferences) carries over between runs or test files.
 */
export async function launchBrowser(
  options: Pick<LaunchOptions, 'timeout'> & { timezoneId?: string } = {},
): Promise<TestBrowser> {
  const profile = await mkdtemp(path.join(tmpdir(), 'touchbase-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: options.timeout ?? 30_000,
      ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    async close() {
      try {
        await context.close();
      } finally {
        await rm(profile, { recursive: true, force: true });
      }
    },
  };
}
