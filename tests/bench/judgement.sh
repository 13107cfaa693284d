#!/usr/bin/env bash
# Judgement bench on real recordings: detection recall/precision per risk id,
# false alarms and restraint on clean recordings, and what mastering did to
# each injected problem, measured physically against the clean source.
# Calibration and held-out sources are reported separately.
#
#   tests/bench/judgement.sh [--small] [--build] [--bin PREFLIGHT] [--per-source] [--details] [--overlap] [--jobs N] [--check FLOOR.json]
#
# --build   (re)build the corpus first (tests/corpus/build.py; needs apt-get,
#           dpkg, ffmpeg, fluidsynth, espeak-ng, python3 numpy scipy soundfile)
# --small   the CI-size slice (3 sources, ~20 files)
# --check FLOOR.json  exit 1 listing each figure that breaks the floor
#           (scripts/test.sh: --small --check tests/corpus/ci_floor.json)
# Corpus and outputs live in $CORPUS_WORK (default /work/corpus-work), never in git.
# A built corpus is reused while tests/corpus/*.py and sources.json are
# unchanged (a hash in CORPUS/.recipe); then no network is needed.
# The Python that tests/bench/python.sh names runs the scripts.
set -euo pipefail
cd "$(dirname "$0")/../.."
work="${CORPUS_WORK:-/work/corpus-work}"
small=""; build=""; rest=()
for a in "$@"; do
  case "$a" in
    --small) small=1 ;;
    --build) build=1 ;;
    *) rest+=("$a") ;;
  esac
done
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the checkout
py="$(tests/bench/python.sh)"
corpus="$work/corpus${small:+-small}"
recipe="$(cat tests/corpus/*.py tests/corpus/sources.json | sha256sum | cut -c1-16)"
if [[ -f "$corpus/corpus.json" && ! -f "$corpus/.recipe" && -z "$build" ]]; then
  echo "note: $corpus predates recipe stamps; reused as it is (--build rebuilds it)" >&2
elif [[ -n "$build" || ! -f "$corpus/corpus.json" || "$(cat "$corpus/.recipe")" != "$recipe" ]]; then
  "$py" tests/corpus/build.py ${small:+--small} --work "$work"
  echo "$recipe" > "$corpus/.recipe"
fi
exec "$py" tests/bench/judgement.py --corpus "$corpus" "${rest[@]}"
