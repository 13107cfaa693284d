// Listening in headless Chromium: "Hear it" loops a risk's worst range on
// the playback system that exposes it and the AudioWorklet reports what it
// plays (Before/After, system, solo band); Before and After rendered through
// the worklet at the page's matching gain are equally loud by the command
// line's meter and never over full scale; each playback system changes the
// rendered audio as its documented model says, measured here by quadrature
// detection against textbook values of the model's filters (recomputed in
// this file, not read from the engine); a new chain sent while playing is
// heard as a ramp, never a step, and Before/After switched while playing at
// matched loudness is not heard at all (the input itself is the oracle).
// Keyboard shortcuts and their help.
// Build first (scripts/test.sh does): trunk build, cargo build --release.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { browserSuite, tempDir, openApp, musicLike, wavBytes, cli, saveArtifact } from './support.mjs';

const env = browserSuite();
const tmp = tempDir('listen');
const SR = 48000;

async function analyse(file, width = 1280, height = 800) {
  const { page, errors } = await openApp(env.browser, env.server.url);
  await page.setViewportSize({ width, height });
  await page.setInputFiles('#file-input', file);
  await page.waitForSelector('#integrated[data-value]', { timeout: 60_000 });
  await page.waitForFunction(() => !document.querySelector('#play').disabled, null, { timeout: 60_000 });
  return { page, errors };
}

