import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core run inside the page (its source evaluated over the DevTools protocol, so the page's
 * CSP, which refuses inline scripts, stays in force for the page's own code).
 */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  // A string, evaluated in the page: this project compiles without the DOM's types.
  const violations = await page.evaluate(`axe
    .run(document, { resultTypes: ['violations'] })
    .then((result) => result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => JSON.stringify(n.target)),
    })))`);
  return (violations as AxeViolation[]).filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export interface ScreenshotFacts {
  file: string;
  width: number;
  height: number;
  /** Distinct byte values in the decoded image data: a blank page has a handful, a page of text hundreds. */
  distinctBytes: number;
  /** Content wider than the viewport (a sideways scroll on a phone). */
  overflowX: number;
  /** The page's h1: visible and inside the viewport's width. */
  heading: { text: string; visible: boolean; insideWidth: boolean };
}

/** A full-page screenshot at a width, written to dir, with what can be checked about it. */
export async function screenshotAt(
  page: Page,
  dir: string,
  name: string,
  width: number,
): Promise<ScreenshotFacts> {
  await page.setViewportSize({ width, height: width < 600 ? 740 : 900 });
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}-${width}.png`);
  const png = await page.screenshot({ path: file, fullPage: true });
  const overflowX = Number(
    await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'),
  );
  const h1 = page.locator('h1').first();
  const box = await h1.boundingBox();
  return {
    file,
    ...pngFacts(png),
    overflowX,
    heading: {
      text: (await h1.textContent())?.trim() ?? '',
      visible: await h1.isVisible(),
      insideWidth: box !== null && box.x >= 0 && box.x + box.width <= width,
    },
  };
}

/** Width, height and a crude measure of content, read from the PNG itself (IHDR + IDAT). */
function pngFacts(png: Buffer): { width: number; height: number; distinctBytes: number } {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const chunks: Buffer[] = [];
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    if (type === 'IDAT') chunks.push(png.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  const data = inflateSync(Buffer.concat(chunks));
  return { width, height, distinctBytes: new Set(data).size };
}
