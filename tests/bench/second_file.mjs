// A second file dropped right after the first report: is it slowed by the
// helper Worker being started afresh once its half of the first analysis is
// delivered (app/src/worker_client.rs)? Times drop-to-figures, on the page's
// clock, for a first file on a warm page and for a second file dropped the
// moment the first file's figures appear, both 4-min 48 kHz stereo WAVs
// (46 MB: analysed in two halves, one by the helper).
//
//   node tests/bench/second_file.mjs [runs=3]
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { serveDist, launchBrowser, openApp } from '../e2e/support.mjs';
import { realMusic } from './music.mjs';

const runs = Number(process.argv[2] || 3);
// Two different tracks of real music (./music.mjs).
const files = ['target', 'reference'].map((track) => realMusic(join(tmpdir(), `preflight-second-${track}.wav`), 240, { track }));
const server = await serveDist();
const browser = await launchBrowser();
const first = [], second = [];
try {
  for (let r = 0; r < runs; r++) {
    const { page, errors } = await openApp(browser, server.url);
    await page.waitForSelector('html[data-engine-warm][data-helper-warm]', { timeout: 60_000 });
    // Each new report's figures, stamped when they appear.
    await page.evaluate(() => {
      window.__reports = [];
      let last = null;
      new MutationObserver(() => {
        const v = document.querySelector('#integrated[data-value]')?.dataset.value;
        const name = document.querySelector('#file-name')?.textContent;
        const key = `${name}|${v}`;
        if (v !== undefined && key !== last) { last = key; window.__reports.push(Date.now()); }
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    const t0 = Date.now();
    await page.setInputFiles('#file-input', files[0]);
    await page.waitForFunction(() => window.__reports.length >= 1, null, { timeout: 120_000, polling: 5 });
    const t1 = Date.now();
    await page.setInputFiles('#file-input', files[1]);
    await page.waitForFunction(() => window.__reports.length >= 2, null, { timeout: 120_000, polling: 5 });
    const [a, b] = await page.evaluate(() => window.__reports);
    first.push(a - t0);
    second.push(b - t1);
    if (errors.length) console.error('page errors:', errors);
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
  for (const f of files) await rm(f, { force: true });
}
const median = (x) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];
console.log(`first file on a warm page: ${first.join(', ')} ms (median ${median(first)})`);
console.log(`second file dropped as the first's figures appear: ${second.join(', ')} ms (median ${median(second)})`);
