// A long track kept on this device's disk between renders
// (app/worker/src/scratch.rs: the browser's origin-private file system), in
// an everyday browser profile. `self.__preflightScratchFrom = 0` in the
// engine Worker sends even a short file there. Its master must be the master of the same file kept in
// memory, byte for byte (the export), and the command line's to its
// loudness; what the disk holds is the decoded track while the file is open
// (the scratch files' sizes, read back by the page), and the next file
// takes its place (a replaced file's samples do not stay).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { browserSuite, openApp, musicLike, wavBytes, cli, tempDir } from './support.mjs';

const env = browserSuite({ profile: true });
const tmp = tempDir('scratch');

const value = async (page, id) =>
  parseFloat(await (await page.waitForSelector(`#${id}[data-value]`, { timeout: 120_000 })).getAttribute('data-value'));
/** Bytes in the site's scratch files, as the page reads them back from the
 * origin-private file system. */
const usage = (page) => page.evaluate(async () => {
  let bytes = 0;
  for await (const [name, handle] of (await navigator.storage.getDirectory()).entries()) {
    if (name.startsWith('preflight-scratch-')) bytes += (await handle.getFile()).size;
  }
  return bytes;
});
/** [`usage`] once `done(usage)` holds (the Worker writes the track after
 * posting the report), or after 10 s. */
async function usageWhen(page, done, tries = 50) {
  let used = await usage(page);
  for (let i = 0; i < tries && !done(used); i++) {
    await page.waitForTimeout(200);
    used = await usage(page);
  }
  return used;
}

/** Opens `file` in a page (its track on disk if `onDisk`), masters it and exports the
 * master; returns the page, the exported bytes, the after loudness and the
 * origin's storage usage once the file was open. */
async function masterIn(onDisk, file, diskBytes) {
  const { page, errors } = await openApp(env.browser, env.server.url);
  // The engine says it is warm once its scratch file is open; only then is
  // its Worker sure to be among `page.workers()` (set earlier, the setting
  // could miss a Worker not yet started, and the track stay in memory).
  await page.waitForFunction(() => document.documentElement.hasAttribute('data-engine-warm'), null, { timeout: 30_000 });
  // In the engine Worker (and the helper, which ignores it); read at each
  // analysis.
  if (onDisk) for (const w of page.workers()) await w.evaluate(() => { self.__preflightScratchFrom = 0; });
  const base = await usage(page);
  await page.setInputFiles('#file-input', file);
  await value(page, 'integrated');
  // Kept in memory, the usage never grows: 3 s are waited for it.
  const used = (await usageWhen(page, (u) => u - base >= diskBytes, onDisk ? 50 : 15)) - base;
  await page.click('#master');
  const after = await value(page, 'after-integrated');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const saved = join(tmp, `export-${Math.random().toString(36).slice(2)}.wav`);
  await download.saveAs(saved);
  return { page, errors, bytes: await readFile(saved), after, used };
}

test('a track kept on disk masters to the same file as one kept in memory', async () => {
  const mix = join(tmp, 'mix.wav');
  const seconds = 20;
  await writeFile(mix, wavBytes(musicLike(48000, seconds, 9), 48000, 'int16'));
  // On disk as the 16-bit integers they are (app's `Packing`): 2 bytes a sample.
  const diskBytes = seconds * 48000 * 2 * 2;
  const short = join(tmp, 'short.wav');
  await writeFile(short, wavBytes(musicLike(44100, 3, 4), 44100, 'int16'));

  const onDisk = await masterIn(true, mix, diskBytes);
  assert.equal(onDisk.used, diskBytes, 'the scratch file holds the decoded track');
  const inMemory = await masterIn(false, mix, diskBytes);
  assert.equal(inMemory.used, 0, 'a track kept in memory puts nothing on disk');
  assert.equal(onDisk.after, inMemory.after);
  assert.ok(onDisk.bytes.equals(inMemory.bytes), 'the exported masters differ');

  // The command line (which keeps every track in memory) to its loudness.
  const json = join(tmp, 'cli.json');
  const r = cli(['master', mix, '-o', join(tmp, 'cli.wav'), '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const cliAfter = JSON.parse(await readFile(json, 'utf8')).after.loudness.integrated_lufs;
  assert.ok(Math.abs(onDisk.after - cliAfter) <= 0.05, `page ${onDisk.after} vs command line ${cliAfter} LUFS`);

  // The next file takes the first one's place on disk (the in-memory page
  // holds none).
  const before = await usage(onDisk.page);
  const first = await onDisk.page.getAttribute('#integrated', 'data-value');
  await onDisk.page.setInputFiles('#file-input', short);
  await onDisk.page.waitForFunction((v) => {
    const now = document.querySelector('#integrated[data-value]')?.getAttribute('data-value');
    return now !== undefined && now !== null && now !== v;
  }, first, { timeout: 60_000 });
  // The short file (3 s at 44.1 kHz) replaces the long one.
  const shortBytes = 3 * 44100 * 2 * 2;
  const freed = before - await usageWhen(onDisk.page, (u) => before - u >= diskBytes - shortBytes);
  assert.equal(freed, diskBytes - shortBytes, 'the short file took the long one\'s place');
  assert.deepEqual(onDisk.errors, []);
  assert.deepEqual(inMemory.errors, []);
  await onDisk.page.close();
  await inMemory.page.close();
});