async function cliReport(path) {
  const json = `${path}.json`;
  const r = cli(['analyze', path, '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(await readFile(json, 'utf8'));
}

const heard = (page) => page.$eval('#heard', (e) => ({ ...e.dataset }));
const waitHeard = (page, want) => page.waitForFunction((w) => {
  const e = document.querySelector('#heard');
  return e && Object.entries(w).every(([k, v]) => e.dataset[k] === v);
}, want, { timeout: 10_000 });
const position = (page) => page.$eval('#position', (e) => parseFloat(e.dataset.positionS));

test('Hear it loops the worst range on the exposing system; the worklet reports Before, After and solo', async () => {
  // 20 s of the music-like mix with a harsh 3.15 kHz tone from 0:12 to 0:13.
  const chans = musicLike(SR, 20, 7);
  for (let i = 12 * SR; i < 13 * SR; i++) {
    const v = 0.25 * Math.sin(2 * Math.PI * 3150 * i / SR);
    chans[0][i] += v;
    chans[1][i] += v;
  }
  const mix = join(tmp, 'harsh.wav');
  await writeFile(mix, wavBytes(chans, SR, 'int16'));
  const expected = await cliReport(mix);
  const harsh = expected.risks.find((r) => r.id === 'harshness');
  assert.ok(harsh, `harshness detected: ${expected.risks.map((r) => r.id)}`);
  const { page, errors } = await analyse(mix);
  const card = page.locator('li[data-risk-id="harshness"]');
  await card.getByRole('button', { name: 'Hear it' }).click();

  // Starts on Before, on the first system the risk names, looping its worst range.
  await waitHeard(page, { heardBypass: 'true', heardSystem: harsh.systems[0], heardSolo: '' });
  // The transport stays at hand beside the card it plays (sticky on a
  // screen this size): its Before/After switch in view, clear of the card's
  // button.
  const box = async (sel) => page.$eval(sel, (e) => { const r = e.getBoundingClientRect(); return { top: r.top, bottom: r.bottom }; });
  const player = await box('.player');
  const heard = await card.getByRole('button', { name: 'Hear it' }).boundingBox();
  const vh = page.viewportSize().height;
  assert.ok(player.top >= 0 && player.bottom <= vh, `transport out of view: ${JSON.stringify(player)} in ${vh} px`);
  assert.ok(heard.y >= player.bottom && heard.y + heard.height <= vh, `the card's button hidden: ${JSON.stringify(heard)} under ${JSON.stringify(player)}`);
  const after = await box('#after');
  assert.ok(after.top >= 0 && after.bottom <= vh, 'the After switch in view');
  assert.equal(await page.textContent('#play'), 'Pause');
  // The loop is the worst range, widened to 4 s around its middle or cut to 12 s.
  let [a, b] = harsh.time_ranges_s[0];
  if (b - a < 4) { const m = (a + b) / 2; [a, b] = [Math.max(0, m - 2), Math.max(0, m - 2) + 4]; }
  b = Math.min(b, a + 12);
  const shown = await page.$eval('#looping', (e) => [parseFloat(e.dataset.loopStart), parseFloat(e.dataset.loopEnd)]);
  assert.ok(Math.abs(shown[0] - a) < 0.01 && Math.abs(shown[1] - b) < 0.01, `loop ${shown} vs ${[a, b]}`);
  // Playing it: every position inside, and at least one wrap back to the start.
  const seen = [];
  const until = Date.now() + (b - a + 1.5) * 1000;
  while (Date.now() < until) {
    seen.push(await position(page));
    await page.waitForTimeout(200);
  }
  assert.ok(seen.every((p) => p >= a - 0.25 && p <= b + 0.25), `positions ${seen} outside ${[a, b]}`);
  assert.ok(seen.some((p, i) => i > 0 && p < seen[i - 1] - 1), `no wrap seen in ${seen}`);
  assert.equal(await page.getAttribute('#looping', 'data-risk-id'), 'harshness');
  assert.match(await page.textContent('#timeline rect.loop title'), /^Looping /, 'the loop is marked on the timeline');

  // After, Before, and the risk's band alone: each as the engine reports it.
  await page.click('#after');
  await waitHeard(page, { heardBypass: 'false' });
  await page.click('#before');
  await waitHeard(page, { heardBypass: 'true' });
  // The card being heard has its own switch (on a phone the player's is
  // scrolled away), in step with the player's.
  const cardSwitch = card.getByRole('group', { name: 'Compare this risk' });
  await cardSwitch.getByRole('button', { name: 'After' }).click();
  await waitHeard(page, { heardBypass: 'false' });
  assert.equal(await page.getAttribute('#after', 'aria-pressed'), 'true');
  assert.equal(await cardSwitch.getByRole('button', { name: 'After' }).getAttribute('aria-pressed'), 'true');
  await cardSwitch.getByRole('button', { name: 'Before' }).click();
  await waitHeard(page, { heardBypass: 'true' });
  assert.equal(await page.getAttribute('#before', 'aria-pressed'), 'true');
  assert.equal(await page.locator('.card-ab').count(), 1, 'only the heard card has a switch');
  await page.check('#solo');
  const [lo, hi] = harsh.band_hz;
  await waitHeard(page, { heardSolo: `${lo.toFixed(0)}-${hi.toFixed(0)}` });
  await saveArtifact('listen-hear-it.png', await page.screenshot({ fullPage: false }));

  // Keyboard: a digit picks a system, B flips, Space pauses, ? shows the help.
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('4');
  await waitHeard(page, { heardSystem: 'phone' });
  assert.equal(await page.getAttribute('[data-system="phone"][role="radio"]', 'aria-checked'), 'true');
  // What the system does is said where it is picked and where it is heard,
  // in the model's numbers (dsp-wasm/src/playback/systems.rs: mono, 4th-order
  // high-pass at 400 Hz, +3 dB at 2.5 kHz, low-pass at 12 kHz).
  const phone = 'mono, rolls off below 400 Hz, +3 dB around 2.5 kHz, rolls off above 12 kHz';
  assert.equal(await page.getAttribute('[data-system="phone"][role="radio"]', 'title'), phone);
  assert.ok((await page.textContent('#heard')).includes(`on Phone speaker (${phone})`), await page.textContent('#heard'));
  await page.keyboard.press('b');
  await waitHeard(page, { heardBypass: 'false' });
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('#play').textContent === 'Play');
  await page.keyboard.press('?');
  await page.waitForSelector('#shortcut-help[role="dialog"]');
  assert.match(await page.textContent('#shortcut-help'), /Flip Before \/ After/);
  await saveArtifact('listen-shortcuts.png', await page.screenshot());
  await page.keyboard.press('Escape');
  await page.waitForSelector('#shortcut-help', { state: 'detached' });
  // Esc again ends the loop, and the card's switch goes with it.
  await page.keyboard.press('Escape');
  await page.waitForSelector('#looping', { state: 'detached' });
  assert.equal(await page.locator('.card-ab').count(), 0);
  await waitHeard(page, { heardSolo: '' });
  assert.deepEqual(errors, []);
  await page.close();
});

test('Before and After through the worklet at the page\'s matching gain: equally loud, never over full scale', async () => {
  // A loud mix (about −8 LUFS): the −14 LUFS master is quieter, so matching
  // must turn the original down, never the master up past the limiter.
  const chans = musicLike(SR, 12, 3).map((c) => c.map((v) => Math.max(-0.99, Math.min(0.99, 2.2 * v))));
  const mix = join(tmp, 'loud.wav');
  await writeFile(mix, wavBytes(chans, SR, 'int16'));
  const { page, errors } = await analyse(mix);
  await page.click('#master');
  await page.waitForSelector('#after-integrated[data-value]', { timeout: 120_000 });
  await page.click('#play');
  await page.waitForSelector('#heard');
  await page.click('#play');
  const matchDb = parseFloat((await heard(page)).heardMatchDb);
  assert.ok(matchDb > 3, `the original is louder, so it is turned down: ${matchDb} dB`);
  const chain = await page.evaluate(() => window.__preflightChain);
  const render = (bypass) => page.evaluate(async ({ chs, sr, chain, bypass, matchDb }) => {
    const out = await window.__preflight.renderOffline(chs.map((c) => Float32Array.from(c)), sr, chain, { bypass, matchDb });
    return out.map((c) => Array.from(c));
  }, { chs: chans.map((c) => Array.from(c)), sr: SR, chain, bypass, matchDb });
  const loudness = {};
  for (const [name, bypass] of [['before', true], ['after', false]]) {
    const out = await render(bypass);
    const peak = Math.max(...out.map((c) => c.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
    assert.ok(peak <= 1.0, `${name}: a sample at ${peak} is over full scale`);
    const path = join(tmp, `heard-${name}.wav`);
    await writeFile(path, wavBytes(out, SR, 'float32'));
    loudness[name] = (await cliReport(path)).loudness.integrated_lufs;
  }
  assert.ok(Math.abs(loudness.before - loudness.after) <= 0.5,
    `Before ${loudness.before} LUFS vs After ${loudness.after} LUFS at matching gain ${matchDb} dB`);
  assert.deepEqual(errors, []);
  await page.close();
});

// The documented models (dsp-wasm/src/playback/systems.rs), written out
// again from their textbook formulas: power gains of analogue prototypes.
const hp = (f, fc, n) => { const r = (f / fc) ** (2 * n); return r / (1 + r); };
const lp = (f, fc, n) => 1 / (1 + (f / fc) ** (2 * n));
const bell = (f, fc, q, g) => {
  const A = 10 ** (g / 40), w = f / fc, d = (1 - w * w) ** 2;
  return (d + (w * A / q) ** 2) / (d + (w / (A * q)) ** 2);
};
const shelf = (f, fc, g) => {
  const A = 10 ** (g / 40), w = f / fc, k = w * Math.sqrt(A) * Math.SQRT2;
  return A * A * ((A - w * w) ** 2 + k * k) / ((1 - A * w * w) ** 2 + k * k);
};
const dB = (p) => 10 * Math.log10(p);
// Each system is heard this much lower on the monitor (its largest boost, and
// the car's noise), so nothing it plays clips.
const TRIM = { hifi: 0, headphones: -4, earbuds: -4, phone: -3, laptop: 0, car: -10, club: 0 };
const TONES = [50, 100, 1000, 3500, 6000];
// Anti-phase between the channels at 50 Hz and 1 kHz: a mono sum cancels them.
const ANTI = new Set([50, 1000]);

test('each playback system changes the rendered audio as its model says', async () => {
  const n = SR * 2;
  const amp = 0.08;
  const l = new Float32Array(n), r = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (const f of TONES) {
      const v = amp * Math.sin(2 * Math.PI * f * i / SR);
      l[i] += v;
      r[i] += ANTI.has(f) ? -v : v;
    }
  }
  // Expected gain (dB) of the left channel per tone; null = cancelled (< −25 dB).
  const expect = {
    hifi: (f) => 0,
    headphones: (f) => dB(shelf(f, 105, 4)),
    earbuds: (f) => dB(hp(f, 50, 2) * bell(f, 3500, 1, 4)),
    phone: (f) => (ANTI.has(f) ? null : dB(hp(f, 400, 4) * bell(f, 2500, 1, 3) * lp(f, 12000, 2))),
    laptop: (f) => dB(hp(f, 180, 4) * lp(f, 15000, 2)),
    car: (f) => dB(shelf(f, 70, 8)),
    club: (f) => (f < 120 && ANTI.has(f) ? null : dB(hp(f, 30, 4))),
  };
  const { page, errors } = await openApp(env.browser, env.server.url);
  const systems = await page.$$eval('[data-system][role="radio"]', (els) => els.map((e) => e.dataset.system));
  // The page is not analysed yet: the picker appears with a report, so take the ids from the model list.
  const ids = systems.length ? systems : ['hifi', 'headphones', 'earbuds', 'phone', 'laptop', 'car', 'club'];
  const chain = JSON.stringify({ format: 'preflight.chain/1', modules: [] });
  const lines = [];
  for (const [id, gain] of Object.entries(expect)) {
    const system = ids.indexOf(id);
    assert.ok(system >= 0, id);
    const out = await page.evaluate(async ({ l, r, sr, chain, system }) => {
      const o = await window.__preflight.renderOffline([Float32Array.from(l), Float32Array.from(r)], sr, chain,
        { system, lufs: -14 });
      return o.map((c) => Array.from(c));
    }, { l: Array.from(l), r: Array.from(r), sr: SR, chain, system });
    // Quadrature detection over the second half (whole cycles of every tone).
    const from = n / 2, len = n / 2;
    const level = (x, f) => {
      let s = 0, c = 0;
      for (let i = from; i < from + len; i++) {
        const w = 2 * Math.PI * f * i / SR;
        s += x[i] * Math.sin(w); c += x[i] * Math.cos(w);
      }
      return 20 * Math.log10(2 * Math.hypot(s, c) / len / amp);
    };
    for (const f of TONES) {
      const got = level(out[0], f) - TRIM[id];
      const want = gain(f);
      lines.push(`${id} ${f} Hz: ${got.toFixed(2)} dB (model ${want === null ? 'cancelled' : want.toFixed(2)})`);
      if (id === 'car') continue; // checked below, with its noise
      if (want === null) assert.ok(got < -25, lines.at(-1));
      else if (want < -40) assert.ok(got < -35, lines.at(-1));
      else assert.ok(Math.abs(got - want) < 0.5, lines.at(-1));
    }
    if (id === 'phone') {
      // (After the 30 ms crossfade from hifi that any change of system makes.)
      assert.ok(out[0].every((v, i) => i < n / 2 || v === out[1][i]), 'the phone is mono: left equals right');
      // Little below 300 Hz: energy at 50–100 Hz at least 40 dB down.
      assert.ok(level(out[0], 100) < -40 && level(out[0], 50) < -40, lines.join('\n'));
    }
    if (id === 'car') {
      // The tones are 30 dB above the road noise at 1–4 kHz, so they read
      // the cabin shelf; 50 Hz sits near the noise and is left out.
      for (const f of [100, 1000, 3500]) {
        assert.ok(Math.abs(level(out[0], f) - TRIM.car - gain(f)) < 0.5, lines.join('\n'));
      }
    }
  }
  // The car's road noise alone: present, different per side, mostly low.
  const noise = await page.evaluate(async ({ n, sr, chain, system }) => {
    const z = new Float32Array(n);
    const o = await window.__preflight.renderOffline([z, z], sr, chain, { system, lufs: -14 });
    return o.map((c) => Array.from(c));
  }, { n, sr: SR, chain, system: ids.indexOf('car') });
  const rms = (x) => Math.sqrt(x.slice(n / 2).reduce((s, v) => s + v * v, 0) / (n / 2));
  const noiseDb = 20 * Math.log10(rms(noise[0]));
  // The model: each ⅓-octave band from 20 Hz 15 dB under the programme's
  // mean square (−14 LUFS + 0.691 dB) up to 100 Hz, falling 6 dB/oct above.
  let model = 0;
  for (let k = 0; k <= 30; k++) {
    const fc = 1000 * 2 ** ((k - 17) / 3);
    model += 10 ** ((-14 + 0.691 - 15 - 6 * Math.max(0, Math.log2(fc / 100))) / 10);
  }
  const want = dB(model) + TRIM.car;
  assert.ok(Math.abs(noiseDb - want) < 1.5, `road noise at ${noiseDb.toFixed(1)} dBFS RMS, model ${want.toFixed(1)}`);
  assert.ok(noise[0].some((v, i) => v !== noise[1][i]), 'diffuse: the sides differ');
  console.log(lines.join('\n'));
  assert.deepEqual(errors, []);
  await page.close();
});

// A new master while playing: the worklet crossfades from the running chain
// to the new one (worklet/src/lib.rs, 30 ms) or ramps a parameter-only change
// inside the running one. Heard here in a real AudioWorklet: the rendering
// suspends, the page's chain message is sent, the rendering resumes. The
// oracle is the input itself and the chains' known gains (both linear, the
// limiter never reached): the output divided by the input is the gain heard.
test('a chain change while playing is heard as a ramp, never a step, and the new chain then plays alone', async () => {
  const n = Math.round(SR * 1.2);
  const amp = 0.25;
  const input = [440, 660].map((f) => Float32Array.from({ length: n }, (_, i) => amp * Math.sin(2 * Math.PI * f * i / SR)));
  const at = 0.5;
  const chain = (modules) => JSON.stringify({ format: 'preflight.chain/1', modules });
  const gain = (db) => ({ module: 'gain', gain_db: db });
  const limiter = { module: 'limiter', ceiling_dbtp: -1, lookahead_ms: 5, release_ms: 120 };
  const flatBell = { module: 'eq', kind: 'peaking', freq_hz: 1000, q: 1, gain_db: 0, target: 'stereo' };
  const cases = [
    // A new module list: a new processor, crossfaded in.
    { name: 'structural', from: chain([gain(-6)]), to: chain([gain(0), gain(0)]), g0: 10 ** (-6 / 20), g1: 1 },
    // The same modules, another gain: ramped inside the running processor.
    { name: 'parameter', from: chain([gain(-6)]), to: chain([gain(0)]), g0: 10 ** (-6 / 20), g1: 1 },
    // Both with the limiter's lookahead, and the same sound: nothing to hear
    // at all, the new chain's delay line included.
    { name: 'same sound, new structure, with lookahead', from: chain([gain(-6), limiter]),
      to: chain([flatBell, gain(-6), limiter]), g0: 10 ** (-6 / 20), g1: 10 ** (-6 / 20) },
  ];
  const { page, errors } = await openApp(env.browser, env.server.url);
  const lines = [];
  for (const c of cases) {
    const out = await page.evaluate(async ({ input, sr, from, to, at }) => {
      const o = await window.__preflight.renderOffline(input.map((x) => Float32Array.from(x)), sr, from,
        { next: { at, chain: to } });
      return o.map((x) => Array.from(x));
    }, { input: input.map((x) => Array.from(x)), sr: SR, from: c.from, to: c.to, at });
    // The chain's delay (the limiter's lookahead): the lag at which the
    // output before the change is the input times the first gain.
    const lagOf = (x, ref) => {
      for (let lag = 0; lag < 2048; lag++) {
        let err = 0;
        for (let i = 4096; i < 8192; i++) err = Math.max(err, Math.abs(x[i] - c.g0 * ref[i - lag]));
        if (err < 1e-4) return lag;
      }
      return -1;
    };
    for (const ch of [0, 1]) {
      const x = out[ch], ref = input[ch];
      const lag = lagOf(x, ref);
      assert.ok(lag >= 0, `${c.name}: the output before the change is the input times ${c.g0}`);
      // The gain heard at each sample where the input is not near a zero crossing.
      const g = [];
      for (let i = 4096; i < n; i++) {
        const r = ref[i - lag];
        if (Math.abs(r) > 0.3 * amp) g.push([i, x[i] / r]);
      }
      let step = 0, first = null, last = null;
      for (let k = 1; k < g.length; k++) {
        const [i, v] = g[k], [j, u] = g[k - 1];
        step = Math.max(step, Math.abs(v - u) / (i - j));
        if (Math.abs(v - c.g0) > 1e-3 && first === null) first = i;
        if (Math.abs(v - c.g1) > 1e-3) last = i;
      }
      const endGain = g.filter(([i]) => i > n - SR / 10).map(([, v]) => v);
      const endErr = Math.max(...endGain.map((v) => Math.abs(v - c.g1)));
      const rampMs = first === null ? 0 : (last - first) * 1000 / SR;
      lines.push(`${c.name} ch${ch}: lag ${lag}, largest change of the gain ${step.toExponential(2)}/sample, `
        + `ramp ${first === null ? 'none' : `${(first / SR).toFixed(4)}–${(last / SR).toFixed(4)} s (${rampMs.toFixed(1)} ms)`}, `
        + `final gain off by ${endErr.toExponential(2)}`);
      // The new chain alone at the end, exactly.
      assert.ok(endErr < 1e-4, lines.at(-1));
      // No step: the gain never moves faster than a 10 ms ramp between the
      // two (a switch without a crossfade moves it all in one sample).
      const slope = Math.max(Math.abs(c.g1 - c.g0), 0.02) / (0.010 * SR);
      assert.ok(step < slope, `${lines.at(-1)}: faster than ${slope.toExponential(2)}/sample`);
      if (c.g0 !== c.g1) {
        // The change lands where it was sent (within a few render quanta)
        // and takes 10–60 ms.
        assert.ok(first !== null && first >= at * SR - 128 && first < at * SR + 20 * 128, lines.at(-1));
        assert.ok(rampMs >= 10 && rampMs <= 60, lines.at(-1));
      } else {
        assert.equal(first, null, `${lines.at(-1)}: the same sound, yet the gain moved`);
      }
    }
  }
  console.log(lines.join('\n'));
  assert.deepEqual(errors, []);
  await page.close();
});

// Before/After while playing, at matched loudness: a master 12 dB louder
// than its mix (a gain, then a look-ahead limiter the tone never reaches)
// heard 12 dB down sounds exactly like the mix, so switching must not be
// heard at all — no swell (a matching gain ramped apart from the A/B fade
// multiplied the two ramps: +3.9 dB for 20 ms) and no stale audio from the
// dry path's delay line (it held the last bypass's audio: a 5 ms burst at
// the start of every switch). The oracle is the input, delayed by the
// chain's latency.
test('Before/After switched while playing at matched loudness is not heard', async () => {
  const n = Math.round(SR * 1.2);
  const amp = 0.05;
  const input = [440, 660].map((f) => Float32Array.from({ length: n }, (_, i) => amp * Math.sin(2 * Math.PI * f * i / SR)));
  const chain = JSON.stringify({ format: 'preflight.chain/1', modules: [
    { module: 'gain', gain_db: 12 },
    { module: 'limiter', ceiling_dbtp: -1, lookahead_ms: 5, release_ms: 120 },
  ] });
  const { page, errors } = await openApp(env.browser, env.server.url);
  const render = (matchDb) => page.evaluate(async ({ input, sr, chain, matchDb }) => {
    const o = await window.__preflight.renderOffline(input.map((x) => Float32Array.from(x)), sr, chain, {
      matchDb,
      next: [{ at: 0.3, bypass: true }, { at: 0.6, bypass: false }, { at: 0.9, bypass: true }],
    });
    return o.map((x) => Array.from(x));
  }, { input: input.map((x) => Array.from(x)), sr: SR, chain, matchDb });
  const lines = [];
  // The control, unmatched: the switches happen, After 12 dB up, Before not.
  const control = await render(0);
  // (The 5 ms look-ahead shifts the output against the input: compare the
  // level over 20 ms, not the samples.)
  const rms = (x, i0) => Math.sqrt(x.slice(i0, i0 + 960).reduce((a, v) => a + v * v, 0) / 960);
  for (const [t, want] of [[0.25, 4], [0.5, 1], [0.8, 4], [1.1, 1]]) {
    const i0 = Math.round(t * SR);
    const g = rms(control[0], i0) / rms(input[0], i0);
    lines.push(`control (no matching) at ${t} s: gain ${g.toFixed(3)}, want ${want}`);
    assert.ok(Math.abs(g - want) < 0.02 * want, lines.at(-1));
  }
  const out = await render(-12);
  for (const ch of [0, 1]) {
    const x = out[ch], ref = input[ch];
    let lag = -1;
    for (let l = 0; l < 2048 && lag < 0; l++) {
      let err = 0;
      for (let i = 4096; i < 8192; i++) err = Math.max(err, Math.abs(x[i] - ref[i - l]));
      if (err < 1e-5) lag = l;
    }
    assert.ok(lag >= 0, `ch${ch}: After is the input at its own level, delayed`);
    let worst = 0, at = 0;
    for (let i = 4096; i < n; i++) {
      const e = Math.abs(x[i] - ref[i - lag]);
      if (e > worst) { worst = e; at = i; }
    }
    lines.push(`ch${ch}: lag ${lag}, largest difference from the input ${worst.toExponential(2)} `
      + `(${(20 * Math.log10(1 + worst / amp)).toFixed(3)} dB of the tone) at ${(at / SR).toFixed(4)} s`);
    assert.ok(worst < 1e-4, lines.at(-1));
  }
  console.log(lines.join('\n'));
  assert.deepEqual(errors, []);
  await page.close();
});

// "Hear it" loops the file over a range: the source jumps from the loop's
// end back to its start, a step of up to twice the music's amplitude. The
// player's voice dips to silence across each seam (8 ms down, 8 ms up),
// so no pass clicks. A tone looped where its phase flips (end at −peak,
// start at +peak), through the player's own voice in a real AudioContext
// graph: away from the seams the output is the input read as the loop
// reads it (the oracle: the loop rule, sample-exact), and nowhere does it
// step more than the tone itself does.
test('Hear it\'s loop passes its seam without a click', async () => {
  const amp = 0.2, f = 440;
  const n = Math.round(SR * 1.5);
  const tone = Float32Array.from({ length: n }, (_, i) => amp * Math.sin(2 * Math.PI * f * i / SR));
  const a = 9627, period = 10964, b = a + period, offset = 4800; // frames
  assert.ok(Math.abs(Math.abs(tone[b] - tone[a]) - 2 * amp) < 0.01, 'the seam is a full swing');
  const chain = JSON.stringify({ format: 'preflight.chain/1', modules: [] });
  const { page, errors } = await openApp(env.browser, env.server.url);
  const [out] = await page.evaluate(async ({ tone, sr, chain, a, b, offset }) => {
    const o = await window.__preflight.renderOffline([Float32Array.from(tone)], sr, chain,
      { loop: [a / sr, b / sr], offset: offset / sr });
    return o.map((x) => Array.from(x));
  }, { tone: Array.from(tone), sr: SR, chain, a, b, offset });
  const read = (i) => (offset + i < b ? offset + i : a + ((offset + i - a) % period));
  const seams = [];
  for (let s = b - offset; s < n; s += period) seams.push(s);
  const fade = Math.round(0.008 * SR), margin = fade + 48;
  let off = 0, step = 0, stepAt = 0, deepest = Infinity;
  for (let i = margin; i < n; i++) {
    const d = Math.abs(out[i] - out[i - 1]);
    if (d > step) { step = d; stepAt = i; }
    const near = seams.some((s) => Math.abs(i - s) < margin);
    if (!near) off = Math.max(off, Math.abs(out[i] - tone[read(i)]));
  }
  for (const s of seams) deepest = Math.min(deepest, Math.max(...out.slice(s - 24, s + 24).map(Math.abs)));
  const toneStep = 2 * Math.PI * f / SR * amp;
  const line = `seams at ${seams.map((s) => (s / SR).toFixed(3)).join(', ')} s; away from them the output is the `
    + `looped input to ${off.toExponential(2)}; largest step ${step.toFixed(4)} at ${(stepAt / SR).toFixed(4)} s `
    + `(the tone's own ${toneStep.toFixed(4)}; a bare seam ${(2 * amp).toFixed(2)}); `
    + `at the seams within ±0.5 ms at most ${deepest.toFixed(4)}`;
  console.log(line);
  assert.ok(seams.length >= 5, line);
  assert.ok(off < 1e-5, line);
  assert.ok(step < 1.5 * toneStep, line);
  assert.deepEqual(errors, []);
  await page.close();
});
