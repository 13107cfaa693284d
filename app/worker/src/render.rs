//! `render`: the last decoded file through a chain, posted as `rendered`.

use app::protocol;
use dsp_wasm::chain::{self, Chain};
use wasm_bindgen::JsValue;

use crate::state::CURRENT;
use crate::wire::{post_channels, post_error};

/// Handles `{type: "render", id, chain}` (the chain as JSON text).
pub fn on_render(id: f64, data: &JsValue) {
    let chain = match Chain::from_json(&protocol::get_str(data, "chain")) {
        Ok(c) => c,
        Err(e) => return post_error(id, &e.to_string()),
    };
    let result = CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .map(|cur| chain::render_samples(&chain, (&cur.audio).into()))
    });
    match result {
        None => post_error(id, "no file is loaded"),
        Some(Err(e)) => post_error(id, &e.to_string()),
        Some(Ok(out)) => post_channels("rendered", id, &out),
    }
}
