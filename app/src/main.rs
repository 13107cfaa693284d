//! Entry of the page: mounts the Leptos app.

fn main() {
    // No panic hook (see app/worker/src/main.rs): the console shows where
    // wasm stopped, and a hook's formatting cost bytes the page has not.
    leptos::mount::mount_to_body(app::ui::App);
}
