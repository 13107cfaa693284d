// Share links in headless Chromium, end to end: a mastered file's "Copy
// share link" gives a link under 2,000 characters with no audio in it;
// opening it in a fresh page shows the summary before any file; dropping
// the same file plays exactly the link's chain (the same chain JSON, the
// same after loudness); dropping another file says so and analyses it
// fresh; a damaged link gives one clear line and the page still works. The
// server receives nothing after load throughout (the link never leaves the
// page: a fragment is not sent).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { serveDist, launchBrowser, openApp, musicLike, wavBytes, saveArtifact } from './support.mjs';

let server, browser;
const tmp = mkdtempSync(join(tmpdir(), 'preflight-share-'));
const SR = 48000;
const song = join(tmp, 'song.wav');
const other = join(tmp, 'other.wav');

before(async () => {
  const chans = musicLike(SR, 12, 9);
  for (let i = 6 * SR; i < 12 * SR; i++) {
    const v = 0.2 * Math.sin(2 * Math.PI * 3150 * i / SR);
    chans[0][i] += v;
    chans[1][i] += v;
  }
  await writeFile(song, wavBytes(chans, SR, 'int16'));
  await writeFile(other, wavBytes(musicLike(SR, 12, 10), SR, 'int16'));
  server = await serveDist();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const afterLufs = (page) => page.$eval('#after-integrated', (e) => parseFloat(e.dataset.value));

test('a share link carries the master without audio; the same file plays the same chain, another does not', async () => {
  // The sharer: analyse, master, make the link.
  const { page, errors } = await openApp(browser, server.url);
  await page.setInputFiles('#file-input', song);
  await page.waitForSelector('#integrated[data-value]', { timeout: 60_000 });
  await page.click('#master');
  await page.waitForSelector('#after-integrated[data-value]', { timeout: 120_000 });
  const sharedChain = await page.evaluate(() => window.__preflightChain);
  const sharedLufs = await afterLufs(page);
  await page.click('#share-button');
  const link = await (await page.waitForSelector('#share-link')).inputValue();
  console.log(`share link: ${link.length} characters`);
  assert.ok(link.length < 2000, `${link.length} characters`);
  assert.match(link, /#share=1\.[A-Za-z0-9_-]+$/);
  assert.equal(await page.getAttribute('.share-length', 'data-length'), String(link.length));
  await saveArtifact('share-link.png', await (await page.$('section.share')).screenshot());
  assert.deepEqual(errors, []);
  await page.close();

  // The recipient: the summary first, then the same file plays the same chain.
  const { page: r, errors: rErrors } = await openApp(browser, link);
  const loadedAt = Date.now();
  await r.waitForSelector('#shared-preview');
  assert.equal(await r.textContent('#shared-name'), 'song.wav');
  assert.ok(await r.$('#shared-preview li[data-risk-id="harshness"]'), 'the risks are listed');
  await saveArtifact('share-opened.png', await r.screenshot({ fullPage: true }));
  await r.setInputFiles('#file-input', song);
  await r.waitForSelector('#after-integrated[data-value]', { timeout: 60_000 });
  assert.equal(await r.evaluate(() => window.__preflightChain), sharedChain);
  assert.ok(Math.abs(await afterLufs(r) - sharedLufs) < 0.01, `${await afterLufs(r)} vs ${sharedLufs}`);
  assert.match(await r.textContent('#share-note'), /matches/);
  assert.equal(await r.$('#shared-preview'), null, 'the summary gives way to the full report');
  // The shared master downloads like any master.
  const [download] = await Promise.all([r.waitForEvent('download'), r.click('#export')]);
  assert.match(download.suggestedFilename(), /song \(Preflight master\)\.wav/);
  assert.deepEqual(rErrors, []);
  await r.close();

  // Another file: said so, analysed fresh, no master.
  const { page: o, errors: oErrors } = await openApp(browser, link);
  await o.waitForSelector('#shared-preview');
  await o.setInputFiles('#file-input', other);
  await o.waitForSelector('#share-note:has-text("not the file")', { timeout: 60_000 });
  assert.equal(await o.$('#after-integrated'), null);
  assert.ok(await o.$('#integrated[data-value]'));
  assert.deepEqual(oErrors, []);
  await o.close();

  // Nothing went to the server after the pages loaded (only GETs of the app).
  const late = server.log.filter((e) => e.method !== 'GET' || e.path.includes('share='));
  assert.deepEqual(late, [], 'the server never sees the link or anything but GETs');
  void loadedAt;
});

test('a damaged link gives one clear line and the page still works', async () => {
  const { page, errors } = await openApp(browser, `${server.url}#share=1.eJzLSM3JyVcozy_KSQEAGgQEXQ_BROKEN`);
  const note = await (await page.waitForSelector('#share-note')).textContent();
  assert.match(note, /^This /);
  assert.equal(note.split('\n').length, 1);
  await page.setInputFiles('#file-input', other);
  await page.waitForSelector('#integrated[data-value]', { timeout: 60_000 });
  assert.deepEqual(errors, []);
  await page.close();
});
