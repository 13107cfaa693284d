#!/usr/bin/env bash
# Full analysis (decode + loudness + true peak + spectrum + stereo + risks +
# translation) of a 4-minute 48 kHz stereo file by `preflight analyze`,
# against ffmpeg's loudness + true-peak pass alone (`-af ebur128=peak=true`)
# on the same file, measured in the same run. Prints medians and the ratio.
#
#   tests/bench/analysis_vs_ffmpeg.sh [seconds=240] [runs=5]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-240}"
runs="${2:-5}"
command -v ffmpeg >/dev/null || { echo "ffmpeg is required" >&2; exit 1; }
# (and apt-get + dpkg, python3 with numpy, scipy, soundfile for the music)
cargo build --release -q -p dsp-wasm --bin preflight
bin=target/release/preflight
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
wav="$tmp/music.wav"
# Real music (tests/bench/real_music.py: a Debian music package's track that
# no judgement rule was fitted on), looped to length, 24-bit.
py="$(tests/bench/python.sh)"
PYTHONDONTWRITEBYTECODE=1 "$py" tests/bench/real_music.py "$wav" "$seconds"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }

ff=(); pf=()
for _ in $(seq "$runs"); do
  ff+=("$(time_ms ffmpeg -hide_banner -nostats -i "$wav" -af ebur128=peak=true -f null -)")
  pf+=("$(time_ms "$bin" analyze "$wav" --json "$tmp/report.json")")
done
ff_med=$(printf '%s\n' "${ff[@]}" | median)
pf_med=$(printf '%s\n' "${pf[@]}" | median)
echo "file: ${seconds} s of real music (wesnoth knalgan_theme), 48 kHz, stereo, 24-bit WAV; median of ${runs} runs"
echo "ffmpeg ebur128=peak=true (loudness + true peak only): ${ff_med} ms"
echo "preflight analyze (decode + full analysis + JSON):     ${pf_med} ms"
awk -v a="$pf_med" -v b="$ff_med" 'BEGIN { printf "ratio preflight/ffmpeg: %.2f (%s)\n", a / b, (a < b ? "faster" : "slower") }'
