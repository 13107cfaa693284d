// Preflight's AudioWorkletProcessor: a shim around the `preflight-worklet`
// wasm module (dsp-wasm's ChainProcessor behind a tiny C ABI). No DSP here:
// copy each input quantum into buffers pre-allocated inside wasm memory, call
// one `pf_process`, copy out. The page compiles the module and passes it in
// `processorOptions.module` (AudioWorkletGlobalScope cannot fetch). Buffer
// sizes come from the module (`pf_max_frames`, `pf_max_channels`), never from
// constants here.
//
// processorOptions: { module, channels, chain (Float64Array: the chain's wire form, dsp-wasm chain/wire.rs),
//                     heard: { bypass, matchDb, system, lo, hi, lufs, codec } (optional, as the messages below) }
// Inputs: 0 = the file (through the chain), 1 = the master after a codec round trip
// Port messages in:  { type: 'chain', words: Float64Array (the chain's wire form) }
//                    { type: 'bypass', value: boolean }
//                    { type: 'match', db: number }  loudness-matched A/B gain on the processed path
//                    { type: 'listen', system: index, lo, hi, lufs }  playback system (report
//                      order, 0 = hifi), solo band [lo, hi] Hz (0, 0 = none), programme loudness
//                    { type: 'codec', value: boolean }  hear the second input (the master
//                      after a codec round trip, played in step) instead of the chain
// Port messages out: { type: 'ready', latency } | { type: 'error', message }
//                    | { type: 'chain-applied', latency }
//                    | { type: 'state', bypass, matchDb, system, solo, codec }  after every change
//                      of what is heard: the page (and its tests) see what the engine plays

class PreflightChainProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const opts = options.processorOptions || {};
    this.channels = 0;
    this.ok = false;
    this.heard = { bypass: false, matchDb: 0, system: 0, solo: null, codec: false };
    try {
      this.instance = new WebAssembly.Instance(opts.module, {});
      this.wasm = this.instance.exports;
      const maxChannels = this.wasm.pf_max_channels();
      this.channels = Math.max(1, Math.min(maxChannels, opts.channels | 0 || maxChannels));
      this.maxFrames = this.wasm.pf_max_frames();
      if (this.wasm.pf_init(sampleRate, this.channels) !== 0) {
        throw new Error('the engine refused sample rate ' + sampleRate);
      }
      this.refreshViews();
      this.ok = true;
      // The first chain comes with the options so the very first quantum is
      // already processed (port messages may arrive after rendering starts).
      if (opts.chain) this.applyChain(opts.chain);
      // And what is heard (an offline render of Before/After on a system).
      if (opts.heard) this.applyHeard(opts.heard);
    } catch (e) {
      this.port.postMessage({ type: 'error', message: String(e && e.message || e) });
    }
    this.port.onmessage = (ev) => this.onMessage(ev.data);
    if (this.ok) {
      this.port.postMessage({ type: 'ready', latency: this.wasm.pf_latency() });
    }
  }

  // Views into wasm memory go stale when memory grows (a new chain may grow
  // it): rebuild them whenever the buffer object changes.
  refreshViews() {
    this.memBuffer = this.wasm.memory.buffer;
    this.views = [];
    this.codecViews = [];
    for (let c = 0; c < this.channels; c++) {
      const ptr = this.wasm.pf_channel_ptr(c);
      this.views.push(new Float32Array(this.memBuffer, ptr, this.maxFrames));
      const codecPtr = this.wasm.pf_codec_ptr(c);
      this.codecViews.push(new Float32Array(this.memBuffer, codecPtr, this.maxFrames));
    }
  }

  onMessage(msg) {
    if (!this.ok || !msg) return;
    if (msg.type === 'chain') {
      this.applyChain(msg.words);
    } else if (msg.type === 'bypass') {
      this.wasm.pf_set_bypass(msg.value ? 1 : 0);
      this.heard.bypass = !!msg.value;
      this.postState();
    } else if (msg.type === 'codec') {
      this.wasm.pf_set_codec(msg.value ? 1 : 0);
      this.heard.codec = !!msg.value;
      this.postState();
    } else if (msg.type === 'match') {
      this.wasm.pf_set_match_db(msg.db);
      this.heard.matchDb = msg.db;
      this.postState();
    } else if (msg.type === 'listen') {
      const lo = +msg.lo || 0;
      const hi = +msg.hi || 0;
      if (this.wasm.pf_set_listening(msg.system >>> 0, lo, hi, +msg.lufs) === 0) {
        this.heard.system = msg.system >>> 0;
        this.heard.solo = hi > lo && lo > 0 ? [lo, hi] : null;
        this.postState();
      } else {
        this.port.postMessage({ type: 'error', message: 'unknown playback system ' + msg.system });
      }
    }
  }

  applyHeard(h) {
    if ('bypass' in h) this.onMessage({ type: 'bypass', value: h.bypass });
    if ('matchDb' in h) this.onMessage({ type: 'match', db: h.matchDb });
    if ('system' in h) this.onMessage({ type: 'listen', system: h.system, lo: h.lo, hi: h.hi, lufs: h.lufs });
    if ('codec' in h) this.onMessage({ type: 'codec', value: h.codec });
  }

  postState() {
    this.port.postMessage({ type: 'state', ...this.heard });
  }

  applyChain(words) {
    const n = words ? words.length : 0;
    const ptr = this.wasm.pf_chain_buffer(n);
    new Float64Array(this.wasm.memory.buffer, ptr, n).set(words || []);
    const rc = this.wasm.pf_set_chain();
    this.refreshViews();
    if (rc === 0) {
      this.port.postMessage({ type: 'chain-applied', latency: this.wasm.pf_latency() });
    } else {
      this.port.postMessage({ type: 'error', message: 'the processing chain was rejected' });
    }
  }

  process(inputs, outputs) {
    const input = inputs[0];
    const codec = inputs[1];
    const output = outputs[0];
    if (!output || output.length === 0) return true;
    const frames = output[0].length;
    if (!this.ok) {
      for (const ch of output) ch.fill(0);
      return true;
    }
    if (this.wasm.memory.buffer !== this.memBuffer) this.refreshViews();
    if (frames <= this.maxFrames) {
      this.processSpan(input, codec, output, 0, frames);
    } else {
      // A quantum longer than the engine's buffers (Web Audio's is 128
      // frames) goes through in pieces.
      for (let start = 0; start < frames; start += this.maxFrames) {
        this.processSpan(input, codec, output, start, Math.min(this.maxFrames, frames - start));
      }
    }
    return true;
  }

  // One input's frames [start, start + n) into the engine's buffers `views`.
  copyIn(from, views, start, n, whole) {
    for (let c = 0; c < this.channels; c++) {
      // A mono source feeding a stereo chain is duplicated; no input = silence.
      const src = from && from.length ? from[Math.min(c, from.length - 1)] : null;
      const view = views[c];
      if (src) view.set(whole ? src : src.subarray(start, start + n));
      else view.fill(0, 0, n);
    }
  }

  // Frames [start, start + n) of the quantum: copy in, one call, copy out.
  processSpan(input, codec, output, start, n) {
    const whole = start === 0 && n === output[0].length;
    this.copyIn(input, this.views, start, n, whole);
    this.copyIn(codec, this.codecViews, start, n, whole);
    this.wasm.pf_process(n);
    for (let c = 0; c < output.length; c++) {
      output[c].set(this.views[Math.min(c, this.channels - 1)].subarray(0, n), start);
    }
  }
}

registerProcessor('preflight-chain', PreflightChainProcessor);
