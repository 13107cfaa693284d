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

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'take-over-if-alone') {
    event.waitUntil((async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      if (windows.length <= 1) await self.skipWaiting();
    })());
  }
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
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
