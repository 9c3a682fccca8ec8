import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Config } from '../../src/config/config.ts';
import { parseConfig } from '../../src/config/config.ts';
import { type AppContext, createContext } from '../../src/lib/context.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { buildServer } from '../../src/web/server.ts';

export type WebServer = Awaited<ReturnType<typeof buildServer>>;

import type { FakeGmail } from '../fakes/gmail/fake-gmail.ts';

/**
 * A browser's view of the web app through fastify's inject: a cookie jar (the Path attribute is
 * honoured, so the OAuth state cookie goes only to /oauth), and helpers to read forms.
 */
export class WebClient {
  readonly cookies = new Map<string, { value: string; path: string }>();

  constructor(public app: WebServer) {}

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.request({ method: 'GET', url, headers });
  }

  /** A form POST, as a browser sends it (urlencoded). */
  async post(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    return this.request({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams(form).toString(),
    });
  }

  async request(options: InjectOptions & { url: string }): Promise<LightMyRequestResponse> {
    const path = new URL(options.url, 'http://x').pathname;
    const cookie = [...this.cookies]
      .filter(([, c]) => path.startsWith(c.path))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
    const response = await this.app.inject({
      ...options,
      headers: { ...(options.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    for (const c of response.cookies as {
      name: string;
      value: string;
      path?: string;
      maxAge?: number;
      expires?: Date;
    }[]) {
      const gone = c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now()) || c.value === '';
      if (gone) this.cookies.delete(c.name);
      else this.cookies.set(c.name, { value: c.value, path: c.path ?? '/' });
    }
    return response;
  }

  /** The CSRF token of the first form on a page. */
  static csrfOf(page: string): string {
    const token = page.match(/name="_csrf" value="([^"]+)"/)?.[1];
    if (!token) throw new Error('no CSRF field on the page');
    return token;
  }
}

/**
 * Connects the fake's mailbox from the web app: /oauth/gmail/start, then the provider's consent
 * screen (the fake approves or denies, as set), then the callback with the browser's cookies.
 * Returns the callback's response.
 */
export async function connectThroughWeb(client: WebClient, start = '/oauth/gmail/start') {
  const started = await client.get(start);
  if (started.statusCode !== 303) throw new Error(`start answered ${started.statusCode}: ${started.body}`);
  const consent = await fetch(String(started.headers.location), { redirect: 'manual' });
  const back = consent.headers.get('location');
  if (!back) throw new Error(`the consent page answered ${consent.status} without a redirect`);
  const url = new URL(back);
  return client.get(`${url.pathname}${url.search}`);
}

/**
 * A server whose Google endpoints are another fake mailbox, sharing the test's database, Redis
 * prefix and secret: how a second mailbox (or a second person) connects in a test.
 */
export async function serverForFake(
  baseEnv: Record<string, string>,
  fake: FakeGmail,
  settings: Record<string, string> = {},
): Promise<{ app: WebServer; ctx: AppContext; config: Config; close(): Promise<void> }> {
  const config = parseConfig({
    ...baseEnv,
    GOOGLE_AUTH_URL: fake.authUrl,
    GOOGLE_TOKEN_URL: fake.tokenUrl,
    GMAIL_API_URL: fake.apiUrl,
    ...settings,
  });
  const ctx = createContext(config, { log: createLogger('silent') });
  const app = await buildServer(ctx);
  return {
    app,
    ctx,
    config,
    async close() {
      await app.close();
      await ctx.close();
    },
  };
}
