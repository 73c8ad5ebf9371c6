/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';
import { createCategory, createProducts, createReviews } from './support/factories';
import { startTestServer, type TestServer } from './support/server';

/**
 * The Playground as a person uses it: a real headless Chromium (Debian's, installed by .ci/run)
 * opens the page, every request it makes must stay on this server, and the example query runs.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser) {
  // Loud on purpose: this is the only test allowed to skip, and only where no browser exists.
  process.stderr.write(
    `\n!!! SKIPPING the Playground browser test: no Chromium at ${CHROMIUM}.\n` +
      '!!! Install it (apt-get install chromium) or set CHROMIUM_PATH.\n\n',
  );
}

(haveBrowser ? describe : describe.skip)('GraphQL Playground in a browser', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer({ env: { NODE_ENV: 'development' } });
    const category = await createCategory(server.orm, { name: 'Audio' });
    const [product] = await createProducts(server.orm, [{ name: 'Studio Headphones', category }]);
    await createReviews(server.orm, product!, [5, 4]);
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads with no failed request and none to another host, and runs the example query', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 900 });
    const origin = new URL(server.url).origin;
    const foreign: string[] = [];
    const failed: string[] = [];
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      const url = request.url();
      if (url.startsWith('data:') || url.startsWith('blob:') || url.startsWith(origin)) {
        void request.continue();
      } else {
        foreign.push(url);
        void request.abort();
      }
    });
    page.on('requestfailed', (request) => {
      if (!foreign.includes(request.url())) failed.push(request.url());
    });
    page.on('response', (response) => {
      if (response.status() < 400) return;
      void response.text().then(
        (body) => failed.push(`${response.status()} ${response.url()} → ${body}`),
        () => failed.push(`${response.status()} ${response.url()}`),
      );
    });

    await page.goto(`${server.url}/graphql`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.CodeMirror', { timeout: 30_000 });
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toMatch(/DOCS/);
    expect(text).toMatch(/SCHEMA/);

    // Run the example query of the first tab, as a user would: Ctrl+Enter in the editor.
    await page.click('.CodeMirror');
    await page.keyboard.down('Control');
    await page.keyboard.press('Enter');
    await page.keyboard.up('Control');
    await page.waitForFunction(() => document.body.innerText.includes('Studio Headphones'), {
      timeout: 30_000,
    });
    const result = await page.evaluate(() => document.body.innerText);
    expect(result).toMatch(/"totalCount": 1/);
    expect(result).toMatch(/"name": "Audio"/);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/playground.png` });
    expect(foreign).toEqual([]);
    expect(failed).toEqual([]);
  }, 90_000);
});
