// Preflight's AudioWorkletProcessor: a shim around the `preflight-worklet`
// wasm module (dsp-wasm's ChainProcessor behind a tiny C ABI). No DSP here:
// copy each input quantum into buffers pre-allocated inside wasm memory, call
// one `pf_process`, copy out. The page compiles the module and passes it in
// `processorOptions.module` (AudioWorkletGlobalScope cannot fetch). Buffer
// sizes come from the module (`pf_max_frames`, `pf_max_channels`), never from
// constants here.
//
// Port messages in:  { type: 'chain', bytes: Uint8Array (UTF-8 JSON) }
//                    { type: 'bypass', value: boolean }
//                    { type: 'match', db: number }  loudness-matched A/B gain on the processed path
// Port messages out: { type: 'ready', latency } | { type: 'error', message }
//                    | { type: 'chain-applied', latency }

class PreflightChainProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const opts = options.processorOptions || {};
    this.channels = 0;
    this.ok = false;
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
    for (let c = 0; c < this.channels; c++) {
      const ptr = this.wasm.pf_channel_ptr(c);
      this.views.push(new Float32Array(this.memBuffer, ptr, this.maxFrames));
    }
  }

  onMessage(msg) {
    if (!this.ok || !msg) return;
    if (msg.type === 'chain') {
      this.applyChain(msg.bytes);
    } else if (msg.type === 'bypass') {
      this.wasm.pf_set_bypass(msg.value ? 1 : 0);
    } else if (msg.type === 'match') {
      this.wasm.pf_set_match_db(msg.db);
    }
  }

  applyChain(bytes) {
    const ptr = this.wasm.pf_chain_buffer(bytes.length);
    new Uint8Array(this.wasm.memory.buffer, ptr, bytes.length).set(bytes);
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
    const output = outputs[0];
    if (!output || output.length === 0) return true;
    const frames = output[0].length;
    if (!this.ok) {
      for (const ch of output) ch.fill(0);
      return true;
    }
    if (this.wasm.memory.buffer !== this.memBuffer) this.refreshViews();
    if (frames <= this.maxFrames) {
      this.processSpan(input, output, 0, frames);
    } else {
      // A quantum longer than the engine's buffers (Web Audio's is 128
      // frames) goes through in pieces.
      for (let start = 0; start < frames; start += this.maxFrames) {
        this.processSpan(input, output, start, Math.min(this.maxFrames, frames - start));
      }
    }
    return true;
  }

  // Frames [start, start + n) of the quantum: copy in, one call, copy out.
  processSpan(input, output, start, n) {
    const whole = start === 0 && n === output[0].length;
    for (let c = 0; c < this.channels; c++) {
      // A mono source feeding a stereo chain is duplicated; no input = silence.
      const src = input && input.length ? input[Math.min(c, input.length - 1)] : null;
      const view = this.views[c];
      if (src) view.set(whole ? src : src.subarray(start, start + n));
      else view.fill(0, 0, n);
    }
    this.wasm.pf_process(n);
    for (let c = 0; c < output.length; c++) {
      output[c].set(this.views[Math.min(c, this.channels - 1)].subarray(0, n), start);
    }
  }
}

registerProcessor('preflight-chain', PreflightChainProcessor);
