#!/usr/bin/env python3
"""Clipping read through a lossy codec: the judgement corpus's WAV and FLAC
files re-encoded to MP3 (LAME, 192 kbit/s), Ogg Vorbis (q5) and AAC (ffmpeg's
encoder, 192 kbit/s), each copy
analysed by `preflight analyze`.

    python3 tests/bench/lossy_clipping.py --bin PREFLIGHT [--work DIR] [--jobs N]

A clipped mix's flat runs come back rippled from a lossy decoder, so an MP3
or Ogg copy is read for tops flattened against one level
(dsp-wasm/src/measure/clipped_tops.rs). The truth is the corpus's: a file
is clipped when clipping was injected into it (and its WAV/FLAC measured
the clipped runs when the corpus was built). Prints, per codec and per set
(calibration: the sources the rule was fitted on; held-out: the others),
how many clipped copies read `clipping` at minor or worse, and how many of
the copies with no clipping injected did (false alarms), listing both.

--work  the corpus build's cache (default $CORPUS_WORK or /work/corpus-work):
        reads WORK/corpus/corpus.json, writes the copies and reports to
        WORK/lossy-clipping
Needs: ffmpeg with libmp3lame and libvorbis.
The rule was fitted on the MP3 and Ogg copies only; AAC is read by it
unfitted.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

CODECS = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "192k"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "5"],
    "m4a": ["-c:a", "aac", "-b:a", "192k"],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", default=os.environ.get("CORPUS_WORK", "/work/corpus-work"))
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    corpus = os.path.join(a.work, "corpus")
    out = os.path.join(a.work, "lossy-clipping")
    os.makedirs(out, exist_ok=True)
    files = [f for f in json.load(open(os.path.join(corpus, "corpus.json")))["files"]
             if f["format"] not in ("mp3", "ogg", "aac")]

    def one(job):
        f, codec = job
        copy = os.path.join(out, f"{f['id']}.{codec}")
        if not os.path.exists(copy):
            subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i",
                            os.path.join(corpus, f["file"]), *CODECS[codec], copy], check=True)
        report = copy + ".json"
        r = subprocess.run([a.bin, "analyze", copy, "--json", report], capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"{copy}: {r.stderr.strip()}")
        risk = next((x for x in json.load(open(report))["risks"] if x["id"] == "clipping"), None)
        return f, codec, risk

    jobs = [(f, c) for f in files for c in CODECS]
    with ThreadPoolExecutor(a.jobs) as ex:
        rows = list(ex.map(one, jobs))

    print(f"{'codec':5} {'set':12} {'clipped read':>13} {'false alarms':>13}")
    for codec in CODECS:
        for s in ("calibration", "heldout"):
            sel = [(f, r) for f, c, r in rows if c == codec and f["set"] == s]
            clipped = [(f, r) for f, r in sel if any(i["kind"] == "clipping" for i in f["injected"])]
            clean = [(f, r) for f, r in sel if not any(i["kind"] == "clipping" for i in f["injected"])]
            hit = [(f, r) for f, r in clipped if r and r["level"] in ("minor", "major")]
            fa = [(f, r) for f, r in clean if r and r["level"] in ("minor", "major")]
            print(f"{codec:5} {s:12} {len(hit):>6}/{len(clipped):<6} {len(fa):>6}/{len(clean):<6}")
            for f, r in clipped:
                ev = r["evidence"] if r else {}
                print(f"      clipped {f['id']}: {r['level'] if r else 'none'}"
                      f" ({ev.get('runs_per_minute', 0)}/min)")
            for f, r in fa:
                print(f"      FALSE   {f['id']}: {r['level']} ({r['evidence'].get('runs_per_minute')}/min)")


if __name__ == "__main__":
    main()
