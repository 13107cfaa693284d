//! Small wrappers of the browser APIs the page's components use: values
//! exposed on `window` for the timing script and tests (only with
//! `?test-hooks`), and file downloads.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    static HOOKS: bool = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|q| q.trim_start_matches('?').split('&').any(|p| p == "test-hooks" || p.starts_with("test-hooks=")));
}

/// True when the page was opened with `?test-hooks` (the browser tests and
/// the timing script do): only then are values and functions exposed on
/// `window` for them. A normal visit exposes nothing.
pub fn hooks_enabled() -> bool {
    HOOKS.with(|h| *h)
}

/// Sets `window[key] = value` (plain data, read by the timing script and
/// tests), with `?test-hooks` only.
pub fn expose(key: &str, value: &JsValue) {
    if !hooks_enabled() {
        return;
    }
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w, &key.into(), value);
    }
}

/// Sets `window[key] = Date.now()`.
pub fn mark(key: &str) {
    expose(key, &js_sys::Date::now().into());
}

/// Offers bytes as a file download of MIME type `mime` (a Blob URL on a temporary link).
pub fn download(bytes: &Uint8Array, file_name: &str, mime: &str) -> Result<(), String> {
    let parts = Array::of1(bytes);
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts)
        .map_err(|_| "the browser refused the download".to_string())?;
    download_blob(&blob, file_name)
}

/// Offers a Blob as a file download (a Blob URL on a temporary link).
pub fn download_blob(blob: &web_sys::Blob, file_name: &str) -> Result<(), String> {
    let fail = |_| "the browser refused the download".to_string();
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(fail)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(fail)?.unchecked_into();
    a.set_href(&url);
    a.set_download(file_name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
