#!/usr/bin/env bash
# Installs what building and testing Preflight needs, only where it is
# missing: Debian's chromium, firefox-esr, webkit2gtk-driver (with xvfb) and
# ffmpeg, the wasm32 target, Trunk 0.21.14, the
# wasm-bindgen-cli matching Cargo.lock, the browser-test npm packages and
# npm's binaryen (wasm-opt);
# for the judgement corpus slice (tests/corpus/build.py): fluidsynth,
# espeak-ng and Python's numpy, scipy and soundfile, and package lists that
# know the music packages (the music and the soundfont are fetched by
# `apt-get download` in scripts/test.sh on its first run, never installed).
# Nothing is downloaded at build time after this (Trunk runs --offline).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

missing_apt=()
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || missing_apt+=(chromium)
command -v ffmpeg >/dev/null || missing_apt+=(ffmpeg)
# the other browser engines (scripts/test-engines.sh): Firefox ESR, and
# WebKitGTK's MiniBrowser + WebKitWebDriver under Xvfb (xauth is only a
# Recommends of xvfb, and xvfb-run needs it); ~170 MB, ~20 s
[ -x /usr/lib/firefox-esr/firefox-esr ] || missing_apt+=(firefox-esr)
[ -x /usr/bin/WebKitWebDriver ] || missing_apt+=(webkit2gtk-driver)
command -v xvfb-run >/dev/null || missing_apt+=(xvfb)
command -v xauth >/dev/null || missing_apt+=(xauth)
# the judgement corpus slice: without recommends (fluidsynth's is a Qt GUI)
corpus_apt=()
command -v fluidsynth >/dev/null || corpus_apt+=(fluidsynth)
command -v espeak-ng >/dev/null || corpus_apt+=(espeak-ng)
# tests/bench/judgement.sh runs python3, else Debian's /usr/bin/python3
py_ok() { "$1" -c 'import numpy, scipy, soundfile' 2>/dev/null; }
py_ok python3 || py_ok /usr/bin/python3 || corpus_apt+=(python3-numpy python3-scipy python3-soundfile)
# `apt-get download` of the slice's music and soundfont needs package lists
# that know them
lists_ok=1
apt-cache show nexuiz-music wesnoth-1.16-music fluid-soundfont-gm >/dev/null 2>&1 || lists_ok=""
if [ ${#missing_apt[@]} -gt 0 ] || [ ${#corpus_apt[@]} -gt 0 ] || [ -z "$lists_ok" ]; then
  say "apt-get update; install ${missing_apt[*]} ${corpus_apt[*]}"
  $SUDO apt-get update -qq
fi
if [ ${#missing_apt[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing_apt[@]}" >/dev/null
fi
if [ ${#corpus_apt[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${corpus_apt[@]}" >/dev/null
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

TRUNK_VERSION=0.21.14
if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION"; then
  say "cargo install trunk $TRUNK_VERSION (takes ~6 min on 2 cores)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

# wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock exactly.
WBG_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WBG_VERSION"; then
  say "cargo install wasm-bindgen-cli $WBG_VERSION (takes ~2 min)"
  # --locked fails on this registry (a locked dependency version is missing).
  cargo install wasm-bindgen-cli --version "$WBG_VERSION"
fi

if [ ! -d tests/node_modules/playwright-core ] || [ ! -d tests/node_modules/puppeteer-core ]; then
  say "npm ci (tests/)"
  (cd tests && npm ci --no-audit --no-fund)
fi
# Binaryen's wasm-opt for release builds (scripts/optimise-wasm.sh): npm's
# binaryen, an Emscripten build run by node (23 MB; Debian's is too old).
if [ ! -f scripts/wasm-opt/node_modules/binaryen/bin/wasm-opt ]; then
  say "npm ci (scripts/wasm-opt/: binaryen)"
  (cd scripts/wasm-opt && npm ci --no-audit --no-fund)
fi
say "setup complete: $(trunk --version), $(wasm-bindgen --version), $(/usr/bin/chromium --version 2>/dev/null || echo chromium?)"
