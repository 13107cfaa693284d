//! A stand-in for `wasm-streams` 0.5: a web `ReadableStream` read as a Rust
//! `Stream`, and a Rust `Stream` offered as a web `ReadableStream` — the two
//! conversions `server_fn`'s browser client makes (see Cargo.toml for why).
//! The underlying source is a plain object with a `pull` closure, so nothing
//! is exported to JavaScript and the linker drops it all when it is unused.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;

use futures_util::stream::{self, Stream, StreamExt};
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{ReadableStreamDefaultController, ReadableStreamDefaultReader};

pub use readable::ReadableStream;

pub mod readable {
    use super::*;

    type Source = Pin<Box<dyn Stream<Item = Result<JsValue, JsValue>>>>;

    /// A web `ReadableStream`.
    pub struct ReadableStream {
        raw: web_sys::ReadableStream,
    }

    impl ReadableStream {
        /// Wraps a web stream.
        pub fn from_raw(raw: web_sys::ReadableStream) -> Self {
            Self { raw }
        }

        /// A web stream whose chunks are `stream`'s items: each `pull`
        /// enqueues the next one; an `Err` errors the stream, the end closes it.
        pub fn from_stream<St>(stream: St) -> Self
        where
            St: Stream<Item = Result<JsValue, JsValue>> + 'static,
        {
            let cell: Rc<RefCell<Option<Source>>> = Rc::new(RefCell::new(Some(Box::pin(stream))));
            let pull = Closure::<dyn FnMut(ReadableStreamDefaultController) -> Promise>::new(
                move |controller: ReadableStreamDefaultController| {
                    let cell = cell.clone();
                    future_to_promise(async move {
                        // The stream calls `pull` again only once this promise has settled.
                        let taken = cell.borrow_mut().take();
                        let Some(mut source) = taken else {
                            return Ok(JsValue::UNDEFINED);
                        };
                        match source.next().await {
                            Some(Ok(chunk)) => {
                                controller.enqueue_with_chunk(&chunk)?;
                                *cell.borrow_mut() = Some(source);
                            }
                            Some(Err(e)) => return Err(e),
                            None => controller.close()?,
                        }
                        Ok(JsValue::UNDEFINED)
                    })
                },
            );
            let underlying = Object::new();
            let _ = Reflect::set(&underlying, &"pull".into(), &pull.into_js_value());
            let raw = web_sys::ReadableStream::new_with_underlying_source(&underlying)
                .unwrap_or_else(|_| web_sys::ReadableStream::new().expect("a ReadableStream"));
            Self { raw }
        }

        /// The web stream.
        pub fn into_raw(self) -> web_sys::ReadableStream {
            self.raw
        }

        /// The web stream's chunks as a Rust stream (ends after an error).
        pub fn into_stream(self) -> impl Stream<Item = Result<JsValue, JsValue>> {
            let reader: ReadableStreamDefaultReader = self.raw.get_reader().unchecked_into();
            stream::unfold(Some(reader), |reader| async move {
                let reader = reader?;
                match JsFuture::from(reader.read()).await {
                    Ok(result) => {
                        let done =
                            Reflect::get(&result, &"done".into()).is_ok_and(|d| d.is_truthy());
                        if done {
                            return None;
                        }
                        let value =
                            Reflect::get(&result, &"value".into()).unwrap_or(JsValue::UNDEFINED);
                        Some((Ok(value), Some(reader)))
                    }
                    Err(e) => Some((Err(e), None)),
                }
            })
        }
    }
}
