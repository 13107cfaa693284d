#!/usr/bin/env bash
# Installs what is missing, builds everything and serves the app at http://127.0.0.1:8080
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec trunk serve --release --offline --skip-version-check
