#!/usr/bin/env python3
"""Real music for the speed and memory benchmarks: a whole track from a
Debian music package, looped or cut to the asked length, written as a
stereo WAV at the asked rate.

    python3 tests/bench/real_music.py OUT.wav SECONDS [--rate 48000]
        [--track target|reference] [--format wav16|wav24|mp3|flac|f32]

The tracks come from `wesnoth-1.16-music` (GPL-2+, see
tests/corpus/sources.json), a held-out source of the judgement corpus; these
two tracks are not in the corpus at all, so nothing was tuned on them:

  target     knalgan_theme.ogg  (9 min 17 s; drums, brass, strings)
  reference  vengeful.ogg       (6 min 0 s; the track a reference-matching
                                 master aims at)

The package is fetched with `apt-get download` and unpacked with `dpkg -x`
into $CORPUS_WORK (default target/corpus-work, the CI corpus slice's cache,
which already holds it) by the corpus builder's own `fetch_package`.
Decoding, looping and the rate change are ffmpeg's (`-stream_loop`, soxr).
An existing OUT of the right length is reused.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "corpus"))
from build import fetch_package  # noqa: E402

PACKAGE = "wesnoth-1.16-music"
MUSIC_DIR = "usr/share/games/wesnoth/1.16/data/core/music"
TRACKS = {"target": "knalgan_theme.ogg", "reference": "vengeful.ogg"}
FORMATS = {
    "wav16": ["-c:a", "pcm_s16le"],
    "wav24": ["-c:a", "pcm_s24le"],
    "f32": ["-c:a", "pcm_f32le"],
    "flac": ["-c:a", "flac"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "320k"],
}


def duration_s(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", path],
                         capture_output=True, text=True)
    try:
        return float(json.loads(out.stdout)["format"]["duration"])
    except (KeyError, ValueError):
        return -1.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("seconds", type=float)
    ap.add_argument("--rate", type=int, default=48000)
    ap.add_argument("--track", choices=sorted(TRACKS), default="target")
    ap.add_argument("--format", choices=sorted(FORMATS), default="wav24")
    a = ap.parse_args()
    if os.path.exists(a.out) and abs(duration_s(a.out) - a.seconds) < 0.1:
        return
    work = os.environ.get("CORPUS_WORK") or os.path.join(ROOT, "target", "corpus-work")
    tree, _ = fetch_package(PACKAGE, work)
    src = os.path.join(tree, MUSIC_DIR, TRACKS[a.track])
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", src,
                    "-t", f"{a.seconds}", "-af", "aresample=resampler=soxr", "-ar", str(a.rate), "-ac", "2",
                    *FORMATS[a.format], a.out], check=True)


if __name__ == "__main__":
    main()
