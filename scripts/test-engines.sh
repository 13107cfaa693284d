#!/usr/bin/env bash
# The app's main flow in the other browser engines, against the built site
# (dist/): Firefox ESR (headless, puppeteer-core over WebDriver BiDi) and
# WebKitGTK (the MiniBrowser through WebKitWebDriver, under xvfb-run).
# In each: load, pick a WAV, see the command line's integrated loudness
# (within 0.05 LU), Play through the AudioWorklet (its output is sampled),
# the select menus readable; a count of what the first visit downloads; and
# a long export's stream through the service worker arriving as the file.
# Tests: tests/engines/*.test.mjs; screenshots: tests/artifacts/engine-*.png.
#
# Needs dist/ (trunk build) and target/release/preflight (cargo build
# --release -p dsp-wasm), which this script does not build; Debian's
# firefox-esr, webkit2gtk-driver and xvfb; `npm ci` in tests/ (puppeteer-core).
# Exits non-zero if an engine is missing or any test fails (both engines run).
set -uo pipefail
cd "$(dirname "$0")/.."

FIREFOX=${FIREFOX:-/usr/lib/firefox-esr/firefox-esr}
WEBKIT_WEBDRIVER=${WEBKIT_WEBDRIVER:-/usr/bin/WebKitWebDriver}
WEBKIT_MINIBROWSER=${WEBKIT_MINIBROWSER:-/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser}
export FIREFOX WEBKIT_WEBDRIVER WEBKIT_MINIBROWSER
# Per engine, a hard limit (a hung browser must not hang the run; room for
# a MiniBrowser that never loads the app to be tried again, 60 s each).
# node's --test-timeout (240 s) bounds each test file as a whole too, and
# each WebDriver command is bounded (tests/engines/webdriver.mjs), so a hang
# is reported with what hung before this limit is reached.
LIMIT=${ENGINE_TIME_LIMIT:-300}

missing=()
[ -x "$FIREFOX" ] || missing+=("Firefox ESR ($FIREFOX): apt-get install -y firefox-esr")
[ -x "$WEBKIT_WEBDRIVER" ] || missing+=("WebKitWebDriver ($WEBKIT_WEBDRIVER): apt-get install -y webkit2gtk-driver")
[ -x "$WEBKIT_MINIBROWSER" ] || missing+=("WebKitGTK MiniBrowser ($WEBKIT_MINIBROWSER): apt-get install -y webkit2gtk-driver")
command -v xvfb-run >/dev/null || missing+=("xvfb-run (WebKitGTK has no headless mode): apt-get install -y xvfb")
[ -d tests/node_modules/puppeteer-core ] || missing+=("puppeteer-core: (cd tests && npm ci)")
[ -d tests/node_modules/playwright-core ] || missing+=("playwright-core: (cd tests && npm ci)")
[ -f dist/index.html ] || missing+=("the built site dist/: trunk build --release --offline --skip-version-check")
[ -x "${PREFLIGHT_BIN:-target/release/preflight}" ] || missing+=("the command line target/release/preflight: cargo build --release -p dsp-wasm --bin preflight")
if [ ${#missing[@]} -gt 0 ]; then
  echo "test-engines: cannot run, missing:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  echo "(scripts/setup.sh may install the engines: apt-get install -y firefox-esr webkit2gtk-driver xvfb)" >&2
  exit 1
fi

declare -A result seconds
run() { # name, command...
  local name=$1; shift
  printf '\n==> %s\n' "$name"
  local t0=$SECONDS
  (cd tests && timeout --kill-after=10 "$LIMIT" "$@")
  local rc=$?
  seconds[$name]=$((SECONDS - t0))
  if [ $rc -eq 0 ]; then result[$name]=passed
  elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then result[$name]="FAILED (over ${LIMIT} s)"
  else result[$name]="FAILED (exit $rc)"
  fi
  echo "==> $name: ${result[$name]} in ${seconds[$name]} s"
}

run firefox node --test --test-concurrency=1 --test-timeout=240000 engines/firefox.test.mjs
run webkit xvfb-run -a -s "-screen 0 1280x1440x24" \
  node --test --test-concurrency=1 --test-timeout=240000 engines/webkit.test.mjs

printf '\n==> engines\n'
status=0
for name in firefox webkit; do
  printf '  %-8s %-24s %4s s\n' "$name" "${result[$name]}" "${seconds[$name]}"
  [ "${result[$name]}" = passed ] || status=1
done
exit $status
