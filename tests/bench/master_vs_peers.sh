#!/usr/bin/env bash
# Masters the same real-music track with Preflight, Matchering 2 and ffmpeg's
# two-pass loudnorm; reports wall time ratios and loudness / true-peak
# accuracy, all measured by ffmpeg's ebur128 filter (an outside meter).
#
#   tests/bench/master_vs_peers.sh [SECONDS]      (default 240: a 4-minute track)
#
# Needs: cargo, ffmpeg, apt-get + dpkg (the music), python3 with numpy, scipy,
# soundfile and `pip install matchering` (Matchering 2 refuses a reference
# equal to its target, so it gets a different track as reference; its
# loudness goal is the reference's loudness).
# Like for like: the Preflight row against Matchering is `master --reference`
# with the same reference (balance matched, loudness taken from it); the row
# against loudnorm is the plain master to −14 LUFS.
set -euo pipefail
SECONDS_LEN="${1:-240}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
cargo build -q --release -p dsp-wasm --bin preflight
PF="$ROOT/target/release/preflight"

# Real music (tests/bench/real_music.py: two tracks of a Debian music
# package that no judgement rule was fitted on), 48 kHz stereo 24-bit: the
# target, and a different track as the reference.
py="$(tests/bench/python.sh)"
PYTHONDONTWRITEBYTECODE=1 "$py" tests/bench/real_music.py "$WORK/target.wav" "$SECONDS_LEN"
PYTHONDONTWRITEBYTECODE=1 "$py" tests/bench/real_music.py "$WORK/reference.wav" "$SECONDS_LEN" --track reference

measure() { # prints "I TP" of a file per ffmpeg ebur128
  ffmpeg -hide_banner -nostats -i "$1" -af ebur128=peak=true -f null - 2>&1 |
    awk '/Summary:/{s=1} s&&/ I:/{i=$2} s&&/Peak:/{p=$2} END{print i, p}'
}
now() { date +%s.%N; }

tp0=$(now)
"$PF" master "$WORK/target.wav" -o "$WORK/preflight-plain.wav" --json "$WORK/preflight-plain.json"
tp1=$(now)
t0=$(now)
"$PF" master "$WORK/target.wav" -o "$WORK/preflight.wav" --json "$WORK/preflight.json" --reference "$WORK/reference.wav"
t1=$(now)
python3 - "$WORK" <<'PY'
import sys, matchering as mg
w = sys.argv[1]
mg.log(lambda *_: None)
mg.process(target=f"{w}/target.wav", reference=f"{w}/reference.wav",
           results=[mg.pcm24(f"{w}/matchering.wav")])
PY
t2=$(now)
# loudnorm two-pass: measure, then apply linearly with the measured values.
M=$(ffmpeg -hide_banner -nostats -i "$WORK/target.wav" \
    -af loudnorm=I=-14:TP=-1:LRA=20:print_format=json -f null - 2>&1 | sed -n '/^{/,/^}/p')
get() { echo "$M" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
ffmpeg -v error -y -i "$WORK/target.wav" -af "loudnorm=I=-14:TP=-1:LRA=20:linear=true:measured_I=$(get input_i):measured_TP=$(get input_tp):measured_LRA=$(get input_lra):measured_thresh=$(get input_thresh):offset=$(get target_offset)" \
  -ar 48000 -c:a pcm_s24le "$WORK/loudnorm.wav"
t3=$(now)

read -r REF_I _ < <(measure "$WORK/reference.wav")
read -r PF_I PF_TP < <(measure "$WORK/preflight.wav")
read -r PP_I PP_TP < <(measure "$WORK/preflight-plain.wav")
read -r MG_I MG_TP < <(measure "$WORK/matchering.wav")
read -r LN_I LN_TP < <(measure "$WORK/loudnorm.wav")
python3 - "$t0" "$t1" "$t2" "$t3" "$REF_I" "$PF_I" "$PF_TP" "$MG_I" "$MG_TP" "$LN_I" "$LN_TP" "$SECONDS_LEN" "$tp0" "$tp1" "$PP_I" "$PP_TP" <<'PY'
import sys
t0, t1, t2, t3, ref, pfi, pftp, mgi, mgtp, lni, lntp, dur, tp0, tp1, ppi, pptp = map(float, sys.argv[1:])
pf, mg, ln, pp = t1 - t0, t2 - t1, t3 - t2, tp1 - tp0
print(f"track: {dur:.0f} s, 48 kHz stereo; loudness and true peak by ffmpeg ebur128")
print(f"{'tool':<22}{'time s':>8}{'x real time':>13}{'LUFS':>8}{'goal':>7}{'error LU':>10}{'dBTP':>7}")
for name, t, i, tp, goal in [("preflight --reference", pf, pfi, pftp, ref),
                             ("matchering 2", mg, mgi, mgtp, ref),
                             ("preflight master", pp, ppi, pptp, -14.0),
                             ("ffmpeg loudnorm 2-pass", ln, lni, lntp, -14.0)]:
    print(f"{name:<22}{t:8.2f}{dur / t:13.1f}{i:8.1f}{goal:7.1f}{abs(i - goal):10.2f}{tp:7.1f}")
print(f"with the same reference work, preflight is {mg / pf:.1f}x faster than matchering (goal >= 20x); "
      f"the plain master is {ln / pp:.1f}x faster than two-pass loudnorm")
PY
