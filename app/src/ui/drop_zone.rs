//! The drop zone: drag a file onto it, or click it to pick one.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Drag-and-drop target with a file picker.
#[component]
pub fn DropZone(
    /// Called with the chosen or dropped file.
    on_file: impl Fn(web_sys::File) + Copy + Send + Sync + 'static,
    /// True while a file is being analysed.
    busy: Signal<bool>,
) -> impl IntoView {
    let over = RwSignal::new(false);
    let input_ref: NodeRef<leptos::html::Input> = NodeRef::new();
    view! {
        <section
            id="dropzone"
            class="dropzone"
            class:over=move || over.get()
            class:busy=move || busy.get()
            on:dragover=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                over.set(true);
            }
            on:dragleave=move |_| over.set(false)
            on:drop=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                over.set(false);
                if let Some(f) = ev.data_transfer().and_then(|dt| dt.files()).and_then(|fs| fs.get(0)) {
                    on_file(f);
                }
            }
            on:click=move |_| {
                if let Some(i) = input_ref.get() {
                    i.click();
                }
            }
        >
            <p class="drop-title">"Drop your finished mix here"</p>
            <p class="drop-sub">"WAV, AIFF, FLAC, MP3, Ogg Vorbis or AAC — mono or stereo — or "<span class="link">"choose a file"</span></p>
            <input
                id="file-input"
                type="file"
                aria-label="Choose an audio file to check"
                accept="audio/*,.wav,.aif,.aiff,.aifc,.flac,.mp3,.ogg,.m4a,.aac"
                node_ref=input_ref
                on:click=move |ev| ev.stop_propagation()
                on:change=move |ev| {
                    let input: web_sys::HtmlInputElement = ev.target().unwrap().unchecked_into();
                    if let Some(f) = input.files().and_then(|fs| fs.get(0)) {
                        on_file(f);
                    }
                    input.set_value("");
                }
            />
        </section>
    }
}
