#!/usr/bin/env python3
"""Released tracks, whole, from Debian packages the judgement corpus never
used: what Preflight says of finished music it was not tuned on, and what
its master does to it.

    python3 tests/bench/unseen_full.py --bin PREFLIGHT [--work DIR] [--out DIR] [--set calibration]

The judgement corpus (tests/corpus/) cuts 25-second excerpts from its
sources and injects problems into them; a full-length track has more
moments for a detector to react to (an isolated peak in four minutes, a
section brighter than the rest) and is what an artist drops. These tracks
are taken as they were released, so there is no injected truth: the figures
are the false alarms (any risk read `major` on a finished record) and the
restraint of the master (the largest change of an octave band's share of
the total, measured with tests/corpus/measure.py, which shares nothing with
the engine; 1 dB is the corpus's bound). No rule is fitted on them; once one
is, they stop being unseen and a new package should take their place.

--work  cache for the .deb files and unpacked trees (default $CORPUS_WORK or
        /work/corpus-work; the corpus build's own cache)
--out   where the reports and masters go (default WORK/unseen-full)
--set calibration
        whole tracks of the corpus's calibration sources instead (the
        CALIBRATION list below): where a rule that must hold on full-length
        music may be fitted; the unseen tracks stay its held-out check
Needs: python3 with numpy, scipy, soundfile; ffmpeg; apt-get + dpkg.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "corpus"))
import build as B  # noqa: E402  (fetch_package: apt-get download + dpkg -x)
import measure as M  # noqa: E402

# package, licence (read from usr/share/doc/PKG/copyright), root, files
SOURCES = [
    ("asc-music", "GPL-2+", "usr/share/games/asc/music",
     ["frontiers.mp3", "machine_wars.mp3", "time_to_strike.mp3"]),
    ("openclonk-data", "CC-BY-3.0 (K-Pone; the package's sounds and music)", "usr/share/games/openclonk/Music.ocg",
     ["@CrushedIceCocktail.ogg", "Cavern.ogg", "IslandDreams.ogg", "LucidDream.ogg", "Motorway.ogg",
      "Offshore.ogg", "TheSkylands.ogg", "UrbanBolero.ogg"]),
    ("drascula-music", "Drascula licence (BSD-like, Alcachofa Soft)", "usr/share/scummvm/drascula/audio",
     [f"track{i}.ogg" for i in (1, 3, 5, 8, 12, 16, 20, 24, 28)]),
]


# Whole tracks of the judgement corpus's *calibration* sources
# (tests/corpus/sources.json, licences there): what a rule fitted on 25 s
# excerpts does on the full length of music of the same sources. A rule that
# has to change for whole tracks may be fitted on these; the tracks above
# stay its held-out check. Opus files are decoded to float WAV by ffmpeg
# first (the engine reads no Opus).
CALIBRATION = [
    ("warzone2100-music", "GPL-2+", "usr/share/games/warzone2100/music/albums",
     ["original_soundtrack/track1.opus", "original_soundtrack/track2.opus", "original_soundtrack/track3.opus",
      "legacy_soundtrack/track4.opus", "legacy_soundtrack/track6.opus", "legacy_soundtrack/track9.opus",
      "legacy_soundtrack/track12.opus", "aftermath_soundtrack/track17.opus", "aftermath_soundtrack/track19.opus",
      "aftermath_soundtrack/track22.opus", "aftermath_soundtrack/track25.opus"]),
    ("nexuiz-music", "GPL-2+", "usr/share/games/nexuiz/data/music.pk3!sound/cdtracks",
     ["infight.ogg", "chaos-fog.ogg", "brokenlight.ogg"]),
    ("planetblupi-music-ogg", "GPL-3+", "usr/share/planetblupi/music",
     ["music005.ogg", "music007.ogg", "music009.ogg"]),
    ("hyperrogue-music", "CC-BY-SA-3.0 (Shawn Parrotte)", "usr/share/hyperrogue/music",
     ["hr3-caves.ogg", "hr3-desert.ogg", "hr3-crossroads.ogg", "hr3-icyland.ogg"]),
]


def readable(path, out):
    """`path`, or a float WAV decoded from it by ffmpeg when the engine cannot
    read it (float: a decoded peak over full scale is kept, not clipped)."""
    if not path.endswith(".opus"):
        return path
    wav = os.path.join(out, "decoded-" + "-".join(path.split(os.sep)[-2:]).replace(".opus", ".wav"))
    if not os.path.exists(wav):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", path, "-c:a", "pcm_f32le", wav], check=True)
    return wav


def one(binary, out, pkg, path):
    name = f"{pkg}--{os.path.splitext(os.path.basename(path))[0]}"
    if path.endswith(".opus"):
        name = f"{pkg}--{path.split(os.sep)[-2]}-{os.path.splitext(os.path.basename(path))[0]}"
        path = readable(path, out)
    aj, mw, mj = (os.path.join(out, name + s) for s in (".analyze.json", ".master.wav", ".master.json"))
    res = {"id": name}
    for args in (["analyze", path, "--json", aj], ["master", path, "-o", mw, "--json", mj]):
        r = subprocess.run([binary, *args], capture_output=True, text=True)
        if r.returncode != 0:
            res["error"] = r.stderr.strip()[:300]
            return res
    rep, mrep = json.load(open(aj)), json.load(open(mj))
    res["sample_rate"] = rep["input"].get("sample_rate")
    res["duration_s"] = rep["input"].get("duration_s")
    res["flags"] = [[r["id"], r["level"], round(r["severity"], 2)] for r in rep["risks"]
                    if r["level"] in ("minor", "major")]
    res["moves"] = [d.get("move") for d in mrep.get("decisions", [])]
    inp, isr = M.load(path)
    mas, osr = M.load(mw)
    d, band = M.max_octave_change(M.octave_levels(inp, isr), M.octave_levels(mas, osr))
    res["max_octave_change_db"], res["max_octave_change_band_hz"] = round(d, 2), band
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", default=os.environ.get("CORPUS_WORK", "/work/corpus-work"))
    ap.add_argument("--out")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--set", choices=("unseen", "calibration"), default="unseen")
    a = ap.parse_args()
    out = a.out or os.path.join(a.work, "unseen-full" if a.set == "unseen" else "calibration-full")
    os.makedirs(out, exist_ok=True)
    jobs = []
    for pkg, _licence, root, files in SOURCES if a.set == "unseen" else CALIBRATION:
        tree, _version = B.fetch_package(pkg, a.work)
        jobs += [(pkg, B.resolve(tree, root, f)) for f in files]
    binary = os.path.abspath(a.bin)
    with ThreadPoolExecutor(a.jobs) as ex:
        results = list(ex.map(lambda j: one(binary, out, *j), jobs))
    json.dump(results, open(os.path.join(out, f"{a.set}_full.json"), "w"), indent=1)
    ok = [r for r in results if "error" not in r]
    for r in results:
        if "error" in r:
            print(f"{r['id']}: ERROR {r['error']}")
            continue
        flags = ", ".join(f"{i} {lv}" for i, lv, _ in r["flags"]) or "-"
        print(f"{r['id'][:34]:34} {r['max_octave_change_db']:+6.2f} dB @ {r['max_octave_change_band_hz']!s:>5}  {flags}")
    majors = collections.Counter(i for r in ok for i, lv, _ in r["flags"] if lv == "major")
    minors = collections.Counter(i for r in ok for i, lv, _ in r["flags"] if lv == "minor")
    print()
    print(f"tracks {len(ok)}/{len(results)}; with a major risk {sum(1 for r in ok if any(lv == 'major' for _, lv, _ in r['flags']))}; "
          f"restraint (every octave band within 1 dB) {sum(1 for r in ok if abs(r['max_octave_change_db']) <= 1.0)}")
    print("major, per risk:", dict(sorted(majors.items())) or "none")
    print("minor, per risk:", dict(sorted(minors.items())) or "none")
    return 0 if len(ok) == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
