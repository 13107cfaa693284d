// The flow's robustness in headless Chromium: Cancel really stops the work
// (the Workers are restarted), leaves the page usable, and late results of
// the cancelled work change nothing; a cancelled master keeps the report and
// the next master works; a new file keeps the last result on screen until
// its own report, and a bad or cancelled one brings it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { browserSuite, tempDir, openApp, musicLike, wavBytes, saveArtifact, cli, typeset } from './support.mjs';

const env = browserSuite();
const tmp = tempDir('flow');

test('Cancel stops an analysis at once; the next file works', async () => {
  const long = join(tmp, 'long.wav');
  await writeFile(long, wavBytes(musicLike(48000, 600, 4), 48000, 'int16'));
  const short = join(tmp, 'short.wav');
  await writeFile(short, wavBytes(musicLike(48000, 6, 2), 48000, 'int16'));
  const { page, errors } = await openApp(env.browser, env.server.url);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.setInputFiles('#file-input', long);
  await page.waitForSelector('#cancel', { timeout: 10_000 });
  await saveArtifact('progress.png', await page.screenshot());
  await page.click('#cancel', { timeout: 10_000 });
  await page.waitForSelector('#cancelled');
  assert.match(await page.textContent('#cancelled'), /long\.wav: cancelled/);
  // Nothing of the cancelled file arrives later.
  await page.waitForTimeout(4000);
  assert.equal(await page.$('#integrated[data-value]'), null);
  assert.equal(await page.$('#progress'), null);
  await page.setInputFiles('#file-input', short);
  await page.waitForSelector('#integrated[data-value]', { timeout: 60_000 });
  assert.equal(await page.textContent('#file-name'), 'short.wav');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the last result stays while a new file is analysed; a bad or cancelled file brings it back', async () => {
  const first = join(tmp, 'first.wav');
  await writeFile(first, wavBytes(musicLike(48000, 6, 11), 48000, 'int16'));
  const bad = join(tmp, 'lyrics.txt');
  await writeFile(bad, Buffer.from('these are lyrics, not audio\n'.repeat(40)));
  const long = join(tmp, 'long-next.wav');
  await writeFile(long, wavBytes(musicLike(48000, 600, 12), 48000, 'int16'));
  const second = join(tmp, 'second.wav');
  await writeFile(second, wavBytes(musicLike(44100, 5, 13), 44100, 'int16'));
  const { page, errors } = await openApp(env.browser, env.server.url);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.setInputFiles('#file-input', first);
  await page.waitForSelector('#integrated[data-value]', { timeout: 60_000 });
  const firstLufs = await page.getAttribute('#integrated', 'data-value');
  // A bad file: one line, and the result is still there and usable.
  await page.setInputFiles('#file-input', bad);
  await page.waitForSelector('#error');
  assert.match(await page.textContent('#error'), /^lyrics\.txt: Not a supported audio file/);
  assert.equal(await page.textContent('#file-name'), 'first.wav');
  assert.equal(await page.getAttribute('#integrated', 'data-value'), firstLufs);
  assert.equal(await page.$('.results[inert]'), null, 'active again');
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  // A long file: while it is analysed the last result stays, dimmed and inert.
  await page.setInputFiles('#file-input', long);
  await page.waitForSelector('#cancel', { timeout: 10_000 });
  await page.waitForSelector('.results.stale[inert]');
  assert.match(await page.textContent('#stale-note'), /first\.wav stays shown/);
  assert.equal(await page.textContent('#file-name'), 'first.wav');
  await page.evaluate(() => window.scrollTo(0, 0));
  await saveArtifact('stale-result.png', await page.screenshot());
  // Cancelled: the last result is active again (the fresh engine re-reads its file).
  await page.click('#cancel');
  await page.waitForSelector('.results:not([inert])');
  assert.equal(await page.textContent('#file-name'), 'first.wav');
  await page.waitForSelector('#integrated[data-value]');
  assert.equal(await page.getAttribute('#integrated', 'data-value'), firstLufs);
  // The engine has the file again: a master of it works.
  await page.waitForFunction(() => !document.querySelector('#master').disabled);
  await page.click('#master');
  await page.waitForSelector('#after-integrated[data-value]', { timeout: 120_000 });
  // The next good file replaces it all.
  await page.setInputFiles('#file-input', second);
  await page.waitForFunction(() => document.querySelector('#file-name')?.textContent === 'second.wav', null, { timeout: 60_000 });
  assert.equal(await page.$('#after-integrated'), null);
  assert.equal(await page.$('.results[inert]'), null);
  assert.deepEqual(errors, []);
  await page.close();
});

