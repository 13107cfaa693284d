#!/usr/bin/env bash
# Runs every test: formatting and lints, the engine's unit/conformance/peer/
# detection/mastering tests (native), the judgement floor on a slice of real
# music (tests/corpus/ci_floor.json), the wasm builds, and the end-to-end
# tests in headless Chromium against the built site, and the main flow in
# Firefox ESR and WebKitGTK (scripts/test-engines.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "clippy (native engine, tests, command line)"
cargo clippy --locked --workspace --exclude app --exclude preflight-worker --exclude preflight-decoder --all-targets -- -D warnings
step "clippy (browser crates, wasm32)"
cargo clippy --locked -p app -p preflight-worker -p preflight-decoder -p preflight-worklet --target wasm32-unknown-unknown -- -D warnings

step "cargo test (engine, worklet ABI, conformance, peers, detection, mastering)"
cargo test --locked --workspace --exclude app --exclude preflight-worker --exclude preflight-decoder

step "cargo test (the page's model, native; the rest of app needs a browser)"
cargo clippy --locked -p app --lib --tests -- -D warnings
cargo test --locked -p app --lib

step "build the native command line (release)"
cargo build --locked --release -p dsp-wasm --bin preflight

step "judgement on real music: CI corpus slice against tests/corpus/ci_floor.json"
# Builds the 19-file slice (tests/corpus/build.py --small) into
# target/corpus-work, runs `preflight analyze` and `master` on it and fails
# if any recall, false-alarm, fix, restraint, true-peak or loudness figure
# is worse than the floor. The first build on a clean machine fetches three
# Debian packages with `apt-get download` (~340 MB, package lists from
# scripts/setup.sh); the .debs and the built slice are kept in
# target/corpus-work, so later runs need no network (the slice is rebuilt,
# from the cached .debs, only when tests/corpus/ changes).
t0=$SECONDS
CORPUS_WORK="$PWD/target/corpus-work" tests/bench/judgement.sh --small \
  --bin target/release/preflight --jobs 2 --check tests/corpus/ci_floor.json
echo "judgement floor step: $((SECONDS - t0)) s"

step "mutated encodings of real recordings never panic (seeds from the slice just built)"
# tests/robustness.rs mutated_real_encodings_never_panic: 1.5 s of each clean
# recording of the slice, encoded by ffmpeg as MP3, Vorbis, AAC (MP4, ADTS)
# and FLAC, each mutated 200 ways through decode and analysis.
PREFLIGHT_REAL_SEEDS="$PWD/target/corpus-work/corpus-small/files" \
  cargo test --locked -p preflight-tests --test robustness -- --ignored mutated_real_encodings_never_panic

step "build the site (trunk, offline)"
trunk build --release --offline --skip-version-check

step "browser tests (headless Chromium)"
(cd tests && node --test --test-concurrency=1 e2e/)

step "long files in the page: peak memory while analysing and mastering"
# 30 min of 48 kHz stereo and 10 min of 96 kHz stereo, analysed and mastered
# in Chromium (a browser profile of its own, as an everyday window: the
# site's storage on disk); fails if the page's peak memory (PSS of every
# Chromium process, over idle) exceeds the bound, as a multiple of the
# decoded audio. Since session 35 a long track waits between renders in a
# scratch file on disk (app/worker/src/scratch.rs), not in the Worker's
# memory: 30 min 2.60x -> 2.22x, 10 min at 96 kHz 2.64x -> 2.19x (2.81x ->
# 2.28x with the new direction and the export).
# The file is real music (tests/bench/real_music.py: a track of
# wesnoth-1.16-music, which the judgement step above has just fetched into
# target/corpus-work), looped to length. The bounds are a ratchet on those
# figures with 0.3x for the CI machine (it once measured an MP3 0.16x over
# the development machine). The 96 kHz file is then mastered again (a new
# target) and exported (session 27: the 345 MB WAV streams to the download
# through the service worker and must arrive whole).
# Where the disk has no room for the scratch file (Chromium keeps a disk's last
# 1-2 GiB free of site storage; a clean-clone CI run of
# session 35 kept the 30-minute track in memory: 2.62x), the Worker keeps
# the track in memory, and --no-room bounds the peak instead: the figures
# of tracks kept in memory (2.60x, 2.64x / 2.81x, MP3 2.97-3.14x, float
# 3.15-3.17x) with under 0.15x to spare. The bench says where the track was
# kept; a long track kept in memory while the disk had room fails.
df -h "${TMPDIR:-/tmp}" | tail -1 | awk '{print "disk free for the browser profiles: " $4}'
node tests/bench/long_file_memory.mjs 30 48000 --check 2.55 --no-room 2.7
node tests/bench/long_file_memory.mjs 10 96000 --check 2.5 --again 2.6 --no-room 2.75,2.9
# 8 min (92 MB): analysed in two halves, the helper Worker taking one. Since
# session 41 the helper measures its half while it reads and decodes the
# file, block by block (measure::PeakStream), and never holds the track:
# 2.25-2.29x in 10 of 11 runs on the development machine, the peak now in
# the mastering (the analysis alone 1.55-2.16x), one run 2.51x (its
# analysis 2.45x: the helper's read blocks not yet collected, it seems).
# Before, its decoded copy met the engine's and the page's in the
# analysis: 2.32-2.78x between runs, bound 2.9.
node tests/bench/long_file_memory.mjs 8 48000 --check 2.7 --no-room 3.3
# 10 min as an MP3 (320 kbit/s, its decode kept as 24-bit integers of its
# own peak, audio::Stored::lossy) and as a 32-bit float WAV: 2.37-2.41x
# (session 41: the helper Worker measures the decoder Worker's blocks as
# they come instead of gathering a copy, the analysis alone 2.54x ->
# 1.54-2.18x, the peak now in the mastering; 2.51-2.70x before, bound 3.0)
# and 2.18-2.37x (3.14x / 3.17x until session 35). The
# float WAV's analysis peak varies: 28 of 29 runs on the development
# machine 2.18-2.37x, one 2.72x; a clean-clone CI run of session 36, with a
# judgement evaluation running beside it, 2.99x. Its bound is set on that
# spread, not on the typical run.
node tests/bench/long_file_memory.mjs 10 48000 --format mp3 --check 2.8 --no-room 3.25
node tests/bench/long_file_memory.mjs 10 48000 --format f32 --check 3.05 --no-room 3.3

step "the main flow in Firefox ESR and WebKitGTK"
scripts/test-engines.sh
