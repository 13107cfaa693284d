// Compressed files in the page (headless Chromium): the engine Worker reads
// WAV and FLAC itself; MP3, Ogg Vorbis, AAC/M4A and AIFF go through the decoder
// Worker first, whose files the page fetches only when such a file is
// dropped. Each file's loudness on the page is checked against ffmpeg's
// EBU R128 meter on the same file (an independent decoder and meter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { browserSuite, tempDir, openApp, musicLike, wavBytes, cli } from './support.mjs';

const env = browserSuite();
const tmp = tempDir('formats');

/** ffmpeg's integrated loudness of `path`, unrounded: the last frame's
 *  `lavfi.r128.I` of its per-frame metadata (three decimals; the summary
 *  prints one). */
function ffmpegLufs(path) {
  const r = spawnSync('ffmpeg', ['-nostdin', '-hide_banner', '-nostats', '-loglevel', 'error', '-i', path,
    '-af', 'ebur128=metadata=1,ametadata=mode=print:file=pipe\\\\:1', '-f', 'null', '-'], { encoding: 'utf8' });
  const all = [...r.stdout.matchAll(/^lavfi\.r128\.I=(-?[\d.]+)$/gm)];
  assert.ok(all.length, `ffmpeg's ebur128 metadata for ${path}: ${r.stderr.slice(-400)}`);
  return parseFloat(all[all.length - 1][1]);
}

test('MP3, Ogg Vorbis, M4A and AIFF are read through the decoder Worker, which a WAV never loads', async () => {
  const wav = join(tmp, 'mix.wav');
  await writeFile(wav, wavBytes(musicLike(44100, 60, 5).map((c) => c.map((v) => v * 0.5)), 44100, 'int16'));
  // The MP3 is over 2 MB, so the page splits its analysis between the two
  // Workers (each gets its own copy of the decoded samples).
  const encodings = [
    ['mix.mp3', ['-c:a', 'libmp3lame', '-b:a', '320k']],
    ['mix.ogg', ['-c:a', 'libvorbis', '-q:a', '5']],
    ['mix.m4a', ['-c:a', 'aac', '-b:a', '192k']],
    ['mix.aiff', ['-c:a', 'pcm_s24be']],
  ];
  const files = encodings.map(([name, args]) => {
    const path = join(tmp, name);
    execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', wav, ...args, path]);
    return path;
  });
  assert.ok(statSync(files[0]).size >= 2_000_000, 'the MP3 is large enough to be split');

  const { page, errors } = await openApp(env.browser, env.server.url);
  const fetched = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname.split('/').pop()));
  const shown = async (name) => {
    await page.waitForFunction((n) => document.querySelector('#file-name')?.textContent === n, name, { timeout: 120_000 });
    return parseFloat(await (await page.waitForSelector('#integrated[data-value]')).getAttribute('data-value'));
  };

  await page.setInputFiles('#file-input', wav);
  await shown('mix.wav');
  // A WAV written to a pipe has no sizes in its header (0xFFFFFFFF): the
  // engine reads it to its end, as ffmpeg does.
  const piped = join(tmp, 'piped.wav');
  await writeFile(piped, execFileSync('ffmpeg', ['-loglevel', 'error', '-i', wav, '-c:a', 'pcm_s16le', '-f', 'wav', 'pipe:1'],
    { maxBuffer: 64 << 20 }));
  await page.setInputFiles('#file-input', piped);
  const pipedLufs = await shown('piped.wav');
  assert.ok(Math.abs(pipedLufs - ffmpegLufs(piped)) <= 0.02, `piped WAV: page ${pipedLufs} vs ffmpeg ${ffmpegLufs(piped)} LUFS`);
  assert.deepEqual(fetched.filter((p) => p.startsWith('decoder')), [], 'a WAV loads no decoder');

  for (const path of files) {
    await page.setInputFiles('#file-input', path);
    const lufs = await shown(basename(path));
    const peer = ffmpegLufs(path);
    console.log(`${basename(path)}: page ${lufs} LUFS, ffmpeg ${peer} LUFS`);
    // ffmpeg decodes the file with its own decoders; the page's figure is
    // the report's (0.01 LU steps). Measured 0.001–0.007 LU apart.
    assert.ok(Math.abs(lufs - peer) <= 0.02, `${basename(path)}: page ${lufs} vs ffmpeg ${peer} LUFS`);
    if (path === files[0]) {
      // Split: the helper's half (true peak) is the command line's, which
      // decodes the same file natively.
      const timings = await page.evaluate(() => window.__preflightTimings);
      assert.ok(typeof timings.ownHalfMs === 'number', `the analysis was split: ${JSON.stringify(timings)}`);
      assert.equal(timings.helperHalf, true, `the helper Worker measured its half from the samples it was sent: ${JSON.stringify(timings)}`);
      const json = join(tmp, 'mp3.json');
      assert.equal(cli(['analyze', path, '--json', json]).code, 0);
      const expected = JSON.parse(readFileSync(json, 'utf8')).loudness;
      const tp = parseFloat(await page.getAttribute('#true-peak', 'data-value'));
      assert.ok(Math.abs(tp - expected.true_peak_dbtp) <= 0.01, `true peak: page ${tp} vs CLI ${expected.true_peak_dbtp}`);
      assert.ok(Math.abs(lufs - expected.integrated_lufs) <= 0.01, `loudness: page ${lufs} vs CLI ${expected.integrated_lufs}`);
    }
  }
  assert.ok(fetched.some((p) => p.startsWith('decoder') && p.endsWith('.wasm')), `the decoder was loaded: ${fetched.join(' ')}`);
  assert.deepEqual(errors, []);
  await page.close();
});
