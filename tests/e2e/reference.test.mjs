// A reference track in the page (headless Chromium): the engine Worker keeps
// it; a master then takes its loudness and leans towards its balance — the
// same master the command line makes with `--reference`; a bad reference is
// one line and the kept one stays; removing it brings the streaming target back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { browserSuite, tempDir, openApp, musicLike, wavBytes, cli, saveArtifact } from './support.mjs';

const env = browserSuite();
const tmp = tempDir('ref');

async function cliJson(args) {
  const json = join(tmp, 'out-' + Math.random().toString(36).slice(2) + '.json');
  const r = cli([...args, '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(await readFile(json, 'utf8'));
}

const value = async (page, id) =>
  parseFloat(await (await page.waitForSelector(`#${id}[data-value]`, { timeout: 120_000 })).getAttribute('data-value'));

test('a reference track sets the master\'s loudness and balance, as the command line\'s --reference does', async () => {
  const mix = join(tmp, 'mix.wav');
  await writeFile(mix, wavBytes(musicLike(48000, 12, 31).map((c) => c.map((v) => v * 0.5)), 48000, 'int16'));
  // A louder reference with another balance (a different seed, driven hotter).
  const ref = join(tmp, 'ref.wav');
  await writeFile(ref, wavBytes(musicLike(44100, 10, 77).map((c) => c.map((v) => Math.tanh(v * 2.2) * 0.9)), 44100, 'int16'));
  const bad = join(tmp, 'notes.txt');
  await writeFile(bad, Buffer.from('not audio at all\n'.repeat(50)));
  const refLufs = (await cliJson(['analyze', ref])).loudness.integrated_lufs;
  const cliMaster = await cliJson(['master', mix, '-o', join(tmp, 'cli-master.wav'), '--reference', ref]);
  const cliAfter = cliMaster.after.loudness.integrated_lufs;

  const { page, errors } = await openApp(env.browser, env.server.url);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.setInputFiles('#file-input', mix);
  await value(page, 'integrated');
  await page.setInputFiles('#reference-input', ref);
  await page.waitForSelector('#reference-name');
  assert.match(await page.textContent('#reference-name'), /^ref\.wav · −\d+\.\d LUFS · 0:10/);
  assert.equal(await page.$('#reference-note'), null, 'a 10 s reference is matched: no note');
  assert.equal(await page.inputValue('#target'), 'reference', 'the target follows the reference');
  await page.click('#master');
  const afterI = await value(page, 'after-integrated');
  assert.ok(Math.abs(afterI - cliAfter) <= 0.05, `page ${afterI} vs command line ${cliAfter} LUFS`);
  assert.ok(Math.abs(afterI - refLufs) <= 0.5, `master ${afterI} LUFS vs the reference's ${refLufs}`);
  assert.ok(Math.abs(afterI - -14) > 2, 'not the streaming target');
  await page.locator('.reference').scrollIntoViewIfNeeded();
  await saveArtifact('reference.png', await page.screenshot());

  // A bad reference: one line; the kept one stays.
  await page.setInputFiles('#reference-input', bad);
  await page.waitForSelector('#reference-error');
  assert.match(await page.textContent('#reference-error'), /^notes\.txt: Not a supported audio file/);
  assert.match(await page.textContent('#reference-name'), /^ref\.wav/);

  // Removed: the streaming target again, and the master follows.
  await page.click('#reference-clear');
  await page.waitForFunction(() => !document.querySelector('#reference-name'));
  assert.equal(await page.inputValue('#target'), 'streaming');
  await page.waitForFunction(() => {
    const v = parseFloat(document.querySelector('#after-integrated[data-value]')?.getAttribute('data-value'));
    return Math.abs(v + 14) <= 0.5;
  }, null, { timeout: 120_000 });

  // A reference too short to be a record: the page says the master sets it
  // aside (the engine's words), and the master stays at the streaming target.
  const blip = join(tmp, 'blip.wav');
  await writeFile(blip, wavBytes(musicLike(48000, 1, 5).map((c) => c.map((v) => Math.tanh(v * 2.2) * 0.9)), 48000, 'int16'));
  const shortMaster = await cliJson(['master', mix, '-o', join(tmp, 'cli-short.wav'), '--reference', blip]);
  assert.ok(!shortMaster.decisions.some((d) => d.move === 'reference_eq'), 'the command line sets it aside too');
  // From a loud master first, so that the one with the blip is seen to land.
  await page.selectOption('#target', 'loud');
  await page.waitForFunction(() => {
    const v = parseFloat(document.querySelector('#after-integrated[data-value]')?.getAttribute('data-value'));
    return v > -12;
  }, null, { timeout: 120_000 });
  await page.setInputFiles('#reference-input', blip);
  await page.waitForSelector('#reference-note');
  assert.match(await page.textContent('#reference-note'), /^The reference is 1\.0 s long; matching needs at least 3 s of music/);
  assert.equal(await page.inputValue('#target'), 'reference');
  await page.waitForFunction(() => {
    const v = parseFloat(document.querySelector('#after-integrated[data-value]')?.getAttribute('data-value'));
    return Math.abs(v + 14) <= 0.5;
  }, null, { timeout: 120_000 });
  assert.doesNotMatch(await page.textContent('.master'), /reference match/);
  await page.locator('.reference').scrollIntoViewIfNeeded();
  await saveArtifact('reference-too-short.png', await page.screenshot());
  assert.deepEqual(errors, []);
  await page.close();
});
