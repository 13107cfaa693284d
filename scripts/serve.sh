#!/usr/bin/env bash
# Installs what is missing, builds everything and serves the app at http://127.0.0.1:8080
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# No autoreload: its injected inline script is refused by the page's CSP, and the
# service worker serves the previous build until the page is idle (README "Offline").
exec trunk serve --release --offline --skip-version-check --no-autoreload
