// Peak memory of the page while a long file is analysed and mastered, in
// headless Chromium: the proportional set size (PSS, /proc/PID/smaps_rollup,
// so shared pages are not counted twice) of every Chromium process — the
// browser, the renderer with its Workers and the audio service — summed and
// sampled every 100 ms, minus the same sum with the app loaded and idle.
// Reported as a ratio to the decoded audio's size (frames × channels × 4 B).
//
//   node tests/bench/long_file_memory.mjs [minutes=30] [rate=48000] [--check RATIO] [--again [RATIO]] [--format mp3|flac|f32] [--private]
//
// With --again [RATIO], the artist then moves a move's amount slider to 50 %,
// changes the direction (target −18 LUFS: the Worker masters again while the
// first master is still exportable) and exports the master; the peak covers
// those steps too, and the peak up to the first master is printed beside it
// (--check then bounds the peak up to the first master, and the RATIO after
// --again the whole peak).
//
// The file is real music (tests/bench/real_music.py: a 9-minute track of a
// Debian music package, looped to length) as a 16-bit stereo WAV, or with
// --format as MP3 320 kbit/s, FLAC or 32-bit float WAV (the decoded size is
// the same).
// Needs the built site (dist/). Linux only (/proc).
// With --check, exits 1 when the ratio is above RATIO.
//
// A track of 128 MiB decoded or more waits on disk between renders, in the
// site's scratch file (app/worker/src/scratch.rs); the bench reads back
// where it was kept. Where the browser profile's disk has no room for it
// (Chromium keeps a disk's last 1 GiB, or 1 %, free of site storage, and
// starts cutting sites' quotas under 2 GiB; or the disk is simply full), the Worker keeps the track in memory, as it kept
// every track until session 35: --no-room RATIO[,RATIO] then bounds the peak instead of --check
// [and --again]. A long track kept in memory while the disk had room fails.
import { open, readFile, readdir, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { serveDist, launchBrowser, launchProfile, openApp, waitUntilLoaded } from '../e2e/support.mjs';
import { realMusic } from './music.mjs';

const args = process.argv.slice(2);
const checkAt = args.indexOf('--check');
const limit = checkAt >= 0 ? Number(args.splice(checkAt, 2)[1]) : null;
const againAt = args.indexOf('--again');
const againLimit = againAt >= 0 ? Number(args.splice(againAt, 2)[1]) : null;
const again = againAt >= 0;
const noRoomAt = args.indexOf('--no-room');
const noRoomLimits = noRoomAt >= 0 ? args.splice(noRoomAt, 2)[1].split(',').map(Number) : null;
const privAt = args.indexOf('--private');
const priv = privAt >= 0;
if (priv) args.splice(privAt, 1);
const formatAt = args.indexOf('--format');
const format = formatAt >= 0 ? args.splice(formatAt, 2)[1] : 'wav';
const FORMATS = ['wav', 'mp3', 'flac', 'f32'];
if (!FORMATS.includes(format)) throw new Error(`--format: one of ${FORMATS.join(', ')}`);
const minutes = Number(args[0] || 30);
const rate = Number(args[1] || 48000);
const frames = Math.round(minutes * 60 * rate);
const decodedBytes = frames * 2 * 4;
// What the scratch file holds of a long track (audio::Packing): 16-bit
// integers for a 16-bit WAV or FLAC, 24-bit for an MP3's decode, f32 for a
// float WAV (as many frames as the file decodes to: within 0.1 % of the
// length asked for); a private window keeps even that in memory.
const onDiskBytes = frames * 2 * { wav: 2, flac: 2, f32: 4, mp3: 3 }[format];
const longEnoughForDisk = decodedBytes >= 128 * 2 ** 20;

// Real music (./music.mjs) looped to length, written by ffmpeg in the
// format asked for.
const input = realMusic(join(tmpdir(), `preflight-long-${minutes}min-${rate}-${format}.${format === 'mp3' || format === 'flac' ? format : 'wav'}`),
  minutes * 60, { rate, format: format === 'wav' ? 'wav16' : format });

// PREFLIGHT_MEM_TRACE=FILE writes every sample as a line of JSON: the time,
// the sum, and the PSS of each Chromium process by its --type (browser,
// renderer, gpu-process, utility), to see which stage and process holds the peak.
const tracePath = process.env.PREFLIGHT_MEM_TRACE || null;
const trace = [];
const traceStart = Date.now();
const procType = new Map();
async function typeOf(pid) {
  if (!procType.has(pid)) {
    let t = 'browser';
    try {
      // Chromium rewrites its command line: the arguments are joined by spaces.
      const m = /--type=(\S+)/.exec(await readFile(`/proc/${pid}/cmdline`, 'utf8'));
      if (m) t = `${m[1]} ${pid}`;
    } catch { /* gone */ }
    procType.set(pid, t);
  }
  return procType.get(pid);
}
let traceStage = 'idle';

/** PSS in bytes of all descendants of `root` (not `root` itself). */
async function pssTree(root) {
  const byType = {};
  const parent = new Map();
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = await readFile(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const inTree = (pid) => { for (let p = parent.get(pid); p > 1; p = parent.get(p)) if (p === root) return true; return false; };
  let sum = 0;
  for (const pid of parent.keys()) {
    if (!inTree(pid)) continue;
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (m) {
        sum += Number(m[1]) * 1024;
        if (tracePath) {
          const t = await typeOf(pid);
          byType[t] = (byType[t] || 0) + Math.round(Number(m[1]) / 1024);
        }
      }
    } catch { /* gone */ }
  }
  if (tracePath) trace.push({ t: (Date.now() - traceStart) / 1000, stage: traceStage, mb: Math.round(sum / 1e6), byType });
  return sum;
}

const server = await serveDist();
// An everyday browser profile (the site's storage on disk, where a long
// track waits between renders: app/worker/src/scratch.rs); --private opens
// the page off the record instead, as a private window, whose site storage
// Chromium keeps in memory.
const browser = priv ? await launchBrowser() : await launchProfile();
// Chromium runs as this process's child (playwright-core launches it).
const root = process.pid;
let peak = 0, sampling = true;
const sampler = (async () => {
  while (sampling) {
    peak = Math.max(peak, await pssTree(root));
    await new Promise((r) => setTimeout(r, 100));
  }
})();
let result, scratch = null;
try {
  const { page, errors } = await openApp(browser, server.url);
  // Everything loaded, the service worker in control (a long export streams through it).
  await waitUntilLoaded(page);
  await new Promise((r) => setTimeout(r, 1000));
  const idle = await pssTree(root);
  peak = idle;
  const t0 = Date.now();
  traceStage = 'analyse';
  await page.setInputFiles('#file-input', input);
  await page.waitForSelector('#integrated[data-value]', { timeout: 600_000 });
  traceStage = 'report';
  const analysedS = (Date.now() - t0) / 1000;
  const afterAnalysis = peak;
  traceStage = 'master';
  await page.click('#master');
  await page.waitForSelector('#after-integrated[data-value], #master-error', { timeout: 1_200_000 });
  traceStage = 'mastered';
  const masterError = await page.$('#master-error') ? await page.textContent('#master-error') : null;
  const masteredS = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  const afterMaster = peak;
  // Where the track waits: the bytes in the site's scratch files, the
  // storage the browser grants the site, the profile's free disk.
  const storage = await page.evaluate(async () => {
    let bytes = 0;
    try {
      for await (const [name, handle] of (await navigator.storage.getDirectory()).entries()) {
        if (name.startsWith('preflight-scratch-')) bytes += (await handle.getFile()).size;
      }
    } catch { /* no such storage */ }
    const { quota, usage } = await navigator.storage.estimate();
    return { bytes, quota, usage };
  });
  let diskFree = null;
  if (browser.dir) {
    const fs = await statfs(browser.dir);
    diskFree = fs.bavail * fs.bsize;
  }
  const noRoom = storage.quota - storage.usage < onDiskBytes || (diskFree !== null && diskFree < onDiskBytes + 2 * 2 ** 30);
  scratch = {
    long_enough: longEnoughForDisk && !priv,
    on_disk_mb: storage.bytes / 1e6,
    track_on_disk_mb: onDiskBytes / 1e6,
    site_quota_left_mb: (storage.quota - storage.usage) / 1e6,
    profile_disk_free_mb: diskFree === null ? null : diskFree / 1e6,
    kept: Math.abs(storage.bytes - onDiskBytes) <= onDiskBytes / 1000 ? 'on disk' : storage.bytes > 0 ? 'partly on disk (?)' : noRoom ? 'in memory: no room on disk' : 'in memory',
  };
  let againS = null, afterAgain = null, afterRescale = null, exported = null;
  if (again && !masterError) {
    const t1 = Date.now();
    // A move's amount slider to 50 % (the Worker re-masters with the moves
    // scaled), when the master made a move that has one.
    const slider = page.locator('input[type=range][data-module-index]').first();
    if (await slider.count() > 0) {
      traceStage = 'amount';
      await slider.fill('50');
      await page.waitForSelector('#decisions li:has-text("at 50 %")', { timeout: 1_200_000 });
      await page.waitForFunction(() => !document.querySelector('#master').disabled, null, { timeout: 1_200_000 });
      await new Promise((r) => setTimeout(r, 500));
      afterRescale = peak;
    }
    traceStage = 'again';
    await page.selectOption('#target', '-18');
    await page.waitForFunction(() => Math.abs(parseFloat(document.querySelector('#after-integrated')?.dataset.value) + 18) < 0.5
      && !document.querySelector('#master').disabled, null, { timeout: 1_200_000 });
    await new Promise((r) => setTimeout(r, 500));
    afterAgain = peak;
    traceStage = 'export';
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 600_000 }), page.click('#export')]);
    // A master this long streams to the download through the service worker
    // (never a blob: URL), and must arrive whole: a 24-bit WAV of every frame.
    exported = { streamed: /\/download\/\d+-\d+\//.test(download.url()), failure: await download.failure() };
    if (!exported.failure) {
      const path = await download.path();
      const header = Buffer.alloc(44);
      const fh = await open(path);
      await fh.read(header, 0, 44, 0);
      await fh.close();
      exported.bytes = (await stat(path)).size;
      exported.frames = header.readUInt32LE(40) / 6;
      exported.whole = header.toString('latin1', 0, 4) === 'RIFF' && exported.bytes === 44 + header.readUInt32LE(40)
        && Math.abs(exported.frames - frames) <= rate;
    }
    await download.delete();
    againS = (Date.now() - t1) / 1000;
    await new Promise((r) => setTimeout(r, 500));
  }
  result = {
    file: `${minutes} min, ${rate} Hz stereo, ${format === 'wav' ? '16-bit WAV' : format} (${((await stat(input)).size / 1e6).toFixed(0)} MB)${priv ? ', private window' : ''}`,
    decoded_mb: decodedBytes / 1e6,
    idle_mb: idle / 1e6,
    peak_over_idle_analysis_mb: (afterAnalysis - idle) / 1e6,
    peak_over_idle_mb: (peak - idle) / 1e6,
    ratio: (peak - idle) / decodedBytes,
    ratio_first_master: (afterMaster - idle) / decodedBytes,
    again_and_export_s: againS,
    ratio_after_amount: afterRescale === null ? null : (afterRescale - idle) / decodedBytes,
    ratio_before_export: afterAgain === null ? null : (afterAgain - idle) / decodedBytes,
    analysed_s: analysedS,
    mastered_s: masteredS,
    master_error: masterError,
    export: exported,
    page_errors: errors,
    scratch,
  };
} finally {
  sampling = false;
  await sampler;
  await browser.close();
  await server.close();
  await rm(input, { force: true });
}
if (tracePath) await writeFile(tracePath, trace.map((r) => JSON.stringify(r)).join('\n') + '\n');
console.log(JSON.stringify(result, null, 1));
console.log(`peak ${result.peak_over_idle_mb.toFixed(0)} MB over idle = ${result.ratio.toFixed(2)}× the decoded audio (${result.decoded_mb.toFixed(0)} MB); after the analysis alone ${(result.peak_over_idle_analysis_mb / result.decoded_mb).toFixed(2)}×${again ? `, up to the first master ${result.ratio_first_master.toFixed(2)}×, after an amount slider ${result.ratio_after_amount === null ? '– (the master made no move with an amount)' : `${result.ratio_after_amount.toFixed(2)}×`}, before the export ${result.ratio_before_export?.toFixed(2)}×` : ''}`);
console.log(`the track: ${scratch.long_enough ? `${scratch.kept} (${scratch.on_disk_mb.toFixed(0)} of ${scratch.track_on_disk_mb.toFixed(0)} MB in the scratch file; the site may store ${scratch.site_quota_left_mb.toFixed(0)} MB more; ${scratch.profile_disk_free_mb === null ? '' : `${scratch.profile_disk_free_mb.toFixed(0)} MB free on the profile's disk`})` : `in memory (${priv ? 'a private window' : 'too short for the disk'})`}`);
// A long track kept in memory: for want of room on disk, the bounds of
// --no-room hold; else the scratch file failed, and the bench does.
let [first, all] = [limit, againLimit];
let lost = scratch.long_enough && scratch.kept !== 'on disk';
if (lost && scratch.kept === 'in memory: no room on disk' && noRoomLimits) {
  [first, all] = [noRoomLimits[0], again ? noRoomLimits[1] ?? noRoomLimits[0] : null];
  lost = false;
  console.log(`no room on disk for the track: bounded as a track kept in memory (${first}×${again ? `, ${all}× in all` : ''})`);
}
const firstRatio = again ? result.ratio_first_master : result.ratio;
const failed = (first !== null && !(firstRatio <= first))
  || (all !== null && Number.isFinite(all) && !(result.ratio <= all && result.again_and_export_s !== null
    && result.export?.streamed && result.export?.whole));
if ((limit !== null || againLimit !== null) && (failed || lost || result.master_error || result.page_errors.length > 0)) {
  console.error(lost ? `a long track was kept in memory (${scratch.kept}), not on disk`
    : `over ${first}× up to the first master or ${all}× in all (or an error)`);
  process.exit(1);
}
