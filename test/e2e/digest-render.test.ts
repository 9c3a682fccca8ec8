import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandSigner } from '../../src/commands/command-token.ts';
import { renderDigest } from '../../src/digest/render-digest.ts';
import { sendDigest } from '../../src/digest/send-digest.ts';
import { digestMessageId } from '../../src/digest/send-weekly-digest.ts';
import type { DigestContent, DigestItem, RenderedDigest } from '../../src/digest/types.ts';
import { generateSecret } from '../../src/lib/token-cipher.ts';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';

/**
 * The digest's HTML as a person sees it: rendered by headless Chromium at a phone's and a
 * desktop's width, light and dark, and scored by SpamAssassin as a receiving server would.
 */

const SCREENSHOTS = path.resolve('test-results/digest-render');
const PUBLIC_URL = 'https://touchbase.example';
const USER = 'sam.rivera@example.com';
const NOW = new Date();
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);

function item(n: number, kind: DigestItem['kind'], overrides: Partial<DigestItem>): DigestItem {
  return {
    n,
    kind,
    contact: { id: `c${n}`, name: `Person ${n}`, emails: [`p${n}@example.com`] },
    lastContactAt: daysAgo(30),
    cadenceDays: null,
    lastDirection: null,
    subject: null,
    threadId: null,
    since: null,
    ...overrides,
  };
}

/** What most people get: a few lapsed friends and a couple of follow-ups. */
function typical(): DigestContent {
  return {
    user: { email: USER, name: 'Sam Rivera', timeZone: 'Europe/Berlin' },
    period: '2025-W24',
    generatedAt: NOW,
    notices: [],
    reading: [],
    items: [
      item(1, 'lapsed', {
        contact: { id: 'maya', name: 'Maya Chen', emails: ['maya.chen@example.org'] },
        lastContactAt: daysAgo(122),
        cadenceDays: 21,
        lastDirection: 'sent',
        subject: 'Lisbon photos',
      }),
      item(2, 'lapsed', {
        contact: { id: 'tom', name: 'Tom Okafor', emails: ['tom@example.net'] },
        lastContactAt: daysAgo(75),
        cadenceDays: 30,
        lastDirection: 'received',
        subject: 'Re: climbing on Saturday',
      }),
      item(3, 'owe-reply', {
        contact: { id: 'jonas', name: 'Jonas Weber', emails: ['jonas.weber@example.de'] },
        since: daysAgo(5),
        subject: 'Dinner on Friday?',
      }),
      item(4, 'awaiting-reply', {
        contact: { id: 'priya', name: 'Priya Natarajan', emails: ['priya@example.com'] },
        since: daysAgo(9),
        subject: 'Draft of the wedding speech',
      }),
    ],
  };
}

/**
 * The widest content there is: ten items, notices, mailboxes still being read, and strings with
 * no place to break.
 */
function worstCase(): DigestContent {
  const address = 'maximiliana.alexandra.von-hohenzollern-sigmaringen@extremely-long-subdomain.example.org';
  const items = Array.from({ length: 10 }, (_, i) =>
    item(i + 1, (['lapsed', 'owe-reply', 'awaiting-reply'] as const)[i % 3] ?? 'lapsed', {
      contact: {
        id: `w${i}`,
        name: i % 2 === 0 ? null : `Dr. Bartholomew-Fitzgerald Ravenscroft-Wetherington ${i}`,
        emails: [i === 4 ? 'x@example.com' : address.replace('@', `${i}@`)],
      },
      lastContactAt: i === 6 ? null : daysAgo(40 + i * 30),
      cadenceDays: i % 3 === 0 ? 14 : null,
      lastDirection: i % 3 === 0 ? 'sent' : null,
      since: daysAgo(3 + i),
      subject: `Supercalifragilisticexpialidocious_${'x'.repeat(70)} ${'🙂'.repeat(5)} "quoted" & <tags>`,
    }),
  );
  return {
    ...typical(),
    user: {
      email: address,
      name: 'Wolfeschlegelsteinhausenbergerdorff Hubert Blaine',
      timeZone: 'Asia/Kolkata',
    },
    notices: [
      {
        email: address,
        provider: 'outlook',
        problem: 'Access was revoked, so nothing has synced since Tuesday',
        fix: `Reconnect at ${PUBLIC_URL}/accounts/reconnect?account=${encodeURIComponent(address)}&provider=outlook`,
      },
      { email: 'sam@gmail.example', provider: 'gmail', problem: 'Token expired', fix: 'Reconnect it' },
    ],
    reading: [
      { email: address, provider: 'gmail', listed: 123_456, percent: 37, secondsLeft: 200_000 },
      { email: 'new@example.com', provider: 'outlook', listed: 0, percent: null, secondsLeft: null },
    ],
    items,
  };
}

