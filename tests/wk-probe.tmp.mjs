import { serveDist } from './e2e/support.mjs';
import { startDriver, Session } from './engines/webdriver.mjs';
const driver = await startDriver('/usr/bin/WebKitWebDriver');
const server = await serveDist();
const s = await Session.create(driver.url, { 'webkitgtk:browserOptions': { binary: '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser', args: ['--automation'] } });
await s.setTimeouts({ script: 60_000 });
await s.goto(server.url + 'no-such-page');
const body = async (codec) => {
  const log = [];
  const t0 = performance.now();
  const L = (m) => log.push(`${(performance.now() - t0).toFixed(0)}ms ${m}`);
  try {
    let decoded = 0, chunks = 0, configured = false;
    const dec = new AudioDecoder({ output: (d) => { if (decoded === 0) { L('format ' + d.format + ' ch ' + d.numberOfChannels + ' fr ' + d.numberOfFrames + ' alloc0 ' + (() => { try { return d.allocationSize({ planeIndex: 0, format: 'f32-planar' }); } catch (e) { return 'threw ' + e; } })()); if (globalThis.__mode === 'copy') { try { const b = new Float32Array(d.numberOfFrames); d.copyTo(b, { planeIndex: 0, format: 'f32-planar' }); L('copy0 ok ' + b[500]); } catch (e) { L('copy0 threw ' + e); } } } decoded += d.numberOfFrames; d.close(); }, error: (e) => L('dec error ' + e) });
    const enc = new AudioEncoder({ output: (c, meta) => { chunks++; if (!configured && meta?.decoderConfig) { dec.configure(meta.decoderConfig); configured = true; L('dec configured ' + JSON.stringify({ ...meta.decoderConfig, description: !!meta.decoderConfig.description })); } dec.decode(c); }, error: (e) => L('enc error ' + e) });
    enc.configure({ codec, sampleRate: 48000, numberOfChannels: 2, bitrate: codec === 'opus' ? 128000 : 256000 });
    L('configured');
    const n = 4800, frames = 48000 * 3;
    for (let s0 = 0; s0 < frames; s0 += n) {
      const p = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) { p[i] = 0.3 * Math.sin((s0 + i) * 0.05); p[n + i] = p[i]; }
      const d = new AudioData({ format: 'f32-planar', sampleRate: 48000, numberOfFrames: n, numberOfChannels: 2, timestamp: s0 * 1e6 / 48000, data: p });
      enc.encode(d); d.close();
    }
    L('encoded all');
    await Promise.race([enc.flush().then(() => L('enc flushed')), new Promise((ok) => setTimeout(() => { L('enc flush TIMEOUT'); ok(); }, 8000))]);
    L(`chunks ${chunks}`);
    if (configured) await Promise.race([dec.flush().then(() => L('dec flushed')), new Promise((ok) => setTimeout(() => { L('dec flush TIMEOUT'); ok(); }, 8000))]);
    L(`decoded frames ${decoded}`);
  } catch (e) { L('threw ' + e); }
  return log.join('\n');
};
for (const codec of ['mp4a.40.2']) {
  console.log(`--- worker, ${codec}\n` + await s.evaluateAsync(async (src, codec) => {
    const w = new Worker(URL.createObjectURL(new Blob([`const f = ${src}; globalThis.__mode = 'MODEV'; onmessage = async (e) => postMessage(await f(e.data));`], { type: 'text/javascript' })));
    return await new Promise((ok) => { w.onmessage = (e) => ok(e.data); w.onerror = (e) => ok('worker error ' + e.message); w.postMessage(codec); });
  }, body.toString(), codec));
}
await s.close(); await server.close(); await driver.stop();
