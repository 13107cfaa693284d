import { launchBrowser, serveDist } from './e2e/support.mjs';
const server = await serveDist();
const browser = await launchBrowser();
const page = await browser.newPage();
await page.goto(server.url + 'no-such-page');
for (const fmt of ['f32', 'f32-planar']) console.log(fmt, await page.evaluate(async (fmt) => {
  let out = 'none';
  const dec = new AudioDecoder({ output: (d) => { if (out === 'none') { try { const b = new Float32Array(d.numberOfFrames * (fmt === 'f32' ? 2 : 1)); d.copyTo(b, { planeIndex: 0, format: fmt }); out = 'ok ' + d.format; } catch (e) { out = 'threw ' + e; } } d.close(); }, error: (e) => { out = 'dec error ' + e; } });
  let conf = false;
  const enc = new AudioEncoder({ output: (c, m) => { if (!conf && m?.decoderConfig) { dec.configure(m.decoderConfig); conf = true; } dec.decode(c); }, error: (e) => { out = 'enc error ' + e; } });
  enc.configure({ codec: 'opus', sampleRate: 48000, numberOfChannels: 2, bitrate: 128000 });
  for (let s0 = 0; s0 < 48000; s0 += 4800) { const p = new Float32Array(9600).map((_, i) => 0.3 * Math.sin(i * 0.05)); const d = new AudioData({ format: 'f32-planar', sampleRate: 48000, numberOfFrames: 4800, numberOfChannels: 2, timestamp: s0 * 1e6 / 48000, data: p }); enc.encode(d); d.close(); }
  await enc.flush(); await dec.flush();
  return out;
}, fmt));
await browser.close(); await server.close();
