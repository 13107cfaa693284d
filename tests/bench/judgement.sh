#!/usr/bin/env bash
# Judgement bench on real recordings: detection recall/precision per risk id,
# false alarms and restraint on clean recordings, and what mastering did to
# each injected problem, measured physically against the clean source.
# Calibration and held-out sources are reported separately.
#
#   tests/bench/judgement.sh [--small] [--build] [--bin PREFLIGHT] [--per-source] [--details] [--jobs N]
#
# --build   (re)build the corpus first (tests/corpus/build.py; needs apt-get,
#           dpkg, ffmpeg, fluidsynth, espeak-ng, python3 numpy scipy soundfile)
# --small   the CI-size slice (3 sources, ~20 files)
# Corpus and outputs live in $CORPUS_WORK (default /work/corpus-work), never in git.
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
corpus="$work/corpus${small:+-small}"
if [[ -n "$build" || ! -f "$corpus/corpus.json" ]]; then
  python3 tests/corpus/build.py ${small:+--small} --work "$work"
fi
exec python3 tests/bench/judgement.py --corpus "$corpus" "${rest[@]}"
