// Shared pieces of the browser tests: a loopback static server for dist/,
// Debian Chromium through playwright-core, WAV writing/reading, the native CLI.
import { createServer } from 'node:http';
import { before, after } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = process.env.PREFLIGHT_DIST || join(ROOT, 'dist');
export const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
export const PREFLIGHT = process.env.PREFLIGHT_BIN || join(ROOT, 'target', 'release', 'preflight');

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json',
  '.png': 'image/png',
};

/**
 * Serves dist/ on 127.0.0.1 (random port). Resolves to { url, log, close, goOffline }.
 * `headers` are added to every response (e.g. a Content-Security-Policy);
 * `log` lists every request the server received ({ method, path, at, body,
 * headers }), the body read for POSTs (CSP violation reports). Setting `rewrite` to
 * `(path, bytes) => bytes` changes what is served from then on (e.g. a "new
 * build"). `goOffline()` stops the server and drops its open connections:
 * nothing answers any more.
 */
export async function serveDist({ headers = {} } = {}) {
  const log = [];
  const server = createServer(async (req, res) => {
    const entry = { method: req.method, path: req.url, at: Date.now(), body: null, headers: req.headers };
    log.push(entry);
    if (req.method === 'POST') {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      entry.body = Buffer.concat(chunks).toString('utf8');
      res.writeHead(204);
      res.end();
      return;
    }
    try {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      const rel = normalize(path === '/' ? '/index.html' : path).replace(/^(\.\.[/\\])+/, '');
      let body = await readFile(join(DIST, rel));
      if (served.rewrite) body = served.rewrite(rel, body);
      res.writeHead(200, { ...headers, 'content-type': MIME[extname(rel)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404, headers);
      res.end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  const close = () => new Promise((ok) => { server.close(ok); server.closeAllConnections(); });
  const served = { url: `http://127.0.0.1:${port}/`, log, close, goOffline: close, rewrite: null };
  return served;
}

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required',
  '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync',
];

/** Debian's Chromium, headless, with the flags this machine needs. Its pages
 * open in contexts that are off the record, like a private window: a site's
 * storage is kept in memory. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** The same Chromium with a browser profile of its own (a fresh directory
 * under `PREFLIGHT_PROFILE_DIR` or the temporary folder, removed on
 * `close()`), as an artist's everyday window: a site's storage is on disk.
 * Offers `newPage` and `close` as a browser does, and `dir`. */
export async function launchProfile() {
  const dir = await mkdtemp(join(process.env.PREFLIGHT_PROFILE_DIR || tmpdir(), 'preflight-profile-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    dir,
    newPage: (options) => context.newPage(options),
    close: async () => {
      await context.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Opens the app with `?test-hooks`, collecting console errors and, apart,
 * console warnings (the page's and its Workers'); waits for the drop zone. */
export async function openApp(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors = [];
  const warnings = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
    if (m.type() === 'warning') warnings.push(m.text());
  });
  // ?test-hooks: the page exposes its test values and functions on window.
  const u = new URL(url);
  u.searchParams.set('test-hooks', '');
  await page.goto(u.href);
  await page.waitForSelector('#dropzone');
  return { page, errors, warnings };
}

/** Deterministic "music-like" stereo test signal: bass notes, chords, noise hats, a level change. */
export function musicLike(sampleRate, seconds, seed = 1) {
  const n = Math.round(sampleRate * seconds);
  const l = new Float32Array(n), r = new Float32Array(n);
  let s = seed >>> 0 || 1;
  const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296 - 0.5; };
  const notes = [55, 65.41, 73.42, 49];
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    const bar = Math.floor(t / 2) % notes.length;
    const f = notes[bar];
    const beat = t % 0.5;
    const env = Math.exp(-beat * 8);
    const section = t > seconds / 2 ? 1.0 : 0.5;
    const bass = 0.35 * Math.sin(2 * Math.PI * f * t) * (0.6 + 0.4 * env);
    const chord = 0.08 * (Math.sin(2 * Math.PI * f * 4 * t) + Math.sin(2 * Math.PI * f * 5 * t + 0.3) + Math.sin(2 * Math.PI * f * 6 * t + 0.7));
    const hat = rnd() * 0.12 * Math.exp(-((t % 0.25) * 40));
    l[i] = section * (bass + chord * 1.1 + hat);
    r[i] = section * (bass + chord * 0.9 - hat * 0.8);
  }
  return [l, r];
}

/** Encodes planar channels as a WAV (format: 'int16' | 'float32'). */
export function wavBytes(channels, sampleRate, format = 'int16') {
  const nc = channels.length, frames = channels[0].length;
  const bps = format === 'float32' ? 4 : 2;
  const data = Buffer.alloc(frames * nc * bps);
  let o = 0;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < nc; c++) {
      const v = channels[c][i];
      if (format === 'float32') { data.writeFloatLE(v, o); o += 4; }
      else { data.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * 32767))), o); o += 2; }
    }
  }
  const h = Buffer.alloc(44);
  h.write('RIFF', 0); h.writeUInt32LE(36 + data.length, 4); h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16); h.writeUInt16LE(format === 'float32' ? 3 : 1, 20); h.writeUInt16LE(nc, 22);
  h.writeUInt32LE(sampleRate, 24); h.writeUInt32LE(sampleRate * nc * bps, 28); h.writeUInt16LE(nc * bps, 32);
  h.writeUInt16LE(bps * 8, 34); h.write('data', 36); h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** Decodes a 32-bit float, 24-bit or 16-bit WAV written by the engine into planar Float32Arrays. */
