#!/bin/sh
# Trunk post_build hook: builds the AudioWorklet engine (worklet crate, a
# C-ABI wasm with no imports) and copies it into Trunk's staging directory.
set -eu
profile_flag="--release"
profile_dir="release"
if [ "${TRUNK_PROFILE:-release}" = "debug" ]; then
  profile_flag=""
  profile_dir="debug"
fi
cd "${TRUNK_SOURCE_DIR:-.}"
cargo build --locked $profile_flag --target wasm32-unknown-unknown -p preflight-worklet
target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
cp "$target_dir/wasm32-unknown-unknown/$profile_dir/preflight_worklet.wasm" "${TRUNK_STAGING_DIR:-dist}/preflight_worklet.wasm"
