// The host side of the Preflight widget (see embed-example.html and the
// README's "Embedding"). It builds the iframe's URL, accepts messages only
// from the widget's origin, sizes the iframe, and logs everything.
(function () {
  const own = new URL(location.href);
  const app = new URL(own.searchParams.get('app') || 'index.html', own);
  const params = new URLSearchParams({
    studio: 'Blue Room Mastering',
    accent: '#3fa7ff',
    cta: 'Send your track for a full master',
    cta_url: new URL('book.html', own).href,
    max_s: '900',
    parent: own.origin,
  });
  app.search = 'embed&' + params.toString();
  const frame = document.getElementById('preflight');
  frame.src = app.href;
  const log = document.getElementById('log');
  window.received = [];
  window.addEventListener('message', (ev) => {
    if (ev.origin !== app.origin) return; // only the widget
    const msg = ev.data || {};
    window.received.push(msg);
    if (msg.type === 'preflight:resize') frame.style.height = Math.max(420, msg.height) + 'px';
    const line = document.createElement('div');
    line.textContent = JSON.stringify(msg);
    log.append(line);
  });
})();
