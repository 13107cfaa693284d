// Preflight's service worker: after the first visit the app loads and works
// offline. This is a template: scripts/build-sw.sh (Trunk's post_build hook)
// fills in VERSION (a digest of every built file) and ASSETS (every file of
// the build, hashed names included) and writes it to dist/sw.js.
//
// - install: precache every built file into the cache `preflight-<VERSION>`
//   (revalidated with the server, not taken from the HTTP cache).
// - fetch: same-origin GETs are answered from that cache first (a page
//   navigation inside the scope gets index.html), anything else from the
//   network. Requests to other origins are never touched (the app makes none).
// - download: the page registers a URL and a MessagePort (`download`
//   message; the port leads to the engine Worker, app/worker/src/export.rs);
//   fetching that URL answers a stream that asks the Worker for the file a
//   piece at a time as the download takes them, so the exported master is
//   never whole in memory.
// - update: a new build means a new sw.js; it installs beside the running
//   one and waits. It takes over when the old build's pages are gone, or
//   when the app's only window asks (the page does, when it holds no file:
//   see app/src/offline.rs); on taking over it deletes older caches.
const VERSION = '__PREFLIGHT_VERSION__';
const ASSETS = [__PREFLIGHT_ASSETS__];
const PREFIX = 'preflight-';
const CACHE = PREFIX + VERSION;
const INDEX = new URL('./index.html', self.registration.scope).href;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(ASSETS.map((path) => new Request(path, { cache: 'no-cache' })));
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

const downloads = new Map();

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'download') {
    downloads.set(event.data.url, event.data);
    event.data.port.postMessage(0);
  }
  if (event.data && event.data.type === 'take-over-if-alone') {
    event.waitUntil((async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      if (windows.length <= 1) await self.skipWaiting();
    })());
  }
});

// A piece per pull: a number asks for it; the Worker answers with bytes, null
// at the end, or a string (the error) instead.
const streamed = ({ port, name }) => new Response(new ReadableStream({
  pull: (c) => new Promise((done) => {
    port.onmessage = ({ data }) => {
      if (data === null) c.close();
      else if (typeof data === 'string') c.error(new Error(data));
      else c.enqueue(data);
      done();
    };
    port.postMessage(1);
  }),
  cancel: () => port.postMessage(-1),
}), {
  headers: {
    'Content-Type': 'audio/wav',
    'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
  },
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const download = downloads.get(request.url);
  if (download) {
    downloads.delete(request.url);
    event.respondWith(streamed(download));
    return;
  }
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    if (request.mode === 'navigate') {
      const page = (await cache.match(request, { ignoreSearch: true }))
        || (new URL(request.url).pathname.endsWith('/') && await cache.match(INDEX));
      if (page) return page;
    } else {
      const hit = await cache.match(request);
      if (hit) return hit;
    }
    return fetch(request);
  })());
});
