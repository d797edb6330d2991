/**
 * The widget in a real browser against the real local stack (edge + worker child process + fs store +
 * SQLite queue): upload a photo, move a slider with the keyboard, see the preview change, render at full
 * quality, download the PNG. Chromium from Debian (`apt install chromium`); skipped when it is absent.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../packages/shared/src/index.ts';
import { ensureFixtureBundle, hasManifest } from '../../scripts/local-stack/bundle.ts';
import { type LocalStack, startLocalStack } from '../../scripts/local-stack/index.ts';
import { DEFAULT_BUNDLE_DIR, REPO_ROOT } from '../../scripts/local-stack/paths.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PHOTO = path.resolve(REPO_ROOT, '../shared/data/photos/imgs_align_sandy.png');
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts/browser');
const haveBrowser = existsSync(CHROMIUM) && existsSync(PHOTO);

/** SHA-256 of the bytes behind an <img> in the editor's shadow root (fetched inside the page). */
async function imageDigest(page: Page, part: string): Promise<string> {
  return page.evaluate(async (p) => {
    const editor = document.querySelector('diffae-editor');
    const img = editor?.shadowRoot?.querySelector<HTMLImageElement>(`img[part="${p}"]`);
    if (!img?.src) return '';
    const bytes = await (await fetch(img.src)).arrayBuffer();
    const digest = await crypto.subtle.digest('SHA-256', bytes);
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  }, part);
}

/**
 * Waits until the image matched by `selector` (in the editor's shadow root) has a `src` starting with
 * `prefix`, or until the editor reports an error; returns the src, or the errors as JSON (fails fast).
 */
async function srcOrError(page: Page, selector: string, prefix: string, timeout: number): Promise<string> {
  const handle = await page.waitForFunction(
    ([sel, pre]) => {
      const errors = (window as unknown as { editorErrors: unknown[] }).editorErrors;
      if (errors.length) return `errors: ${JSON.stringify(errors)}`;
      const src = document
        .querySelector('diffae-editor')
        ?.shadowRoot?.querySelector(sel)
        ?.getAttribute('src');
      return src?.startsWith(pre) ? src : false;
    },
    [selector, prefix] as const,
    { timeout, polling: 100 },
  );
  return (await handle.jsonValue()) as string;
}

describe.skipIf(!haveBrowser)('<diffae-editor> in Chromium against the local stack', () => {
  let stack: LocalStack;
  let browser: Browser;
  let dir: string;
  const logs: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(path.join(os.tmpdir(), 'diffae-browser-'));
    // The random-weight fixture stands in until the default bundle is built; cached between runs.
    const bundleDir = hasManifest(DEFAULT_BUNDLE_DIR)
      ? undefined
      : await ensureFixtureBundle(path.join(REPO_ROOT, 'test-artifacts/fixture-bundle'));
    stack = await startLocalStack({
      dir,
      port: 0,
      ...(bundleDir && { bundleDir }),
      log: (l) => logs.push(l),
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('uploads, previews a slider edit, renders full quality and downloads the PNG', async () => {
    const t0 = Date.now();
    const context = await browser.newContext({
      acceptDownloads: true,
      viewport: { width: 1000, height: 1300 },
    });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(stack.demoUrl);
    await page.evaluate(() => {
      const w = window as unknown as { editorErrors: unknown[] };
      w.editorErrors = [];
      document
        .querySelector('diffae-editor')
        ?.addEventListener('diffae-error', (e) => w.editorErrors.push((e as CustomEvent).detail));
    });
    try {
      await runFlow(page);
    } finally {
      await page
        .screenshot({ path: path.join(ARTIFACTS, 'editor-last.png'), fullPage: true })
        .catch(() => {});
    }
    expect(pageErrors).toEqual([]);
    await context.close();
    console.info(`browser flow took ${Date.now() - t0} ms`);
  }, 90_000);

  async function runFlow(page: Page): Promise<void> {
    const editor = page.locator('diffae-editor');
    const smiling = editor.locator('input[type="range"][data-attribute="Smiling"]');
    await smiling.waitFor({ state: 'attached', timeout: 15_000 });

    await editor.locator('section[part~="source"] input[type="file"]').setInputFiles(PHOTO);
    expect(await srcOrError(page, 'img[part="preview"]', 'blob:', 30_000)).toMatch(/^blob:/);
    const before = await imageDigest(page, 'preview');
    expect(before).not.toBe('');

    // Keyboard: focus the slider and step it with the arrow keys (each step is one `input` event).
    await smiling.focus();
    for (let i = 0; i < 10; i++) await smiling.press('ArrowRight');
    expect(Number(await smiling.inputValue())).toBeCloseTo(0.5, 5);
    await expect.poll(() => imageDigest(page, 'preview'), { timeout: 30_000 }).not.toBe(before);
    await page.screenshot({ path: path.join(ARTIFACTS, 'editor-preview.png'), fullPage: true });

    await editor.getByRole('button', { name: 'Render full quality' }).click();
    expect(await srcOrError(page, 'section[part~="edit"] img[part="result"]', 'http', 60_000)).toMatch(
      /^http/,
    );
    const result = editor.locator('section[part~="edit"] img[part="result"]');
    await expect
      .poll(() => result.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);

    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 15_000 }),
      editor.getByRole('button', { name: 'Download PNG' }).click(),
    ]);
    const saved = path.join(ARTIFACTS, 'downloaded-result.png');
    await download.saveAs(saved);
    const manifest = JSON.parse(readFileSync(path.join(stack.bundleDir, 'manifest.json'), 'utf8')) as {
      imageSize: number;
    };
    const png = decodeImage(new Uint8Array(readFileSync(saved)));
    expect([png.width, png.height]).toEqual([manifest.imageSize, manifest.imageSize]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'editor-result.png'), fullPage: true });

    // The phone layout: nothing wider than the viewport.
    await page.setViewportSize({ width: 375, height: 812 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'editor-phone.png'), fullPage: true });

    expect(
      await page.evaluate(() => (window as unknown as { editorErrors: unknown[] }).editorErrors),
    ).toEqual([]);
  }
});