test('Cancel stops a master; the report stays and the next master works', async () => {
  const mix = join(tmp, 'minute.wav');
  const chans = musicLike(48000, 60, 6);
  for (let i = 0; i < chans[0].length; i++) {
    const v = 0.15 * Math.sin(2 * Math.PI * 3150 * i / 48000);
    chans[0][i] += v;
    chans[1][i] += v;
  }
  await writeFile(mix, wavBytes(chans, 48000, 'int16'));
  const { page, errors } = await openApp(env.browser, env.server.url);
  await page.setInputFiles('#file-input', mix);
  await page.waitForSelector('#integrated[data-value]', { timeout: 60_000 });
  await page.click('#master');
  await page.click('#cancel-master', { timeout: 10_000 });
  await page.waitForSelector('#master-error:has-text("cancelled")');
  assert.ok(await page.$('#integrated[data-value]'), 'the report stays');
  await page.waitForTimeout(1500);
  assert.equal(await page.$('#after-integrated'), null, 'no master arrives late');
  await page.waitForFunction(() => !document.querySelector('#master').disabled);
  await page.click('#master');
  await page.waitForSelector('#after-integrated[data-value]', { timeout: 180_000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('Try a demo mix: the song is made in the browser and its chorus problems are found', async () => {
  const { page, errors } = await openApp(env.browser, env.server.url);
  await page.setViewportSize({ width: 1280, height: 800 });
  await saveArtifact('landing.png', await page.screenshot());
  await page.click('#demo');
  await page.waitForSelector('#integrated[data-value]', { timeout: 60_000 });
  assert.equal(await page.textContent('#file-name'), 'Preflight demo mix.wav');
  assert.equal(await page.textContent('#duration'), '0:24');
  for (const id of ['harshness', 'sibilance', 'low_end_instability']) {
    assert.ok(await page.$(`li[data-risk-id="${id}"]`), `${id} card`);
  }
  // The harsh chorus starts at 0:12: the worst moment is in it (its range
  // may begin up to one 3-s analysis window earlier).
  const worst = parseFloat(await page.getAttribute('li[data-risk-id="harshness"] .chip.worst', 'data-start-s'));
  assert.ok(worst >= 9, `harshness worst at ${worst} s`);
  // Mastered, each risk card says what the master did about it, as the
  // master's own report (the JSON export) has it: the moves that answer it,
  // or why none; its level in the master; and the numbers behind it.
  await page.click('#master');
  await page.waitForSelector('#after-integrated[data-value]', { timeout: 120_000 });
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  const saved = join(tmp, 'demo-master.json');
  await dl.saveAs(saved);
  const master = JSON.parse(await readFile(saved, 'utf8'));
  const risks = master.before.risks.filter((r) => r.level !== 'info');
  assert.ok(risks.length >= 3, `${risks.length} risks`);
  assert.ok(master.decisions.some((d) => d.addresses.includes('harshness')), 'the demo\'s harshness gets a move');
  for (const risk of risks) {
    const card = `#risks li[data-risk-id="${risk.id}"]`;
    const text = (await page.textContent(`${card} .verdict`)).replace(/\s+/g, ' ');
    const moves = master.decisions.filter((d) => d.addresses.includes(risk.id));
    // Each move by its label, or a second pass of the same move by its amount
    // (the page signs numbers with a true minus: "bell 49 Hz −8.0 dB").
    for (const d of moves) {
      const label = typeset(d.label);
      const cut = label.lastIndexOf(', ') >= 0 ? label.lastIndexOf(', ') : label.indexOf(': ');
      const amount = cut < 0 ? label : label.slice(cut + 2);
      assert.ok(text.includes(label) || text.includes(`a second pass${label.slice(cut)}`) && cut >= 0, `${risk.id}: "${text}" names ${label}`);
      assert.ok(text.includes(amount), `${risk.id}: "${text}" gives ${amount}`);
    }
    if (moves.length === 0) assert.match(text, /No move|Left as it is|Lowered|Reduced|Set by/, `${risk.id}: ${text}`);
    const after = master.after.risks.find((r) => r.id === risk.id);
    assert.ok(text.includes(after ? `In the master: ${after.level}.` : 'In the master: cleared.'), `${risk.id}: ${text}`);
    // The decision is a sentence of its own ("Answered by width 0.9 In the master: …" ran on).
    assert.match(text, /\. In the master: /, `${risk.id}: ${text}`);
    const shown = await page.$$eval(`${card} .evidence dd`, (els) => els.map((e) => parseFloat(e.textContent.replace('−', '-'))));
    const numbers = Object.keys(risk.evidence).sort().map((k) => risk.evidence[k]).filter((v) => typeof v === 'number');
    assert.equal(shown.length, numbers.length, `${risk.id}: evidence ${shown} vs ${numbers}`);
    const shownTo = (v) => (Number.isInteger(v) || Math.abs(v) >= 100 ? 0.5 : Math.abs(v) >= 1 ? 0.05 : 0.005);
    numbers.forEach((v, i) => assert.ok(Math.abs(shown[i] - v) <= shownTo(v) + 1e-9,
      `${risk.id}: evidence ${i} shown ${shown[i]}, report ${v}`));
  }
  const card = page.locator('#risks li[data-risk-id="harshness"]');
  await card.locator('.evidence summary').click();
  await saveArtifact('risk-card.png', await card.screenshot());
  assert.deepEqual(errors, []);
  await page.close();
});

test('changing the direction re-masters: a LUFS target, a ceiling, a delivery rate and a character are met; every word length exports', async () => {
  const mix = join(tmp, 'direction.wav');
  await writeFile(mix, wavBytes(musicLike(48000, 10, 3), 48000, 'int16'));
  const { page, errors } = await openApp(env.browser, env.server.url);
  await page.setInputFiles('#file-input', mix);
  await page.waitForSelector('#integrated[data-value]', { timeout: 60_000 });
  await page.click('#master');
  await page.waitForSelector('#after-integrated[data-value]', { timeout: 120_000 });
  const value = (id) => page.$eval(`#${id}`, (e) => parseFloat(e.dataset.value));
  // Each change masters again by itself (no button).
  await page.selectOption('#target', '-18');
  await page.waitForFunction(() => Math.abs(parseFloat(document.querySelector('#after-integrated')?.dataset.value) + 18) < 0.5, null, { timeout: 120_000 });
  await page.selectOption('#ceiling', '-2');
  await page.waitForFunction(() => parseFloat(document.querySelector('#after-true-peak')?.dataset.value) <= -2 && !document.querySelector('#master').disabled, null, { timeout: 120_000 });
  assert.ok(Math.abs(await value('after-integrated') + 18) < 0.5);
  await page.selectOption('#rate', '44100');
  await page.waitForFunction(() => !document.querySelector('#master').disabled, null, { timeout: 120_000 });
  await page.waitForTimeout(300);
  await page.waitForFunction(() => !document.querySelector('#master').disabled, null, { timeout: 120_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const saved = join(tmp, 'direction-master.wav');
  await download.saveAs(saved);
  const r = cli(['analyze', saved, '--json', `${saved}.json`]);
  assert.equal(r.code, 0, r.stderr);
  const measured = JSON.parse(await readFile(`${saved}.json`, 'utf8'));
  assert.equal(measured.input.sample_rate, 44100);
  assert.ok(measured.loudness.true_peak_dbtp <= -2.0, `TP ${measured.loudness.true_peak_dbtp}`);
  assert.ok(Math.abs(measured.loudness.integrated_lufs + 18) <= 0.5, `${measured.loudness.integrated_lufs} LUFS`);
  assert.equal(wavSampleFormat(await readFile(saved)), 'int24');
  // The other word lengths: 32-bit float (no dither) and 16-bit (dithered),
  // read from the files' own headers, the same master in each.
  for (const [bits, format] of [['32f', 'float32'], ['16', 'int16']]) {
    await page.selectOption('#bits', bits);
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const path = join(tmp, `direction-master-${bits}.wav`);
    await dl.saveAs(path);
    assert.equal(wavSampleFormat(await readFile(path)), format, bits);
    const m = cli(['analyze', path, '--json', `${path}.json`]);
    assert.equal(m.code, 0, m.stderr);
    const again = JSON.parse(await readFile(`${path}.json`, 'utf8'));
    assert.equal(again.input.sample_rate, 44100, bits);
    assert.ok(Math.abs(again.loudness.integrated_lufs - measured.loudness.integrated_lufs) <= 0.02,
      `${bits}: ${again.loudness.integrated_lufs} vs ${measured.loudness.integrated_lufs} LUFS`);
    assert.ok(again.loudness.true_peak_dbtp <= -2.0 + 0.01, `${bits}: TP ${again.loudness.true_peak_dbtp}`);
  }
  // The character re-masters too: at the loud target this mix needs more
  // limiting than an open master allows (6 dB of peak reduction at most);
  // a dense one goes further (up to 14), the master's own document says so.
  await page.selectOption('#target', 'loud');
  const reduction = async (character) => {
    await page.selectOption('#character', character);
    // The exported document is the master's: export it until it is the new one.
    let last = null;
    for (let attempt = 0; attempt < 60; attempt++) {
      await page.waitForFunction(() => !document.querySelector('#master').disabled, null, { timeout: 120_000 });
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
      const path = join(tmp, `direction-${character}-${attempt}.json`);
      await dl.saveAs(path);
      const doc = JSON.parse(await readFile(path, 'utf8'));
      last = doc.intent;
      if (doc.intent.character === character && doc.intent.target_lufs === -9) {
        const lim = doc.decisions.find((d) => d.move === 'true_peak_limiter');
        return lim ? lim.params.peak_reduction_db : 0;
      }
      await page.waitForTimeout(500);
    }
    throw new Error(`no ${character} master came: ${JSON.stringify(last)}`);
  };
  const open = await reduction('open');
  const dense = await reduction('dense');
  console.log(`limiting: open ${open} dB, dense ${dense} dB`);
  assert.ok(open <= 6.0 + 0.05 && open < dense, `open ${open} dB of limiting, dense ${dense}`);
  assert.deepEqual(errors, []);
  await page.close();
});

/** A WAV file's sample format from its `fmt ` chunk: 'int16', 'int24', 'float32', … */
function wavSampleFormat(buf) {
  for (let p = 12; p + 8 <= buf.length; p += 8 + buf.readUInt32LE(p + 4) + (buf.readUInt32LE(p + 4) & 1)) {
    if (buf.toString('ascii', p, p + 4) !== 'fmt ') continue;
    let tag = buf.readUInt16LE(p + 8);
    const bits = buf.readUInt16LE(p + 22);
    if (tag === 0xfffe) tag = buf.readUInt16LE(p + 8 + 24); // WAVE_FORMAT_EXTENSIBLE: the sub-format
    return `${tag === 3 ? 'float' : tag === 1 ? 'int' : `tag${tag}-`}${bits}`;
  }
  return 'no fmt chunk';
}

test('a normal visit exposes no test hooks; ?test-hooks does', async () => {
  const mix = join(tmp, 'hooks.wav');
  await writeFile(mix, wavBytes(musicLike(48000, 4, 1), 48000, 'int16'));
  const page = await env.browser.newPage();
  await page.goto(env.server.url);
  await page.setInputFiles('#file-input', mix);
  await page.waitForSelector('#integrated[data-value]', { timeout: 60_000 });
  const exposed = await page.evaluate(() => Object.keys(window).filter((k) => k.startsWith('__preflight')));
  assert.deepEqual(exposed, []);
  await page.close();
  const { page: hooked } = await openApp(env.browser, env.server.url);
  assert.equal(await hooked.evaluate(() => typeof window.__preflight?.renderOffline), 'function');
  await hooked.close();
});
