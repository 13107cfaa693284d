// The master streamed to a download through the service worker, or else as
// a Blob: see `export` in requests.rs.
export function exportMaster(worker, id, name, stream) {
  const sw = stream && navigator.serviceWorker && navigator.serviceWorker.controller;
  if (!sw) return worker.postMessage({ type: 'export', id });
  const url = new URL(`download/${id}-${Date.now()}/${encodeURIComponent(name)}`, location.href).href;
  const { port1, port2 } = new MessageChannel();
  const fallback = setTimeout(() => {
    port2.close();
    worker.postMessage({ type: 'export', id });
  }, 1000);
  port2.onmessage = () => {
    clearTimeout(fallback);
    port2.onmessage = null;
    worker.postMessage({ type: 'export', id, port: port2 }, [port2]);
    let frame = document.getElementById('pf-download');
    if (!frame) {
      frame = document.createElement('iframe');
      frame.id = 'pf-download';
      frame.hidden = true;
      document.body.append(frame);
    }
    frame.src = url;
  };
  sw.postMessage({ type: 'download', url, name, port: port1 }, [port1]);
}