function allCaughtUp(): DigestContent {
  return { ...typical(), items: [] };
}

const CASES = { typical, 'worst-case': worstCase, 'all-caught-up': allCaughtUp } as const;
type CaseName = keyof typeof CASES;

function render(content: DigestContent): RenderedDigest {
  return renderDigest(content, {
    publicUrl: PUBLIC_URL,
    commandTag: createCommandSigner(generateSecret()).tag('cm0digest0000000000000000'),
  });
}

interface Box {
  text: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
  /** Wider content than its box, hidden by overflow or pushed out. */
  clipped: boolean;
  /** Text colour against the nearest background behind it. */
  contrast: number;
}

// The little of the page's DOM that the in-page checks use: the project compiles without lib.dom,
// and these functions run in Chromium, where the real ones exist.
interface PageRect {
  left: number;
  right: number;
  top: number;
  bottom: number;
}
interface PageElement {
  parentElement: PageElement | null;
  scrollWidth: number;
  clientWidth: number;
  textContent: string | null;
  getBoundingClientRect(): PageRect;
  querySelector(selector: string): PageElement | null;
}
declare function getComputedStyle(element: PageElement): {
  backgroundColor: string;
  color: string;
  display: string;
  overflowX: string;
  overflowY: string;
};
declare const document: { documentElement: PageElement };
declare const window: { innerWidth: number };

/** Layout facts about the elements matching `selector`, leaving out those that contain another. */
async function measure(page: Page, selector: string): Promise<Box[]> {
  return page.$$eval(
    selector,
    (all: PageElement[], selector: string) => {
      const elements = all.filter((el) => el.querySelector(selector) === null);
      const rgb = (value: string): number[] => (value.match(/[\d.]+/g) ?? []).map(Number);
      const luminance = ([r = 0, g = 0, b = 0]: number[]) => {
        const lin = (c: number) => {
          const s = c / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
      };
      const background = (el: PageElement): number[] => {
        for (let node: PageElement | null = el; node; node = node.parentElement) {
          const parts = rgb(getComputedStyle(node).backgroundColor);
          if (parts.length === 3 || (parts.length === 4 && parts[3] !== 0)) return parts;
        }
        return [255, 255, 255];
      };
      return elements.map((el) => {
        const rect = el.getBoundingClientRect();
        let clipped = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).display !== 'inline';
        for (let node = el.parentElement; node; node = node.parentElement) {
          const style = getComputedStyle(node);
          if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
          const outer = node.getBoundingClientRect();
          if (rect.left < outer.left - 1 || rect.right > outer.right + 1) clipped = true;
        }
        const fg = luminance(rgb(getComputedStyle(el).color));
        const bg = luminance(background(el));
        return {
          text: (el.textContent ?? '').trim(),
          left: rect.left,
          right: rect.right,
          top: rect.top,
          bottom: rect.bottom,
          clipped,
          contrast: (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05),
        };
      });
    },
    selector,
  );
}

