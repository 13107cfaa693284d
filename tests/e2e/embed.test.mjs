// Embed mode in headless Chromium: public/embed-example.html, served from
// another loopback origin, embeds the widget (index.html?embed&…) and
// receives the documented messages — ready, resize, report (the same
// loudness as the command line), cta — from the widget's origin only; the
// widget answers the host's request and ignores the same request from any
// other origin; hostile parameters (a javascript: link, markup in the studio
// name) neither navigate nor run; a file over max_s is refused with one line;
// the widget fits a 600-px column.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { serveDist, launchBrowser, openApp, musicLike, wavBytes, cli, saveArtifact } from './support.mjs';

let app, host, browser;
const tmp = mkdtempSync(join(tmpdir(), 'preflight-embed-'));
const mix = join(tmp, 'client mix.wav');

before(async () => {
  await writeFile(mix, wavBytes(musicLike(48000, 8, 12), 48000, 'int16'));
  app = await serveDist();
  host = await serveDist(); // another port: another origin
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app?.close();
  await host?.close();
});

const received = (page, type) => page.evaluate((t) => window.received.filter((m) => m.type === t), type);
const waitFor = (page, type, n = 1) => page.waitForFunction(
  ({ t, n }) => window.received.filter((m) => m.type === t).length >= n, { t: type, n }, { timeout: 60_000 });

test('a studio page embeds the widget and gets its messages, from its origin only', async () => {
  const r = cli(['analyze', mix, '--json', `${mix}.json`]);
  assert.equal(r.code, 0, r.stderr);
  const expected = JSON.parse(await readFile(`${mix}.json`, 'utf8'));
  const appOrigin = new URL(app.url).origin;
  assert.notEqual(appOrigin, new URL(host.url).origin);
  const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${host.url}embed-example.html?app=${encodeURIComponent(`${app.url}index.html`)}`);
  await waitFor(page, 'preflight:ready');
  await waitFor(page, 'preflight:resize');
  const widget = page.frameLocator('#preflight');
  await widget.locator('#file-input').setInputFiles(mix);
  await waitFor(page, 'preflight:report');
  const [report] = await received(page, 'preflight:report');
  assert.equal(report.summary.name, 'client mix.wav');
  assert.ok(Math.abs(report.summary.integrated_lufs - expected.loudness.integrated_lufs) < 0.05,
    `${report.summary.integrated_lufs} vs ${expected.loudness.integrated_lufs}`);
  // The host sized the iframe from the widget's height. The widget polls its
  // height, so the grown height may follow the report by one poll.
  await page.waitForFunction(() => window.received.some((m) => m.type === 'preflight:resize' && m.height > 420),
    null, { timeout: 10_000 }).catch(() => {});
  const heights = (await received(page, 'preflight:resize')).map((m) => m.height);
  assert.ok(heights.at(-1) > 420, `heights ${heights}`);
  // Sized from the latest height (one more may arrive while this runs).
  await page.waitForFunction(() => {
    const last = window.received.filter((m) => m.type === 'preflight:resize').at(-1).height;
    return parseFloat(document.querySelector('#preflight').style.height) === Math.max(420, last);
  });

  // The widget fits the 600-px column: nothing scrolls sideways.
  const frame = page.frames().find((f) => f.url().startsWith(appOrigin));
  const overflow = await frame.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the widget is ${overflow} px too wide`);
  assert.equal(await frame.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()), '#3fa7ff');
  await saveArtifact('embed-host.png', await page.screenshot({ fullPage: true }));

  // The call to action: the host hears of it; the link opens in a new tab, the host stays.
  const [popup] = await Promise.all([context.waitForEvent('page'), widget.locator('#cta').click()]);
  await popup.close();
  await waitFor(page, 'preflight:cta');
  assert.equal((await received(page, 'preflight:cta'))[0].summary.name, 'client mix.wav');
  assert.ok(page.url().startsWith(host.url), 'the host page was not navigated');

  // A request from the host's origin is answered; the same from another origin is ignored.
  const before = (await received(page, 'preflight:report')).length;
  await frame.evaluate(() => window.postMessage({ type: 'preflight:request-report' }, '*'));
  await page.waitForTimeout(500);
  assert.equal((await received(page, 'preflight:report')).length, before, 'a foreign-origin request was answered');
  await page.evaluate((o) => document.querySelector('#preflight').contentWindow.postMessage({ type: 'preflight:request-report' }, o), appOrigin);
  await waitFor(page, 'preflight:report', before + 1);
  // Every message the host got came from the widget's origin (the host filters; the widget posts only there).
  assert.deepEqual(errors, []);
  await context.close();
});

test('hostile embed parameters neither navigate nor run; a file over max_s is refused', async () => {
  const hostile = '?embed&studio=%3Cimg%20src%3Dx%20onerror%3Dwindow.pwned%3D1%3E&cta=Go&cta_url=javascript%3Awindow.pwned%3D2&max_s=5&accent=red%3Bbackground%3Aurl(x)';
  const { page, errors } = await openApp(browser, `${app.url}index.html${hostile}`);
  assert.equal(await page.textContent('.studio'), '<img src=x onerror=window.pwned=1>');
  assert.equal(await page.$('#cta'), null, 'no link from a javascript: URL');
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()), '#f5b642');
  await page.setInputFiles('#file-input', mix);
  const msg = await (await page.waitForSelector('#error', { timeout: 60_000 })).textContent();
  assert.match(msg, /client mix\.wav: this widget takes files up to 0:05; this one is 0:08/);
  assert.equal(await page.$('#integrated[data-value]'), null);
  assert.deepEqual(errors, []);
  await page.close();
});
