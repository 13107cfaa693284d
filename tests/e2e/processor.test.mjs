// processor.js without a browser: the built shim and worklet wasm from dist/,
// run in a VM context that stands in for AudioWorkletGlobalScope. Checks the
// shim's part of the memory protocol (sizes read from the module, views
// rebuilt after memory growth, long quanta in pieces, refused parameters);
// the browser test in app.test.mjs checks the real AudioWorklet end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const DIST = process.env.PREFLIGHT_DIST
  || join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'dist');
// A chain in the wire form the worklet reads (dsp-wasm chain/wire.rs):
// [format 2, one module, tag 0 = gain, gain_db -6].
const WIRE_FORMAT = 2;
const CHAIN = Float64Array.of(WIRE_FORMAT, 1, 0, -6);
const GAIN = 10 ** (-6 / 20);
/** `n` chained gain modules of 0 dB, then CHAIN's −6 dB: the same output. */
const longChain = (n) => Float64Array.from([WIRE_FORMAT, n + 1, ...Array(n).fill([0, 0]).flat(), 0, -6]);

/** The processor class registered by processor.js, in a scope with `sampleRate`. */
function loadProcessor(sampleRate) {
  let registered;
  const scope = {
    AudioWorkletProcessor: class {
      constructor() { this.port = { sent: [], postMessage(m) { this.sent.push(m); } }; }
    },
    registerProcessor: (_name, cls) => { registered = cls; },
    sampleRate, WebAssembly, Float32Array, Float64Array, Math, String, Error,
  };
  vm.createContext(scope);
  vm.runInContext(readFileSync(join(DIST, 'processor.js'), 'utf8'), scope);
  return registered;
}

const module = new WebAssembly.Module(readFileSync(join(DIST, 'preflight_worklet.wasm')));

/** Runs `quanta` quanta of `frames` frames of a `sourceChannels` sine; returns max |out - gain * in|. */
function render(proc, frames, quanta, sourceChannels = 2) {
  let err = 0;
  for (let q = 0; q < quanta; q++) {
    const input = Array.from({ length: sourceChannels }, (_, c) =>
      Float32Array.from({ length: frames }, (_, i) => 0.5 * Math.sin((q * frames + i) * 0.01 + c)));
    const output = [new Float32Array(frames), new Float32Array(frames)];
    proc.process([input], [output]);
    output.forEach((out, c) => out.forEach((v, i) => {
      err = Math.max(err, Math.abs(v - GAIN * input[Math.min(c, sourceChannels - 1)][i]));
    }));
  }
  return err;
}

test('the shim has no constants of its own: no imports, sizes from the module', () => {
  assert.deepEqual(WebAssembly.Module.imports(module), []);
  const Proc = loadProcessor(48000);
  const proc = new Proc({ processorOptions: { module, channels: 7, chain: CHAIN } });
  assert.equal(proc.maxFrames, proc.wasm.pf_max_frames());
  assert.equal(proc.channels, proc.wasm.pf_max_channels(), 'channels clamped to the module\'s maximum');
  assert.deepEqual(proc.port.sent.map((m) => m.type), ['chain-applied', 'ready']);
  assert.ok(render(proc, 128, 20) < 1e-6);
});

test('views follow memory growth, long quanta go through in pieces, mono feeds both channels', () => {
  const Proc = loadProcessor(44100);
  const proc = new Proc({ processorOptions: { module, channels: 2, chain: CHAIN } });
  assert.ok(render(proc, 3 * proc.maxFrames + 5, 2) < 1e-6);
  const before = proc.wasm.memory.buffer.byteLength;
  // A chain of 4096 modules makes the engine grow memory.
  proc.port.onmessage({ data: { type: 'chain', words: longChain(4095) } });
  assert.ok(proc.wasm.memory.buffer.byteLength > before);
  assert.equal(proc.port.sent.at(-1).type, 'chain-applied');
  proc.wasm.memory.grow(4); // behind the shim's back: process() must notice
  assert.ok(render(proc, 128, 5) < 1e-6);
  assert.ok(render(proc, 128, 5, 1) < 1e-6);
});

// Chains as the decide loop makes them, in the wire form (tags and parameter
// order of dsp-wasm chain/wire.rs): one of every module (heavier than any
// decision), and a typical master.
const EQ = (kind, hz, q, db) => [2, kind, hz, q, db, 0];
const DYN = (hz, q, thr, cut) => [3, hz, q, thr, 4, cut, 5, 120, 0];
const LIMITER = [8, -1, 5, 120];
const EVERY = [[1, 5], EQ(1, 60, 0.71, -2), EQ(0, 2500, 1, 1.5), [5, 150, -24, 4, 4, 5, 250],
  DYN(4500, 1.2, -35, 4), DYN(7000, 1.5, -40, 6), [4, 4500, 4, 8], [6, 120, 2, 0.9, 0.5, 2],
  [7, 12, 12, 20], [0, 6], LIMITER];
const TYPICAL = [EQ(0, 274, 1.2, -1), DYN(4472, 1.1, -30, 1.5), [4, 4000, 3, 6], [0, 5.2], LIMITER];
const wire = (modules) => Float64Array.from([WIRE_FORMAT, modules.length, ...modules.flat()]);

test('structural chain changes while playing never grow the worklet\'s memory', () => {
  // Memory growth on the audio thread costs a copy of the whole heap and
  // detaches every view; the engine reserves what chain changes need at init.
  for (const rate of [44100, 48000, 96000]) {
    const Proc = loadProcessor(rate);
    const proc = new Proc({ processorOptions: { module, channels: 2, chain: CHAIN } });
    const bytes = proc.wasm.memory.buffer.byteLength;
    const chains = [wire(EVERY), wire(TYPICAL), wire([[0, -3], ...EVERY.slice(1)]), wire(TYPICAL.slice(1))];
    const output = [new Float32Array(128), new Float32Array(128)];
    for (let round = 0; round < 12; round++) {
      proc.port.onmessage({ data: { type: 'chain', words: chains[round % chains.length] } });
      assert.equal(proc.port.sent.at(-1).type, 'chain-applied', JSON.stringify(proc.port.sent.at(-1)));
      // Some changes land mid-crossfade (three chains alive), some after it.
      const quanta = round % 3 === 0 ? 2 : 20;
      for (let q = 0; q < quanta; q++) {
        const input = [0, 1].map((c) => Float32Array.from({ length: 128 }, (_, i) => 0.3 * Math.sin((q * 128 + i) * 0.05 + c)));
        proc.process([input], [output]);
      }
    }
    assert.equal(proc.wasm.memory.buffer.byteLength, bytes,
      `${rate} Hz: memory grew from ${bytes} to ${proc.wasm.memory.buffer.byteLength} bytes during chain changes`);
  }
});

test('a refused sample rate is reported and the output is silence', () => {
  const Proc = loadProcessor(500);
  const proc = new Proc({ processorOptions: { module, channels: 2 } });
  assert.equal(proc.port.sent[0].type, 'error');
  const out = [new Float32Array(128).fill(9), new Float32Array(128).fill(9)];
  proc.process([[new Float32Array(128).fill(1)]], [out]);
  assert.ok(out.every((ch) => ch.every((v) => v === 0)));
});
