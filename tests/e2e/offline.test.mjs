// Offline use, in headless Chromium against the built site (dist/): the
// service worker (dist/sw.js, written by scripts/build-sw.sh) precaches
// every built file on the first visit; after that the app loads and analyses
// with the network gone. A new build replaces the old one — and its cache —
// only while the page holds no file, so a page never mixes two builds.
// Each test has its own server and a fresh browser context (its own service
// worker registration and caches).
// Build first: `trunk build --release --offline --skip-version-check` and
// `cargo build --release -p dsp-wasm` (scripts/test.sh does both).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { serveDist, launchBrowser, musicLike, wavBytes, cli, headerCsp, waitUntilLoaded, DIST } from './support.mjs';

let browser;
const tmp = mkdtempSync(join(tmpdir(), 'preflight-offline-'));

before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function serve() {
  return serveDist({ headers: { 'content-security-policy': await headerCsp() } });
}

async function openFresh(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await waitUntilLoaded(page);
  return { context, page, errors };
}

const cacheNames = (page) => page.evaluate(() => caches.keys());

/** Polls `fn` in the page until it returns true (surviving the page's own reloads). */
async function eventually(page, fn, what, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try { if (await page.evaluate(fn)) return; } catch { /* the page is reloading */ }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

test('after one visit, the app loads, analyses and plays with the network gone', async () => {
  const server = await serve();
  const path = join(tmp, 'offline mix.wav');
  await writeFile(path, wavBytes(musicLike(44100, 6, 9), 44100, 'int16'));
  const json = join(tmp, 'offline.json');
  const r = cli(['analyze', path, '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const expected = JSON.parse(await readFile(json, 'utf8'));

  const { context, page, errors } = await openFresh(server.url);
  const built = (await readFile(join(DIST, 'sw.js'), 'utf8')).match(/const VERSION = '([0-9a-f]+)'/)[1];
  assert.deepEqual(await cacheNames(page), [`preflight-${built}`]);
  // Offline for real: the browser's network emulation, and the server gone.
  await context.setOffline(true);
  await server.goOffline();
  const failed = [];
  context.on('requestfailed', (req) => failed.push(req.url()));
  await page.reload();
  await waitUntilLoaded(page);
  await page.setInputFiles('#file-input', path);
  const el = await page.waitForSelector('#integrated[data-value]', { timeout: 60_000 });
  const integrated = parseFloat(await el.getAttribute('data-value'));
  assert.ok(Math.abs(integrated - expected.loudness.integrated_lufs) <= 0.1,
    `offline page ${integrated} LUFS vs CLI ${expected.loudness.integrated_lufs}`);
  await page.click('#play');
  await page.waitForFunction(() => document.querySelector('#play').textContent === 'Pause');
  await page.click('#play');
  assert.equal(await page.$('.player-error'), null);
  assert.deepEqual(failed, [], 'requests that needed the network');
  assert.deepEqual(errors, []);
  await context.close();
});

/** Serves the next build from now on: a changed sw.js and a marked index.html. */
function nextBuild(server) {
  server.rewrite = (rel, body) => {
    if (rel === '/sw.js') return Buffer.from(body.toString().replace(/const VERSION = '([0-9a-f]+)'/, "const VERSION = '$1-next'"));
    if (rel === '/index.html') return Buffer.from(body.toString().replace(/<html lang="?en"?>/, '<html lang="en" data-build="next">'));
    return body;
  };
}

test('a new build replaces the old one and its cache, once the page holds no file', async () => {
  const server = await serve();
  const { context, page, errors } = await openFresh(server.url);
  const [old] = await cacheNames(page);
  nextBuild(server);
  // The next visit still starts from the old build's cache; the browser
  // fetches the new sw.js, which installs; the idle page lets it take over
  // and reloads into the new build.
  await page.reload();
  await eventually(page, () => document.documentElement.dataset.build === 'next', 'the new build to take over');
  await waitUntilLoaded(page);
  const names = await cacheNames(page);
  assert.equal(names.length, 1, `caches: ${names}`);
  assert.equal(names[0], `${old}-next`);
  assert.deepEqual(errors, []);
  await context.close();
  await server.close();
});

test('a new build waits while the page holds a file, and starts on the next visit', async () => {
  const server = await serve();
  const { context, page, errors } = await openFresh(server.url);
  const [old] = await cacheNames(page);
  const path = join(tmp, 'busy.wav');
  await writeFile(path, wavBytes(musicLike(44100, 3, 2), 44100, 'int16'));
  await page.setInputFiles('#file-input', path);
  await page.waitForSelector('#integrated[data-value]', { timeout: 60_000 });
  nextBuild(server);
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
  await eventually(page, async () => (await navigator.serviceWorker.getRegistration()).waiting !== null, 'the new build to install');
  await page.waitForTimeout(1500);
  // Not taken over: same document (the report is still there), old build, both caches.
  assert.ok(await page.$('#integrated[data-value]'), 'the page was reloaded under the user');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.build), undefined);
  assert.deepEqual((await cacheNames(page)).sort(), [old, `${old}-next`].sort());
  // Once that page is gone, the next visit gets the new build, and the old cache is deleted.
  await page.close();
  const next = await context.newPage();
  await next.goto(server.url);
  await eventually(next, () => document.documentElement.dataset.build === 'next', 'the new build on the next visit');
  await waitUntilLoaded(next);
  assert.deepEqual(await cacheNames(next), [`${old}-next`]);
  assert.deepEqual(errors, []);
  await context.close();
  await server.close();
});
