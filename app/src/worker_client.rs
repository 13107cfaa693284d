//! The page's side of the analysis Worker: spawns it, holds messages until it
//! announces `ready`, and restarts it if it dies (a crash on one file must not
//! leave the page unusable for the next one).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

use crate::protocol::{self, object};

/// Where Trunk's loader shim for the `worker` bin lives (next to index.html).
const WORKER_URL: &str = "./worker_loader.js";

type Handler = Rc<dyn Fn(JsValue)>;

struct Client {
    worker: Worker,
    ready: bool,
    queue: Vec<(JsValue, Array)>,
    handler: Handler,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

thread_local! {
    static CLIENT: RefCell<Option<Client>> = const { RefCell::new(None) };
}

/// Starts the Worker; `handler` receives every message it sends (and a
/// synthetic `{type: "error"}` if it crashes).
pub fn start(handler: impl Fn(JsValue) + 'static) {
    spawn(Rc::new(handler));
}

fn spawn(handler: Handler) {
    let worker = match Worker::new(WORKER_URL) {
        Ok(w) => w,
        Err(_) => {
            handler(
                object(&[
                    ("type", "error".into()),
                    ("message", "the analysis engine could not start".into()),
                ])
                .into(),
            );
            return;
        }
    };
    let h = handler.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let data = ev.data();
        if protocol::get_str(&data, "type") == "ready" {
            flush();
        } else {
            h(data);
        }
    });
    let h = handler.clone();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
        ev.prevent_default();
        h(object(&[
            ("type", "error".into()),
            (
                "message",
                "the analysis engine stopped unexpectedly on this file; it has been restarted"
                    .into(),
            ),
        ])
        .into());
        restart();
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    CLIENT.with(|c| {
        *c.borrow_mut() = Some(Client {
            worker,
            ready: false,
            queue: Vec::new(),
            handler,
            _on_message: on_message,
            _on_error: on_error,
        })
    });
}

fn restart() {
    let handler = CLIENT.with(|c| {
        c.borrow_mut().take().map(|old| {
            old.worker.terminate();
            old.handler
        })
    });
    if let Some(h) = handler {
        spawn(h);
    }
}

fn flush() {
    CLIENT.with(|c| {
        if let Some(client) = c.borrow_mut().as_mut() {
            client.ready = true;
            for (msg, transfer) in client.queue.drain(..) {
                let _ = client.worker.post_message_with_transfer(&msg, &transfer);
            }
        }
    });
}

/// Sends a message (with transferables), now or as soon as the Worker is ready.
pub fn send(msg: JsValue, transfer: Array) {
    CLIENT.with(|c| {
        if let Some(client) = c.borrow_mut().as_mut() {
            if client.ready {
                let _ = client.worker.post_message_with_transfer(&msg, &transfer);
            } else {
                client.queue.push((msg, transfer));
            }
        }
    });
}