describe('digest HTML in headless Chromium', () => {
  let browser: TestBrowser;

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  const runs = Object.keys(CASES).flatMap((name) =>
    (['light', 'dark'] as const).flatMap((scheme) =>
      [375, 800].map((width) => ({ name: name as CaseName, scheme, width })),
    ),
  );

  it.each(runs)(
    '$name at $width px ($scheme): nothing cut off, no horizontal scroll',
    async ({ name, scheme, width }) => {
      const content = CASES[name]();
      const { html, text } = render(content);
      const page = await browser.context.newPage();
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      try {
        await page.setViewportSize({ width, height: 900 });
        await page.emulateMedia({ colorScheme: scheme });
        await page.setContent(html, { waitUntil: 'load' });
        await page.screenshot({
          path: path.join(SCREENSHOTS, `${name}-${width}-${scheme}.png`),
          fullPage: true,
        });

        const viewport = await page.evaluate(() => ({
          scrollWidth: document.documentElement.scrollWidth,
          innerWidth: window.innerWidth,
        }));
        expect(viewport.scrollWidth).toBeLessThanOrEqual(viewport.innerWidth);
        // Images, fonts or tracking pixels would be fetched here; the digest has none.
        expect(requests).toEqual([]);

        const inView = (box: Box) =>
          box.left >= 0 && box.right <= viewport.innerWidth && box.right > box.left;

        // Each item's sentence, as the text part words it, is on screen in one readable block.
        const sentences = text.split('\n').filter((line) => /^\d+\. /.test(line));
        expect(sentences).toHaveLength(content.items.length);
        const blocks = await measure(page, 'td > div');
        for (const sentence of sentences) {
          const block = blocks.find((box) => box.text === sentence);
          expect(block, sentence).toBeDefined();
          if (!block) continue;
          expect(inView(block), `${sentence} at ${block.left}..${block.right}`).toBe(true);
          expect(block.clipped, sentence).toBe(false);
          expect(block.contrast, sentence).toBeGreaterThanOrEqual(4.5);
        }
        // Readable in both palettes: no text left light-on-light or dark-on-dark.
        const labels = await measure(page, '[class^="tb-accent-"]');
        for (const box of [...blocks, ...labels].filter((b) => b.text !== '')) {
          expect(box.contrast, box.text).toBeGreaterThanOrEqual(4.5);
        }
        // Each mailbox still being read is said, readably, as the text part says it.
        const reading = text
          .split('\n')
          .filter((line) => /^touchbase (is still|has not started) reading/.test(line));
        expect(reading).toHaveLength(content.reading.length);
        for (const sentence of reading) {
          const block = blocks.find((box) => box.text === sentence);
          expect(block && inView(block) && !block.clipped, sentence).toBe(true);
          expect(block?.contrast).toBeGreaterThanOrEqual(4.5);
        }
        for (const notice of content.notices) {
          const block = blocks.find((box) => box.text.includes(notice.problem));
          expect(block && inView(block) && !block.clipped, notice.problem).toBe(true);
          expect(block?.contrast).toBeGreaterThanOrEqual(4.5);
        }

        // Every link, the one-click buttons above all, can be seen and tapped whole.
        const links = await measure(page, 'a[href]');
        expect(links.length).toBe(
          1 + content.items.reduce((sum, i) => sum + 3 + (i.contact.emails[0] ? 1 : 0), 0),
        );
        const buttons = await measure(page, 'a.tb-button');
        expect(buttons).toHaveLength(links.length - 1);
        for (const button of buttons) {
          // Big enough to tap: 20px of text plus padding.
          expect(button.bottom - button.top, button.text).toBeGreaterThanOrEqual(36);
        }
        for (const link of links) {
          expect(inView(link), `${link.text} at ${link.left}..${link.right}`).toBe(true);
          expect(link.clipped, link.text).toBe(false);
          expect(link.contrast, link.text).toBeGreaterThanOrEqual(4.5);
        }
      } finally {
        await page.close();
      }
    },
  );
});

describe('digest spam score', () => {
  it('a typical digest from the outbox scores below 2 in SpamAssassin (local tests only)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'touchbase-spam-'));
    try {
      const sent = await sendDigest(
        { kind: 'outbox', dir },
        {
          from: 'touchbase <digest@touchbase.example>',
          to: USER,
          replyTo: USER,
          messageId: digestMessageId('cm0user00000000000000000', '2025-W24', PUBLIC_URL),
          rendered: render(typical()),
          date: NOW,
        },
      );
      const eml = await readFile(sent.location ?? '');
      // Its own HOME: SpamAssassin keeps per-user state (Bayes, auto-whitelist) under ~/.spamassassin.
      const report = await run('spamassassin', ['--local', '--test-mode'], eml, {
        ...process.env,
        HOME: dir,
      });
      const { score, tests, details } = spamStatus(report);
      console.info(`SpamAssassin score ${score}: ${tests.join(', ')}`);
      expect(score, details).toBeLessThan(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Score and rules from what SpamAssassin prints in test mode: headers and a points table. */
function spamStatus(report: string): { score: number; tests: string[]; details: string } {
  const headers = report.split(/\r?\n\r?\n/)[0] ?? '';
  const status = headers.replace(/\r?\n[ \t]+/g, ' ').match(/^X-Spam-Status: (.*)$/m)?.[1];
  const score = status?.match(/score=(-?[\d.]+)/)?.[1];
  if (!status || score === undefined)
    throw new Error(`no X-Spam-Status in SpamAssassin's output:\n${report}`);
  // The list is folded after its commas: "tests=A,B,\n\tC autolearn=...".
  const list = status.match(/tests=(.*?)(?: autolearn=| version=|$)/)?.[1] ?? '';
  const tests = list
    .split(',')
    .map((test) => test.trim())
    .filter((test) => test !== '' && test !== 'none');
  const details = report.match(/Content analysis details:[\s\S]*?(?=\r?\n\r?\n\S|$)/)?.[0] ?? '';
  return { score: Number(score), tests, details };
}

function run(command: string, args: string[], input: Buffer, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) =>
      reject(new Error(`${command} could not start (.ci/run installs it): ${error.message}`)),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`${command} exited with ${code}: ${Buffer.concat(err).toString('utf8')}`));
    });
    child.stdin.end(input);
  });
}
