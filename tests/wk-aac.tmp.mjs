import { serveDist } from './e2e/support.mjs';
import { startDriver, Session } from './engines/webdriver.mjs';
const variant = process.argv[2];
const where = process.argv[3] || 'worker';
const driver = await startDriver('/usr/bin/WebKitWebDriver');
const server = await serveDist();
const s = await Session.create(driver.url, { 'webkitgtk:browserOptions': { binary: '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser', args: ['--automation'] } });
await s.setTimeouts({ script: 20_000 });
await s.goto(server.url + 'no-such-page');
const body = async ([codec, variant]) => {
  const log = [];
  const L = (m) => log.push(m);
  try {
    let decoded = 0, configured = false, copied = 0;
    const dec = new AudioDecoder({ output: (d) => {
      try {
        const n = d.numberOfFrames;
        if (variant === 'planar') { const b = new Float32Array(n); d.copyTo(b, { planeIndex: 0, format: 'f32-planar' }); copied++; }
        if (variant === 'noformat') { const b = new Float32Array(n); d.copyTo(b, { planeIndex: 0 }); copied++; }
        if (variant === 'sized') { const b = new Float32Array(d.allocationSize({ planeIndex: 0 }) / 4); d.copyTo(b, { planeIndex: 0 }); copied++; }
        if (variant === 'ab') { const b = new ArrayBuffer(d.allocationSize({ planeIndex: 0 })); d.copyTo(b, { planeIndex: 0 }); copied++; }
        if (variant === 'interleaved') { const b = new Float32Array(n * 2); d.copyTo(b, { planeIndex: 0, format: 'f32' }); copied++; globalThis.__pk = globalThis.__pk || [0, 0]; for (let i = 0; i < n; i++) { globalThis.__pk[0] = Math.max(globalThis.__pk[0], Math.abs(b[2 * i])); globalThis.__pk[1] = Math.max(globalThis.__pk[1], Math.abs(b[2 * i + 1])); } }
        if (variant === 'clone') { const c = d.clone(); const b = new Float32Array(n); c.copyTo(b, { planeIndex: 0, format: 'f32-planar' }); c.close(); copied++; }
        if (variant === 'later') { globalThis.__held = globalThis.__held || []; globalThis.__held.push(d); decoded += n; return; }
      } catch (e) { if (!log.some((x) => x.startsWith('threw'))) L('threw ' + e); }
      decoded += d.numberOfFrames; d.close();
    }, error: (e) => L('dec error ' + e) });
    const enc = new AudioEncoder({ output: (c, meta) => { if (!configured && meta?.decoderConfig) { dec.configure(meta.decoderConfig); configured = true; } dec.decode(c); }, error: (e) => L('enc error ' + e) });
    enc.configure({ codec, sampleRate: 48000, numberOfChannels: 2, bitrate: 256000 });
    const n = 4800, frames = 48000 * 3;
    for (let s0 = 0; s0 < frames; s0 += n) {
      const p = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) { p[i] = 0.3 * Math.sin((s0 + i) * 0.05); p[n + i] = 0.1 * Math.sin((s0 + i) * 0.013); }
      const d = new AudioData({ format: 'f32-planar', sampleRate: 48000, numberOfFrames: n, numberOfChannels: 2, timestamp: s0 * 1e6 / 48000, data: p });
      enc.encode(d); d.close();
    }
    await enc.flush();
    if (configured) await dec.flush();
    if (variant === 'later') { for (const d of globalThis.__held) { const b = new Float32Array(d.numberOfFrames); d.copyTo(b, { planeIndex: 0, format: 'f32-planar' }); copied++; d.close(); } }
    L(`decoded ${decoded} copied ${copied} peaks ${globalThis.__pk}`);
  } catch (e) { L('threw ' + e); }
  return log.join('; ');
};
let r;
if (where === 'page') r = await s.evaluateAsync(body, [process.env.CODEC || 'mp4a.40.2', variant]);
else r = await s.evaluateAsync(async (src, arg) => {
  const w = new Worker(URL.createObjectURL(new Blob([`const f = ${src}; onmessage = async (e) => postMessage(await f(e.data));`], { type: 'text/javascript' })));
  return await new Promise((ok) => { w.onmessage = (e) => ok(e.data); w.onerror = (e) => ok('worker error ' + e.message); w.postMessage(arg); });
}, body.toString(), [process.env.CODEC || 'mp4a.40.2', variant]);
console.log(`${variant} ${where}: ${r}`);
await s.close(); await server.close(); await driver.stop();
