// A tiny W3C WebDriver client (classic HTTP protocol, Node's fetch): just
// what the WebKitGTK run needs. WebKitWebDriver (Debian's webkit2gtk-driver)
// drives WebKitGTK's MiniBrowser; it speaks no WebDriver BiDi, so console
// messages are not available through it (see webkit.test.mjs).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** The WebDriver spec's key for a web element reference. */
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** A free loopback TCP port. */
async function freePort() {
  const srv = createServer();
  await new Promise((ok) => srv.listen(0, '127.0.0.1', ok));
  const { port } = srv.address();
  await new Promise((ok) => srv.close(ok));
  return port;
}

/**
 * Starts `driverPath` (e.g. /usr/bin/WebKitWebDriver) on a free port and
 * waits until it answers /status. Resolves to { url, process, output, stop }.
 * `output` collects the driver's stdout/stderr (for failure messages).
 */
export async function startDriver(driverPath, { timeoutMs = 15_000 } = {}) {
  const port = await freePort();
  const output = [];
  const child = spawn(driverPath, [`--port=${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => output.push(String(d)));
  child.stderr.on('data', (d) => output.push(String(d)));
  const exited = new Promise((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
  // Never outlive this process (an uncaught error, a failed test run).
  const killOnExit = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); };
  process.once('exit', killOnExit);
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${driverPath} exited (${child.exitCode}): ${output.join('')}`);
    try {
      const r = await fetch(`${url}/status`);
      if (r.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > end) { child.kill(); throw new Error(`${driverPath} did not answer on ${url}: ${output.join('')}`); }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((ok) => setTimeout(ok, 5000))]);
  };
  return { url, process: child, output, stop };
}

/** A WebDriver error answer, with the command that got it. */
export class WebDriverError extends Error {
  constructor(command, value) {
    super(`${command}: ${value?.error ?? 'error'}: ${value?.message ?? JSON.stringify(value)}`);
    this.error = value?.error;
  }
}

/**
 * Longest a WebDriver command may take, ms. The sessions' own timeouts
 * (script 30 s, page load 60 s) end a slow command well before; a command
 * still unanswered after this is a browser that hangs, and fails naming
 * the command instead of stalling the test file until its time limit
 * (the project's CI once saw a WebKit test cancelled that way, silently).
 */
export const COMMAND_TIMEOUT_MS = 90_000;

async function call(base, method, path, body) {
  let r, text;
  try {
    r = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
    });
    text = await r.text();
  } catch (e) {
    if (e.name !== 'TimeoutError') throw e;
    throw new WebDriverError(`${method} ${path}`, { error: 'no answer', message: `the driver did not answer in ${COMMAND_TIMEOUT_MS / 1000} s` });
  }
  let json;
  try { json = JSON.parse(text); } catch { throw new WebDriverError(`${method} ${path}`, { error: `HTTP ${r.status}`, message: text.slice(0, 400) }); }
  if (!r.ok || (json.value && json.value.error)) throw new WebDriverError(`${method} ${path}`, json.value);
  return json.value;
}

/** One WebDriver session (a browser): the commands the engine tests use. */
export class Session {
  constructor(base, id, capabilities) {
    this.base = base;
    this.id = id;
    this.capabilities = capabilities;
  }

  /** POST /session with `alwaysMatch` capabilities. */
  static async create(driverUrl, alwaysMatch) {
    const v = await call(driverUrl, 'POST', '/session', { capabilities: { alwaysMatch } });
    return new Session(driverUrl, v.sessionId, v.capabilities);
  }

  cmd(method, path, body) {
    return call(this.base, method, `/session/${this.id}${path}`, body);
  }

  async close() { await this.cmd('DELETE', ''); }

  async setTimeouts(t) { await this.cmd('POST', '/timeouts', t); }

  async setWindowRect(rect) { await this.cmd('POST', '/window/rect', rect); }

  /** Navigates and waits for the page load (pageLoadStrategy "normal"). */
  async goto(url) { await this.cmd('POST', '/url', { url }); }

  /** Runs `fn` (a function or its source) in the page with `args`; returns its JSON result. */
  async evaluate(fn, ...args) {
    return this.cmd('POST', '/execute/sync', { script: `return (${fn}).apply(null, arguments);`, args });
  }

  /** Runs an async `fn` in the page; the result of its promise. */
  async evaluateAsync(fn, ...args) {
    const script = `const done = arguments[arguments.length - 1];
      Promise.resolve((${fn}).apply(null, Array.prototype.slice.call(arguments, 0, -1)))
        .then((v) => done({ ok: v }), (e) => done({ err: String(e && e.stack || e) }));`;
    const r = await this.cmd('POST', '/execute/async', { script, args });
    if (r && 'err' in r) throw new Error(`in the page: ${r.err}`);
    return r?.ok;
  }

  /** The element reference for a CSS selector (throws "no such element"). */
  async $(selector) {
    const v = await this.cmd('POST', '/element', { using: 'css selector', value: selector });
    if (!v || !v[ELEMENT]) throw new WebDriverError(`find ${selector}`, { error: 'no element reference', message: JSON.stringify(v) });
    return v[ELEMENT];
  }

  /** Sends keys to an element: for an <input type=file>, the path of the file to choose. */
  async sendKeys(elementId, text) { await this.cmd('POST', `/element/${elementId}/value`, { text }); }

  /** Switches into the page's `index`-th frame, or back to the top page with null. */
  async frame(index) { await this.cmd('POST', '/frame', { id: index }); }

  /** A real click (the browser's own input events: a user gesture). */
  async click(elementId) { await this.cmd('POST', `/element/${elementId}/click`, {}); }

  async text(elementId) { return this.cmd('GET', `/element/${elementId}/text`); }

  /** A PNG of the viewport. */
  async screenshot() { return Buffer.from(await this.cmd('GET', '/screenshot'), 'base64'); }

  /**
   * Polls `fn(...args)` in the page until it returns a truthy value; returns it.
   * On a timeout, `explain` (an async page function) adds what the page shows.
   */
  async waitFor(fn, { timeoutMs = 60_000, intervalMs = 100, what = String(fn), explain = null } = {}, ...args) {
    const end = Date.now() + timeoutMs;
    let last;
    for (;;) {
      try {
        last = await this.evaluate(fn, ...args);
        if (last) return last;
      } catch (e) {
        // A navigation in progress answers with an error; keep polling.
        last = e;
      }
      if (Date.now() > end) {
        let state = '';
        if (explain) {
          try {
            state = `; the page: ${await this.evaluateAsync(explain)}`;
          } catch (e) {
            state = `; the page did not answer (${e.message})`;
          }
        }
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})${state}`);
      }
      await new Promise((ok) => setTimeout(ok, intervalMs));
    }
  }
}
