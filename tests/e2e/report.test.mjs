// The report view in headless Chromium: the overview (streaming table and
// playback-systems grid), the timeline and spectrum plots, and the risk
// cards' time chips, which seek the player. Screenshots at 1280×800 and at
// a 390-px phone width go to tests/artifacts/.
// Build first: `trunk build --release --offline --skip-version-check` and
// `cargo build --release -p dsp-wasm` (scripts/test.sh does both).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { serveDist, launchBrowser, openApp, musicLike, wavBytes, cli, saveArtifact, typeset } from './support.mjs';

let server, browser;
const tmp = mkdtempSync(join(tmpdir(), 'preflight-report-'));
const mix = join(tmp, 'harsh mix.wav');
let expected;

before(async () => {
  // 20 s of the music-like mix with a harsh 3.15 kHz tone from 0:05 to 0:09.
  const sr = 48000;
  const chans = musicLike(sr, 20, 7);
  for (let i = 5 * sr; i < 9 * sr; i++) {
    const v = 0.25 * Math.sin(2 * Math.PI * 3150 * i / sr);
    chans[0][i] += v;
    chans[1][i] += v;
  }
  await writeFile(mix, wavBytes(chans, sr, 'int16'));
  const json = join(tmp, 'report.json');
  const r = cli(['analyze', mix, '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  expected = JSON.parse(await readFile(json, 'utf8'));
  server = await serveDist();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens the app at `width`×`height`, picks the mix and waits for the report and the track. */
async function analysed(width, height) {
  const { page, errors } = await openApp(browser, server.url);
  await page.setViewportSize({ width, height });
  await page.setInputFiles('#file-input', mix);
  await page.waitForSelector('#integrated[data-value]', { timeout: 60_000 });
  await page.waitForFunction(() => !document.querySelector('#play').disabled, null, { timeout: 60_000 });
  return { page, errors };
}

const position = (page) => page.$eval('#position', (e) => parseFloat(e.dataset.positionS));

test('the report view: systems grid, streaming table, plots, and chips that seek the player', async () => {
  const { page, errors } = await analysed(1280, 800);

  // One focusable cell per playback system of the report, its verdict as data.
  const cells = await page.$$eval('#systems [data-system]', (els) => els.map((e) => ({
    id: e.dataset.system, holds: e.dataset.holds, tab: e.tabIndex, tip: document.getElementById(e.getAttribute('aria-describedby'))?.textContent,
  })));
  assert.deepEqual(cells.map((c) => c.id), expected.translation.map((t) => t.system));
  assert.deepEqual(cells.map((c) => c.holds), expected.translation.map((t) => String(t.holds)));
  for (const [i, c] of cells.entries()) {
    assert.equal(c.tab, 0, `${c.id} is focusable`);
    assert.ok(c.tip.includes(typeset(expected.translation[i].notes)), `${c.id}: "${c.tip}"`);
  }
  // The reason shows on keyboard focus (and not before).
  const tipShown = (id) => page.$eval(`#system-note-${id}`, (e) => getComputedStyle(e).display !== 'none');
  const breaking = expected.translation.find((t) => !t.holds) ?? expected.translation[0];
  assert.equal(await tipShown(breaking.system), false);
  await page.focus(`#systems [data-system="${breaking.system}"]`);
  assert.equal(await tipShown(breaking.system), true);
  await saveArtifact('report-system-reason.png', await page.screenshot({ clip: await page.$eval('.overview', (e) => {
    const r = e.getBoundingClientRect();
    return { x: r.x, y: r.y + window.scrollY, width: r.width, height: r.height + 80 };
  }), fullPage: true }));

  // The streaming table: one row per platform, the lead says what the first does.
  const platforms = await page.$$eval('#streaming tbody tr', (rows) => rows.map((r) => r.dataset.platform));
  assert.deepEqual(platforms, expected.platforms.map((p) => p.name));
  const spotify = expected.platforms[0];
  const lead = await page.textContent('#streaming-lead');
  assert.ok(lead.startsWith(`${spotify.name} turns this ${spotify.gain_db < 0 ? 'down' : 'up'} ${Math.abs(spotify.gain_db).toFixed(1)} dB`), lead);

  // The timeline draws the short-term loudness (one point per step, thinned to ≤ 800).
  const d = await page.getAttribute('#timeline path.curve.mix', 'd');
  const points = (d.match(/[ML]/g) || []).length;
  assert.ok(d.startsWith('M') && points >= Math.min(expected.timeline.short_term_lufs.length, 800) * 0.9, `timeline path of ${points} points`);
  assert.equal(await page.$$eval('#timeline .lane', (l) => l.length), expected.risks.filter((r) => r.time_ranges_s.length).length);
  // Behind it, the waveform envelope: one point per 100 ms step (thinned to
  // ≤ 800, each the loudest of its steps), mirrored; its heights follow the
  // command line's peak envelope (timeline.peak_dbfs) as linear amplitudes.
  const env = await page.getAttribute('#timeline path.envelope', 'd');
  assert.ok(env.endsWith(' Z'), env.slice(-20));
  const pts = [...env.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [parseFloat(m[1]), parseFloat(m[2])]);
  const peaks = expected.timeline.peak_dbfs;
  const k = Math.max(1, Math.ceil(peaks.length / 800));
  const groups = [];
  for (let i = 0; i < peaks.length; i += k) groups.push(Math.max(...peaks.slice(i, i + k)));
  assert.equal(pts.length, 2 * groups.length, `${pts.length} envelope points for ${groups.length} groups`);
  const heights = groups.map((_, g) => (pts[pts.length - 1 - g][1] - pts[g][1]) / 2);
  const top = groups.indexOf(Math.max(...groups));
  groups.forEach((db, g) => {
    const want = heights[top] * 10 ** ((db - groups[top]) / 20);
    assert.ok(Math.abs(heights[g] - want) <= 0.02 * want + 0.15, `envelope group ${g}: height ${heights[g]} vs ${want.toFixed(2)} (${db} dBFS)`);
  });
  // The spectrum draws the mix and the target range.
  assert.match(await page.getAttribute('#spectrum path.curve.mix', 'd'), /^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+){10,}/);
  assert.match(await page.getAttribute('#spectrum path.target-range', 'd'), /Z$/);

  // Each risk card shows its band and its time ranges as chips.
  const harsh = expected.risks.find((r) => r.id === 'harshness');
  assert.ok(harsh, `harshness detected: ${expected.risks.map((r) => r.id)}`);
  const card = `li[data-risk-id="harshness"]`;
  assert.match(await page.textContent(`${card} .band`), /kHz/);
  const chipStart = parseFloat(await page.getAttribute(`${card} .chip`, 'data-start-s'));
  assert.ok(Math.abs(chipStart - harsh.time_ranges_s[0][0]) < 0.01, `${chipStart} vs ${harsh.time_ranges_s[0][0]}`);
  assert.ok(chipStart > 1, 'the test needs a chip away from the start');

  // Clicking a chip plays from its start: the player's position moves there and on.
  assert.ok(await position(page) < 0.5);
  await page.click(`${card} .chip`);
  await page.waitForFunction((s) => parseFloat(document.querySelector('#position').dataset.positionS) > s + 0.3, chipStart, { timeout: 10_000 });
  const heard = await position(page);
  assert.ok(heard >= chipStart && heard < chipStart + 5, `position ${heard} s after the chip at ${chipStart} s`);
  assert.equal(await page.textContent('#play'), 'Pause');

  // Clicking the timeline seeks (here paused: the position lands where clicked).
  await page.click('#play');
  const box = await page.$eval('#timeline svg', (e) => { const r = e.getBoundingClientRect(); return { w: r.width, h: r.height }; });
  await page.click('#timeline svg', { position: { x: box.w * 0.75, y: box.h * 0.3 } });
  const want = ((0.75 * 800 - 60) / (800 - 60 - 14)) * expected.input.duration_s;
  await page.waitForFunction((w) => Math.abs(parseFloat(document.querySelector('#position').dataset.positionS) - w) < 0.3, want, { timeout: 5_000 });
  // Arrow keys on the focused timeline move the playhead by 5 s.
  await page.focus('#timeline svg');
  await page.keyboard.press('ArrowLeft');
  assert.ok(Math.abs(await position(page) - (want - 5)) < 0.3, `after ArrowLeft: ${await position(page)}`);
  await page.mouse.move(0, 0);
  await page.evaluate(() => document.activeElement?.blur());
  await saveArtifact('report-overview.png', await page.screenshot({ fullPage: true }));

  // With a master, the table, grid and plots show before → after.
  await page.click('#master');
  await page.waitForSelector('#after-integrated[data-value]', { timeout: 120_000 });
  await page.waitForSelector('#timeline path.curve.mastered');
  await page.waitForSelector('#spectrum path.curve.mastered');
  assert.match(await page.textContent('#streaming tbody tr td:nth-child(3)'), /→/);
  assert.match(await page.textContent('#streaming-lead'), /the master/);
  // Every number the page shows in words, labels and tables is signed with
  // a true minus, as the streaming table's are: the engine's text (Rust
  // writes "-") is typeset on the way in. The overview's figures are
  // numeric texts for machines (data-metric) and stay as they are.
  const hyphenated = await page.evaluate(() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest('[data-metric], [data-metric-after], script, style, #file-name')) continue;
      if (/(^|[^A-Za-z0-9.])-\d/.test(n.textContent)) out.push(n.textContent.trim().slice(0, 80));
    }
    return out;
  });
  assert.deepEqual(hyphenated, [], 'numbers signed with a hyphen-minus');
  // A risk still major after a move answered it is told as lowered or
  // reduced by that move, under its card's title, never "Left as it is"
  // beside that move (this mix's harshness read so before).
  const left = await page.$$eval('#left li', (lis) => lis.map((li) => ({
    id: li.dataset.leftId, title: li.querySelector('strong').textContent, why: li.querySelector('p').textContent,
  })));
  let answered = 0;
  for (const l of left) {
    const card = `#risks li[data-risk-id="${l.id}"]`;
    if (!(await page.$(card))) continue;
    assert.equal(l.title, (await page.textContent(`${card} .risk-head strong`)).trim(), `${l.id}: its card's title`);
    if (!/Answered by /.test(await page.textContent(`${card} .verdict`))) continue;
    answered += 1;
    assert.match(l.why, /^(Lowered|Reduced) by /, `${l.id}: ${l.why}`);
  }
  assert.ok(answered >= 1, `a risk answered and still major: ${JSON.stringify(left)}`);
  await saveArtifact('report-mastered.png', await page.screenshot({ fullPage: true }));

  // Keyboard only: Tab from the top reaches every control on the mastered
  // report (buttons, inputs, selects, folded sections, the plots), and each
  // shows where the focus is (an outline or a ring; the hidden file picker
  // through its drop zone).
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  const controls = await page.$$eval(
    'button, input, select, summary, a[href], [tabindex="0"]',
    (els) => els
      .filter((e) => !e.disabled && !e.closest('[hidden], [inert]') && (e.id === 'file-input' || e.getClientRects().length > 0)
        && getComputedStyle(e).visibility !== 'hidden' && !e.closest('details:not([open]) > :not(summary)'))
      .map((e, i) => { e.dataset.kbd = String(i); return String(i); }),
  );
  const reached = new Map();
  for (let i = 0; i < 400 && reached.size < controls.length; i++) {
    await page.keyboard.press('Tab');
    const seen = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || !e.dataset.kbd) return null;
      const ring = (x) => { const st = getComputedStyle(x); return st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0 || st.boxShadow !== 'none'; };
      const shown = e.id === 'file-input' ? ring(e.closest('.dropzone')) : ring(e);
      return [e.dataset.kbd, shown, e.outerHTML.slice(0, 90)];
    });
    if (seen) reached.set(seen[0], seen);
  }
  assert.ok(controls.length >= 30, `${controls.length} controls on the mastered report`);
  console.log(`keyboard: ${reached.size} of ${controls.length} controls reached by Tab`);
  const missed = controls.filter((k) => !reached.has(k));
  const missedHtml = await Promise.all(missed.map((k) => page.$eval(`[data-kbd="${k}"]`, (e) => e.outerHTML.slice(0, 90))));
  assert.deepEqual(missedHtml, [], 'controls Tab never reaches');
  const unseen = [...reached.values()].filter(([, shown]) => !shown).map(([, , html]) => html);
  assert.deepEqual(unseen, [], 'controls whose focus cannot be seen');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the report view fits a 390-px phone screen', async () => {
  const { page, errors } = await analysed(390, 844);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
  for (const sel of ['#timeline svg', '#spectrum svg', '#streaming', '#systems']) {
    const w = await page.$eval(sel, (e) => e.getBoundingClientRect().width);
    assert.ok(w > 200 && w <= 390, `${sel} is ${w} px wide`);
  }
  await saveArtifact('report-phone.png', await page.screenshot({ fullPage: true }));
  // Mastered, every risk card carries its decision's line (long prose):
  // it wraps inside the card (it once kept to one line, and the cards
  // and the page ran off the screen's right edge).
  await page.click('#master');
  await page.waitForSelector('#risks .verdict[data-answered]', { timeout: 120_000 });
  const wide = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    cards: [...document.querySelectorAll('#risks > li')].map((e) => e.scrollWidth - e.clientWidth).filter((d) => d > 0),
  }));
  assert.ok(wide.page <= 0, `mastered, the page scrolls sideways by ${wide.page} px`);
  assert.deepEqual(wide.cards, [], 'mastered, risk cards wider than their box by these px');
  await saveArtifact('report-phone-mastered.png', await page.screenshot({ fullPage: true }));
  assert.deepEqual(errors, []);
  await page.close();
});
