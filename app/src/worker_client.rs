//! The page's side of the analysis Workers: spawns them, holds messages until
//! each announces `ready`, and restarts one that dies (a crash on one file
//! must not leave the page unusable for the next one).
//!
//! Two Workers run the same engine. The *engine* Worker does everything the
//! page asks (analysis, render, master, export) and keeps the file. The
//! *helper* Worker measures the peak half of a long file's analysis (true
//! peak, sample levels, transients) at the same time as the engine measures
//! the loudness half (loudness, spectrum, stereo, the simulated limiter); its result is forwarded to the engine, which
//! puts the two together. If the helper fails, the engine measures that half
//! itself — the helper only ever makes an analysis faster.

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

/// Which of the two Workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Engine,
    Helper,
}

struct Client {
    worker: Worker,
    ready: bool,
    queue: Vec<(JsValue, Array)>,
    handler: Handler,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

thread_local! {
    static ENGINE: RefCell<Option<Client>> = const { RefCell::new(None) };
    static HELPER: RefCell<Option<Client>> = const { RefCell::new(None) };
    /// The job last sent to the helper.
    static HELPER_JOB: std::cell::Cell<f64> = const { std::cell::Cell::new(f64::NAN) };
}

fn with_client<R>(role: Role, f: impl FnOnce(&mut Option<Client>) -> R) -> R {
    match role {
        Role::Engine => ENGINE.with(|c| f(&mut c.borrow_mut())),
        Role::Helper => HELPER.with(|c| f(&mut c.borrow_mut())),
    }
}

/// Starts both Workers; `handler` receives every message the engine sends
/// (and a synthetic `{type: "error"}` if it crashes).
pub fn start(handler: impl Fn(JsValue) + 'static) {
    spawn(Role::Engine, Rc::new(handler));
    spawn(Role::Helper, Rc::new(on_helper_message));
}

/// The helper's results go to the engine; a failure tells the engine to
/// measure that half itself.
fn on_helper_message(data: JsValue) {
    match protocol::get_str(&data, "type").as_str() {
        "peaks" => {
            // Its numbers (a Float64Array) move on without a copy.
            let transfer = Array::new();
            if let Ok(values) = protocol::get(&data, "values").dyn_into::<js_sys::Float64Array>() {
                transfer.push(&values.buffer());
            }
            let latest = protocol::get_f64(&data, "id") == HELPER_JOB.with(|j| j.get());
            send(data, transfer);
            // Its half is delivered: a fresh helper gives back the memory
            // that decoding and measuring took (wasm memory never shrinks),
            // instead of keeping it beside the engine's mastering for the
            // rest of the session. Not while it measures a newer file (the
            // half of a file that was replaced can come after the next
            // file's request).
            if latest {
                restart(Role::Helper);
            }
        }
        "error" => send(
            object(&[
                ("type", "peaks".into()),
                ("id", protocol::get(&data, "id")),
                ("values", JsValue::NULL),
            ])
            .into(),
            Array::new(),
        ),
        _ => {}
    }
}

fn spawn(role: Role, handler: Handler) {
    let worker = match Worker::new(WORKER_URL) {
        Ok(w) => w,
        Err(_) => {
            if role == Role::Engine {
                handler(
                    object(&[
                        ("type", "error".into()),
                        ("message", "the analysis engine could not start".into()),
                    ])
                    .into(),
                );
            }
            return;
        }
    };
    let h = handler.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let data = ev.data();
        match protocol::get_str(&data, "type").as_str() {
            "ready" => flush(role),
            // Marked on the page (`data-engine-warm`, `data-helper-warm`) for
            // the timing script, which measures a page ready for use.
            "warm" => {
                if let Some(root) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.document_element())
                {
                    let name = match role {
                        Role::Engine => "data-engine-warm",
                        Role::Helper => "data-helper-warm",
                    };
                    let _ = root.set_attribute(name, "");
                }
            }
            _ => h(data),
        }
    });
    let h = handler.clone();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
        ev.prevent_default();
        let message = match role {
            Role::Engine => {
                "the analysis engine stopped unexpectedly on this file; it has been restarted"
            }
            // The engine measures the helper's half itself (see on_helper_message).
            Role::Helper => "the helper Worker stopped",
        };
        h(object(&[("type", "error".into()), ("message", message.into())]).into());
        restart(role);
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    with_client(role, |c| {
        *c = Some(Client {
            worker,
            ready: false,
            queue: Vec::new(),
            handler,
            _on_message: on_message,
            _on_error: on_error,
        })
    });
}

fn restart(role: Role) {
    let handler = with_client(role, |c| {
        c.take().map(|old| {
            old.worker.terminate();
            old.handler
        })
    });
    if let Some(h) = handler {
        spawn(role, h);
    }
}

fn flush(role: Role) {
    with_client(role, |c| {
        if let Some(client) = c.as_mut() {
            client.ready = true;
            for (msg, transfer) in client.queue.drain(..) {
                let _ = client.worker.post_message_with_transfer(&msg, &transfer);
            }
        }
    });
}

fn post(role: Role, msg: JsValue, transfer: Array) -> bool {
    with_client(role, |c| match c.as_mut() {
        Some(client) => {
            if client.ready {
                let _ = client.worker.post_message_with_transfer(&msg, &transfer);
            } else {
                client.queue.push((msg, transfer));
            }
            true
        }
        None => false,
    })
}

/// Stops whatever both Workers are doing: each is terminated and a fresh one
/// started (a running wasm call cannot be interrupted any other way).
pub fn cancel() {
    restart(Role::Engine);
    restart(Role::Helper);
}

/// The engine Worker, once it is ready for messages.
pub fn engine() -> Option<Worker> {
    ENGINE.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|c| c.ready)
            .map(|c| c.worker.clone())
    })
}

/// Sends a message (with transferables) to the engine Worker, now or as soon
/// as it is ready.
pub fn send(msg: JsValue, transfer: Array) {
    post(Role::Engine, msg, transfer);
}

/// Asks the helper Worker for the peak half of job `id`'s analysis of a file
/// (`(key, value)`: `file` and the File, or `pcm` and the facts of samples
/// it was sent). With `port` (a File the engine reads), the helper takes
/// the bytes the engine reads from that port instead of reading the File
/// again. Returns false if there is no helper (the engine then analyses
/// alone).
pub fn send_to_helper(
    id: u32,
    name: &str,
    (key, value): (&str, JsValue),
    port: Option<web_sys::MessagePort>,
) -> bool {
    let transfer = Array::new();
    let mut fields = vec![
        ("type", "measure-peaks".into()),
        ("id", id.into()),
        ("name", name.into()),
        (key, value),
    ];
    if let Some(port) = port {
        transfer.push(&port);
        fields.push(("port", port.into()));
    }
    HELPER_JOB.with(|j| j.set(f64::from(id)));
    post(Role::Helper, object(&fields).into(), transfer)
}

/// Sends a message (with transferables) to the helper Worker, now or once
/// it is ready. Returns false if there is no helper.
pub fn send_to_helper_raw(msg: JsValue, transfer: Array) -> bool {
    post(Role::Helper, msg, transfer)
}
