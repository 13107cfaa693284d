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
  assert.deepEqual(errors, []);
  await page.close();
});
