#!/usr/bin/env bash
# Seeds the cargo-fuzz corpus of `decode_analyze` (fuzz/corpus/decode_analyze,
# not in git) with encodings of real recordings: 1.5 s of each clean
# recording of the judgement slice (tests/corpus/build.py --small, which
# scripts/test.sh builds into target/corpus-work), encoded by ffmpeg as WAV,
# FLAC, MP3, Ogg Vorbis, AAC in MP4 and ADTS. Each seed's first byte picks
# the extension hint the way the target reads it (wav, flac, mp3, ogg, m4a,
# none): the seeds tests/robustness.rs mutated_real_encodings_never_panic
# mutates, and a WAV.
#
#   fuzz/seed.sh [SLICE_FILES_DIR]
#   cargo +nightly fuzz run decode_analyze -- -max_total_time=300
set -euo pipefail
cd "$(dirname "$0")/.."
src="${1:-target/corpus-work/corpus-small/files}"
out=fuzz/corpus/decode_analyze
ls "$src"/*--clean.* >/dev/null 2>&1 || {
  echo "no *--clean.* recordings in $src: build the slice first (tests/bench/judgement.sh --small, or scripts/test.sh)" >&2
  exit 1
}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
for f in "$src"/*--clean.*; do
  base=$(basename "${f%%--clean.*}")
  ffmpeg -nostdin -hide_banner -loglevel error -y -ss 8 -t 1.5 -i "$f" "$tmp/cut.wav"
  while read -r pick ext args; do
    # shellcheck disable=SC2086 # the codec arguments are words
    ffmpeg -nostdin -hide_banner -loglevel error -y -i "$tmp/cut.wav" $args "$tmp/seed.$ext"
    { printf "\\x$(printf %02x "$pick")"; cat "$tmp/seed.$ext"; } > "$out/real-$base.$ext"
    n=$((n + 1))
  done <<'FORMATS'
0 wav -c:a pcm_s16le
1 flac -c:a flac
2 mp3 -c:a libmp3lame -b:a 96k
3 ogg -c:a libvorbis -q:a 3
4 m4a -c:a aac -b:a 96k
5 aac -c:a aac -b:a 96k -f adts
FORMATS
done
echo "$n seeds in $out"
