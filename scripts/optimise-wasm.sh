#!/bin/sh
# Trunk post_build step (scripts/post-build.sh): Binaryen's wasm-opt -O2 over
# every wasm file a release build staged (the page, the two Workers, the
# AudioWorklet engine), in place, before the service worker lists them.
# Trunk's own wasm-opt step stays off (data-wasm-opt="0" in index.html): it
# would download Binaryen, and Debian's is too old for the features rustc
# emits. This wasm-opt is npm's binaryen (scripts/wasm-opt/package.json,
# installed by scripts/setup.sh), run by node.
# The page's own wasm (the UI: no DSP runs in it) gets -O2. The Workers'
# and the AudioWorklet's get only passes that leave every function's code
# as rustc made it (identical functions merged, unused ones removed, no-ops
# vacuumed): -O2 there shrank the page by another 7 KB gzip but made the
# drop-to-report time 8-17 % and the worklet's quantum 8-11 % slower
# (tests/bench/browser_timing.mjs, README "Performance").
set -eu
[ "${TRUNK_PROFILE:-release}" = "release" ] || exit 0
cd "${TRUNK_SOURCE_DIR:-.}"
stage="${TRUNK_STAGING_DIR:-dist}"
opt=scripts/wasm-opt/node_modules/binaryen/bin/wasm-opt
if [ ! -f "$opt" ]; then
  echo "optimise-wasm: $opt is missing (scripts/setup.sh installs it)" >&2
  exit 1
fi
# What rustc's wasm32-unknown-unknown emits (its default features, plus
# simd128 from .cargo/config.toml); a feature missing here fails validation.
features="--enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-multivalue --enable-reference-types"
pids=""
for f in "$stage"/*.wasm; do
  case "$(basename "$f")" in
    app-*) passes="-O2" ;;
    *) passes="--duplicate-function-elimination --remove-unused-module-elements --vacuum" ;;
  esac
  # shellcheck disable=SC2086
  node "$opt" $passes $features "$f" -o "$f.opt" &
  pids="$pids $!"
done
failed=0
for p in $pids; do wait "$p" || failed=1; done
if [ "$failed" -ne 0 ]; then
  rm -f "$stage"/*.wasm.opt
  echo "optimise-wasm: wasm-opt failed" >&2
  exit 1
fi
for f in "$stage"/*.wasm; do
  before=$(wc -c < "$f")
  mv "$f.opt" "$f"
  echo "optimise-wasm: $(basename "$f") $before -> $(wc -c < "$f") bytes"
done
