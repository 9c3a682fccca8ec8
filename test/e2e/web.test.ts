import { createServer } from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/lib/context.ts';
import { createLinkSigner } from '../../src/lib/link-signer.ts';
import { settingsLinkUrl } from '../../src/lib/settings-link.ts';
import { buildServer } from '../../src/web/server.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import { screenshotAt, seriousA11yViolations } from '../support/page-checks.ts';
import { startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

/**
 * The web app as a person uses it, in Debian's Chromium: connect through the fake Gmail from the
 * connect page, change the schedule, snooze and mute from the people page, disconnect, delete
 * everything. Every page is screenshotted at a phone's and a desktop's width and checked with
 * axe-core; the browser must report no CSP violation (the pages carry no inline code).
 */

const SCREENSHOTS = path.resolve('test-results/web');
const BROWSER_ZONE = 'Asia/Tokyo';
const sample = buildSampleMailbox({
  owner: SAMPLE_OWNER.email,
  ownerName: SAMPLE_OWNER.name,
  now: new Date(),
});

describe('the web app in a real browser', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let server: Awaited<ReturnType<typeof buildServer>>;
  let browser: TestBrowser;
  let page: Page;
  let base: string;
  const cspErrors: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = await startTestEnv({
      owner: SAMPLE_OWNER.email,
      messages: sample.messages,
      sendAs: sample.sendAs,
      settings: { PUBLIC_URL: base },
    });
    ctx = env.context();
    server = await buildServer(ctx);
    await server.listen({ host: '127.0.0.1', port });
    browser = await launchBrowser({ timezoneId: BROWSER_ZONE });
    page = await browser.context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await env?.close();
  });

  /** Screenshots at 375 and 1280 px and an axe run; asserts what a person would notice. */
  async function checkPage(name: string) {
    for (const width of [375, 1280]) {
      const shot = await screenshotAt(page, SCREENSHOTS, name, width);
      expect(shot.width, `${name} ${width}`).toBe(width);
      expect(shot.overflowX, `${name} at ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
      expect(shot.heading.visible, `${name} heading`).toBe(true);
      expect(shot.heading.insideWidth, `${name} heading fits`).toBe(true);
      expect(shot.distinctBytes, `${name} at ${width}px looks blank`).toBeGreaterThan(40);
    }
    const violations = await seriousA11yViolations(page);
    expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
    expect(cspErrors).toEqual([]);
  }

  it('connects Gmail from the connect page and lands signed in, with the browser’s time zone', async () => {
    await page.goto(base);
    expect(new URL(page.url()).pathname).toBe('/connect');
    await checkPage('connect');
    await page.getByRole('button', { name: 'Connect Gmail' }).click();
    await page.waitForURL(`${base}/settings?notice=connected`);
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Your account is connected');
    const user = await ctx.prisma.user.findUniqueOrThrow({ where: { email: SAMPLE_OWNER.email } });
    expect(user.timeZone).toBe(BROWSER_ZONE);
    const account = await ctx.prisma.mailAccount.findFirstOrThrow({ where: { userId: user.id } });
    await syncOnce(ctx, account.id);
    await page.reload();
    await checkPage('settings');
  });

  it('changes the digest schedule, and offers the browser’s zone when none was chosen', async () => {
    await page.getByLabel('Day').selectOption({ label: 'Friday' });
    await page.getByLabel('Time', { exact: true }).selectOption({ label: '18:00' });
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await page.waitForURL(/notice=schedule-saved/);
    const user = await ctx.prisma.user.findUniqueOrThrow({ where: { email: SAMPLE_OWNER.email } });
    expect([user.digestDay, user.digestHour]).toEqual([5, 18]);

    await ctx.prisma.user.update({ where: { id: user.id }, data: { timeZone: 'UTC' } });
    await page.goto(`${base}/settings`);
    expect(await page.getByLabel('Time zone').inputValue()).toBe(BROWSER_ZONE);
    expect(await page.locator('#tz-note').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await page.waitForURL(/notice=schedule-saved/);
    expect((await ctx.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).timeZone).toBe(BROWSER_ZONE);
  });

  it('snoozes and mutes from the people page, by keyboard as well as by mouse', async () => {
    await page.getByRole('link', { name: 'People' }).click();
    await page.waitForURL(`${base}/people`);
    await checkPage('people');
    // The first Tab reaches the skip link, which leads to the content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');

    const [lapsed = '', other = ''] = sample.expected.lapsed;
    const card = page.locator('li.person', { hasText: lapsed });
    await card.getByLabel('Snooze for').selectOption({ label: '3 months' });
    await card.getByRole('button', { name: /^Snooze/ }).click();
    await page.waitForURL(/notice=snoozed/);
    const snoozed = await ctx.prisma.contactAddress.findFirstOrThrow({
      where: { address: lapsed },
      include: { contact: true },
    });
    expect(Math.round(((snoozed.contact.snoozedUntil?.getTime() ?? 0) - Date.now()) / 86_400_000)).toBe(91);

    const mute = page.locator('li.person', { hasText: other }).getByRole('button', { name: /^Mute/ });
    await mute.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/notice=muted/);
    const muted = await ctx.prisma.contactAddress.findFirstOrThrow({
      where: { address: other },
      include: { contact: true },
    });
    expect(muted.contact.mutedAt).not.toBeNull();
    await checkPage('people-after');
  });

  it('the digest’s settings link opens the schedule in a browser with no session', async () => {
    const user = await ctx.prisma.user.findUniqueOrThrow({ where: { email: SAMPLE_OWNER.email } });
    const link = settingsLinkUrl(base, createLinkSigner(ctx.config.TOUCHBASE_SECRET), user.id, new Date());
    // A browser with no session: the person's cookies are put aside, and back afterwards.
    const cookies = await browser.context.cookies();
    await browser.context.clearCookies();
    try {
      await page.goto(link);
      expect(await page.locator('h1').textContent()).toBe('Settings');
      expect(await page.getByRole('link', { name: 'sign in' }).isVisible()).toBe(true);
      expect(await page.getByRole('navigation').count()).toBe(0);
      await page.getByRole('button', { name: 'Pause the digest' }).click();
      await page.waitForURL(/notice=paused/);
      expect((await ctx.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).digestPaused).toBe(true);
      await checkPage('settings-link');
      expect(await browser.context.cookies()).toEqual([]);
    } finally {
      await browser.context.addCookies(cookies);
    }
  });

  it('disconnects the mailbox after a confirmation page', async () => {
    await page.goto(`${base}/settings`);
    await page.getByRole('link', { name: `Disconnect ${SAMPLE_OWNER.email}` }).click();
    await checkPage('disconnect');
    await page.getByRole('button', { name: `Disconnect ${SAMPLE_OWNER.email}` }).click();
    await page.waitForURL(/notice=disconnected/);
    expect(await ctx.prisma.mailAccount.count()).toBe(0);
    expect(await ctx.prisma.interaction.count()).toBe(0);
  });

  it('deletes all data and signs out', async () => {
    await page.getByRole('link', { name: 'Delete all my data' }).click();
    await checkPage('delete');
    await page.getByLabel('Type “delete” to confirm').fill('delete');
    await page.getByRole('button', { name: 'Delete everything' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your data is deleted');
    await checkPage('deleted');
    expect(await ctx.prisma.user.count()).toBe(0);
    expect(await ctx.prisma.contact.count()).toBe(0);
    await page.goto(`${base}/people`);
    expect(new URL(page.url()).pathname).toBe('/connect');
  });

  it('a denied consent ends on a clear page', async () => {
    env.fake.setConsent('deny');
    await page.goto(`${base}/connect`);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/oauth/gmail/callback')),
      page.getByRole('button', { name: 'Connect Gmail' }).click(),
    ]);
    expect(response.status()).toBe(403);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Not connected');
    await checkPage('denied');
    expect(await ctx.prisma.user.count()).toBe(0);
  });

  it('error pages are as accessible as the rest', async () => {
    const response = await page.goto(`${base}/no-such-page`);
    expect(response?.status()).toBe(404);
    await checkPage('not-found');
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
