#!/bin/sh
# Trunk post_build step (scripts/post-build.sh): the Workers' loader shims
# (worker_loader.js, decoder_loader.js) that Trunk writes for
# `data-loader-shim` call `wasm_bindgen("./x_bg.wasm")`, the positional
# form that the wasm-bindgen glue of Cargo.lock's version still accepts but
# answers with a console warning ("using deprecated parameters for the
# initialization function") in every Worker the page starts. Rewritten here
# to the object form the glue documents, `wasm_bindgen({ module_or_path })`;
# a shim in any other shape stops the build rather than ship unchanged.
set -eu
cd "${TRUNK_SOURCE_DIR:-.}"
stage="${TRUNK_STAGING_DIR:-dist}"
for f in "$stage"/*_loader.js; do
  [ -f "$f" ] || { echo "loader-shims: no loader shim in $stage" >&2; exit 1; }
  sed -i -E 's/wasm_bindgen\(("\.\/[A-Za-z0-9_-]+_bg\.wasm")\)/wasm_bindgen({module_or_path:\1})/' "$f"
  grep -q 'wasm_bindgen({module_or_path:"' "$f" || {
    echo "loader-shims: $f does not call wasm_bindgen as expected: $(cat "$f")" >&2
    exit 1
  }
done
