#!/usr/bin/env bash
# Runs every test: formatting and lints, the engine's unit/conformance/peer/
# detection/mastering tests (native), the wasm builds, and the end-to-end
# tests in headless Chromium against the built site.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "clippy (native engine, tests, command line)"
cargo clippy --locked --workspace --exclude app --all-targets -- -D warnings
step "clippy (browser crates, wasm32)"
cargo clippy --locked -p app -p preflight-worklet --target wasm32-unknown-unknown -- -D warnings

step "cargo test (engine, worklet ABI, conformance, peers, detection, mastering)"
cargo test --locked --workspace --exclude app

step "cargo test (the page's model, native; the rest of app needs a browser)"
cargo clippy --locked -p app --lib --tests -- -D warnings
cargo test --locked -p app --lib

step "build the native command line (release)"
cargo build --locked --release -p dsp-wasm --bin preflight

step "build the site (trunk, offline)"
trunk build --release --offline --skip-version-check

step "browser tests (headless Chromium)"
(cd tests && node --test --test-concurrency=1 e2e/)