export function readWav(buf) {
  let p = 12, fmt = null, data = null;
  while (p + 8 <= buf.length) {
    const id = buf.toString('ascii', p, p + 4), len = buf.readUInt32LE(p + 4);
    if (id === 'fmt ') fmt = { tag: buf.readUInt16LE(p + 8), nc: buf.readUInt16LE(p + 10), sr: buf.readUInt32LE(p + 12), bits: buf.readUInt16LE(p + 22) };
    if (id === 'data') data = buf.subarray(p + 8, p + 8 + len);
    p += 8 + len + (len & 1);
  }
  const bps = fmt.bits / 8, frames = data.length / (bps * fmt.nc);
  const chans = Array.from({ length: fmt.nc }, () => new Float32Array(frames));
  for (let i = 0; i < frames; i++) for (let c = 0; c < fmt.nc; c++) {
    const o = (i * fmt.nc + c) * bps;
    chans[c][i] = fmt.bits === 32 ? data.readFloatLE(o)
      : fmt.bits === 24 ? data.readIntLE(o, 3) / 8388608 : data.readInt16LE(o) / 32768;
  }
  return { sampleRate: fmt.sr, channels: chans };
}

/** Runs the native command line; returns { code, stdout, stderr }. */
export function cli(args) {
  try {
    const stdout = execFileSync(PREFLIGHT, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    return { code: e.status, stdout: e.stdout || '', stderr: e.stderr || '' };
  }
}

export async function saveArtifact(name, bytes) {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await writeFile(path, bytes);
  return path;
}

/** The Content-Security-Policy of the built page (its <meta http-equiv>), as written in index.html. */
export async function metaCsp() {
  const html = await readFile(join(DIST, 'index.html'), 'utf8');
  // Attributes in any order, quoted or not (release builds minify the HTML).
  const tag = html.match(/<meta[^>]*http-equiv="?Content-Security-Policy"?[^>]*>/);
  const m = tag && tag[0].match(/content="([^"]+)"/);
  if (!m) throw new Error('dist/index.html has no Content-Security-Policy meta');
  return m[1];
}

/**
 * The header a deployment sends: the page's policy plus what only a header
 * can say (frame-ancestors). `reportTo` adds a report-uri for the tests, so
 * violations in the Workers, the worklet and the service worker reach the
 * test server too.
 */
export async function headerCsp({ reportTo = null } = {}) {
  return `${await metaCsp()}; frame-ancestors 'none'${reportTo ? `; report-uri ${reportTo}` : ''}`;
}

/**
 * Waits until the page has finished loading everything it will ever need:
 * the drop zone, both Workers warmed up (their scripts and wasm fetched), the
 * worklet engine compiled and — unless `offline: false` — a service worker in
 * control (every built file precached).
 */
export async function waitUntilLoaded(page, { offline = true } = {}) {
  await page.waitForSelector('#dropzone');
  await page.waitForFunction((offline) => {
    const root = document.documentElement;
    return root.hasAttribute('data-engine-warm') && root.hasAttribute('data-helper-warm')
      && root.hasAttribute('data-worklet-ready')
      && (!offline || (root.dataset.offline === 'ready' && navigator.serviceWorker.controller !== null));
  }, offline, { timeout: 60_000 });
}

/** A fresh temporary folder `preflight-NAME-…` for a suite's files. */
export function tempDir(name) {
  return mkdtempSync(join(tmpdir(), `preflight-${name}-`));
}

/**
 * The suite's server of dist/ and its Chromium, started before the suite's
 * tests and closed after them: `const env = browserSuite();`, then
 * `env.server.url` and `env.browser` inside the tests; `{ profile: true }`
 * opens an everyday browser profile ([`launchProfile`]) instead.
 */
export function browserSuite({ profile = false } = {}) {
  const env = { server: null, browser: null };
  before(async () => {
    env.server = await serveDist();
    env.browser = profile ? await launchProfile() : await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

/** `text` as the page typesets the engine's words (app/src/fmt.rs `prose`):
 * a hyphen-minus signing a number becomes a true minus ("-8.0 dB" →
 * "−8.0 dB"); hyphens in words and ranges stay. */
export function typeset(text) {
  return text.replace(/(^|[^A-Za-z0-9.])-(?=\d)/g, '$1−');
}
