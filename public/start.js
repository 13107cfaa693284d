// Starts the page. Trunk's own starter is an inline <script>, which the
// Content-Security-Policy (no 'unsafe-inline') refuses, so Trunk.toml's
// `pattern_script` emits <script type="module" src="./start.js" data-js=…
// data-wasm=…> instead, naming this build's hashed files, and this file does
// what the inline script did.
// The wasm download starts before the JS import, so both run at once (no
// preload link does it: see pattern_preload in Trunk.toml).
const tag = document.querySelector('script[data-wasm][data-js]');
const wasmResponse = fetch(tag.dataset.wasm);
const bindings = await import(tag.dataset.js);
const wasm = await bindings.default({ module_or_path: wasmResponse });
window.wasmBindings = bindings;
dispatchEvent(new CustomEvent('TrunkApplicationStarted', { detail: { wasm } }));
