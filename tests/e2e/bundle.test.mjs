// What a first visit downloads: every file the page loads (dist/ without the
// embed example), gzip-compressed as a server sends it; the decoder Worker's
// files (MP3, Ogg Vorbis, AAC/M4A) only when such a file is dropped, so they
// are counted apart. The goal is under 1 MB (issue: "the report view",
// speed): what a WAV or FLAC session loads is bounded by 1,000,000 bytes
// (995,498 on 2026-12-03, session 25), the decoder by where it stands
// (0.308 MiB), so a dependency or feature that brings back KBs fails the
// suite instead of going unnoticed. The service worker also fetches the decoder,
// once the page is ready, so that compressed files open offline.
// Build first: `trunk build --release --offline --skip-version-check`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DIST } from './support.mjs';

const PAGE_BOUND_BYTES = 1_000_000;
const DECODER_BOUND_MIB = 0.32;
const mib = (b) => `${(b / 1048576).toFixed(3)} MiB`;

test('what the page loads stays under its size bound, and the decoder it loads for compressed files under its own', () => {
  // Every file, wasm-bindgen's snippets/ folder included (page modules).
  const files = readdirSync(DIST, { recursive: true })
    .filter((n) => statSync(join(DIST, n)).isFile() && !/^embed-example|\.map$/.test(n));
  const sizes = Object.fromEntries(files.map((n) => [n, gzipSync(readFileSync(join(DIST, n)), { level: 9 }).length]));
  const sum = (names) => names.reduce((a, n) => a + sizes[n], 0);
  const decoderFiles = files.filter((n) => n.startsWith('decoder'));
  const pageFiles = files.filter((n) => !n.startsWith('decoder'));
  const [page, decoder] = [sum(pageFiles), sum(decoderFiles)];
  const worker = sizes['worker_bg.wasm'];
  assert.ok(worker > 100_000, `the Worker's wasm is in dist/ (${worker} B)`);
  assert.ok(sizes['decoder_bg.wasm'] > 50_000, `the decoder's wasm is in dist/ (${sizes['decoder_bg.wasm']} B)`);
  console.log(`gzip: ${page} B = ${mib(page)} for a WAV or FLAC (Worker wasm ${(worker / 1024).toFixed(0)} KiB), `
    + `+ ${mib(decoder)} for MP3, Ogg Vorbis or AAC/M4A (decoder wasm ${(sizes['decoder_bg.wasm'] / 1024).toFixed(0)} KiB); ${mib(page + decoder)} in all`);
  assert.ok(page < PAGE_BOUND_BYTES, `${page} B (${mib(page)}) ≥ ${PAGE_BOUND_BYTES} B: ${JSON.stringify(sizes)}`);
  assert.ok(decoder <= DECODER_BOUND_MIB * 1048576, `decoder ${mib(decoder)} > ${DECODER_BOUND_MIB} MiB: ${JSON.stringify(sizes)}`);
});
