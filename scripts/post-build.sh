#!/bin/sh
# Trunk's post_build hook. Trunk starts all hooks of one stage at once, so
# the order lives here: first the AudioWorklet engine (it is one of the built
# files), then the Workers' loader shims in the form the glue documents,
# then wasm-opt over every wasm file (release builds), then the service
# worker, which lists every built file.
set -eu
cd "${TRUNK_SOURCE_DIR:-.}"
sh scripts/build-worklet.sh
sh scripts/loader-shims.sh
sh scripts/optimise-wasm.sh
sh scripts/build-sw.sh
