#!/usr/bin/env python3
"""Probe for priors per class of material (issue #13 item 4: "priors of band
levels drawn from the clean real recordings ... per broad class of material
with its spread"), kept so the measurement behind tests/corpus/README.md
"Priors by class of material" can be run again. It ships nothing.

For each tonal problem the corpus injects (mud, harshness, sub_excess, dull)
it takes the physical measure the bench scores it with (the band's power
against the rest of 20 Hz - 20 kHz, tests/corpus/measure.py, nothing shared
with the engine; for dull the 8-20 kHz band) on every clean recording and
every file with that problem injected, and asks how many injected files
stand above every clean recording (below, for dull) - the most a threshold
can find with no false alarm - when the band is judged

- raw: as it is (what one long-term spectrum offers);
- by class: against the mean of the clean recordings of the same class of
  material (orchestral, electronic, song; the `style` of each source in
  tests/corpus/sources.json, grouped by hand below), leaving out the file's
  own source;
- predicted: against a ridge regression from everything else measured on
  the file (the other octave bands' shares, crest factor, L/R correlation,
  the class), fitted on the clean recordings of the other sources
  (leave-one-source-out), i.e. the best "what fits this material" a prior
  drawn from these recordings could give.

It also prints the spread of the clean recordings around each reference
(standard deviation, dB): a prior helps only if it is much tighter than the
raw spread, since the injections move the band by 1.5-13 dB.

    tests/bench/prior_probe.py [--corpus DIR]     (default $CORPUS_WORK/corpus)
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "corpus"))
import measure as M  # noqa: E402

# Broad classes of material, from each source's `style`.
CLASS = {
    "hyperrogue-music": "orchestral", "ufoai-music": "orchestral", "wesnoth-1.16-music": "orchestral",
    "warzone2100-music": "electronic", "nexuiz-music": "electronic", "freedroidrpg-data": "electronic",
    "singularity-music": "electronic",
    "frozen-bubble-data": "song", "planetblupi-music-ogg": "song", "vox-a": "song", "vox-b": "song",
}
CLASSES = ["orchestral", "electronic", "song"]
# The bench's measure of each problem (tests/corpus/problems.py) and the sign
# an injection moves it by.
KINDS = {"mud": ((150, 500), 1), "harshness": ((2500, 8000), 1),
         "sub_excess": ((20, 60), 1), "dull": ((8000, 20000), -1)}


def features(x, sr, spec, lo, hi):
    """Everything but the band itself: octave shares of the octaves clear of
    [lo, hi), taken against the total of those octaves only (so the band's
    own level cannot leak in through the total), crest factor, correlation."""
    f, p = spec
    top = min(20000.0, sr / 2)
    octs = [c for c in M.OCTAVES if c * np.sqrt(2) <= lo or c / np.sqrt(2) >= hi]
    # The 16 kHz octave is empty at rates under 32 kHz and above a codec's
    # low-pass: only octaves every file has.
    octs = [c for c in octs if c <= 8000]
    pw = [M.band_power(f, p, c / np.sqrt(2), min(c * np.sqrt(2), top)) for c in octs]
    tot = sum(pw)
    return [M.db(v) - M.db(tot) for v in pw] + [M.crest_db(x), M.corr(x)]


def ridge(X, y, lam=3.0):
    mu, sd = X.mean(0), X.std(0) + 1e-9
    A = np.c_[(X - mu) / sd, np.ones(len(X))]
    w = np.linalg.solve(A.T @ A + lam * np.diag([1.0] * X.shape[1] + [0.0]), A.T @ y)
    return lambda Z: np.c_[(Z - mu) / sd, np.ones(len(Z))] @ w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(os.environ.get("CORPUS_WORK", "/work/corpus-work"), "corpus"))
    a = ap.parse_args()
    files = json.load(open(os.path.join(a.corpus, "corpus.json")))["files"]
    rows = []
    for e in files:
        kinds = [i["kind"] for i in e["injected"] if i["kind"] in KINDS]
        if not (e["clean"] or kinds):
            continue
        x, sr = M.load(os.path.join(a.corpus, e["file"]))
        spec = M.psd(x, sr)
        for kind, ((lo, hi), _) in KINDS.items():
            if e["clean"] or kind in kinds:
                onehot = [float(CLASS[e["source"]] == c) for c in CLASSES]
                rows.append(dict(kind=kind, clean=e["clean"], id=e["id"], src=e["source"], set=e["set"],
                                 cls=CLASS[e["source"]], y=M.band_vs_rest_db(x, sr, lo, hi, spec),
                                 X=features(x, sr, spec, lo, hi) + onehot,
                                 level=next((i["level"] for i in e["injected"] if i["kind"] == kind), "clean")))
    print("clean recordings: %d; per set, injected files above every clean one (below, for dull)" %
          len({r["id"] for r in rows if r["clean"]}))
    print(f"{'kind':<11}{'reference':<11}{'clean sd dB':>12}{'calibration':>14}{'held-out':>10}")
    for kind, (_, sign) in KINDS.items():
        rs = [r for r in rows if r["kind"] == kind]
        clean = [r for r in rs if r["clean"]]
        for ref in ("raw", "by class", "predicted"):
            for r in rs:
                others = [c for c in clean if c["src"] != r["src"]]
                if ref == "raw":
                    r["res"] = r["y"]
                elif ref == "by class":
                    same = [c["y"] for c in others if c["cls"] == r["cls"]]
                    r["res"] = r["y"] - np.mean(same)
                else:
                    model = ridge(np.array([c["X"] for c in others]), np.array([c["y"] for c in others]))
                    r["res"] = r["y"] - float(model(np.array([r["X"]]))[0])
            res_clean = np.array([c["res"] for c in clean]) * sign
            top = res_clean.max()
            cells = []
            for s in ("calibration", "heldout"):
                inj = [r for r in rs if not r["clean"] and r["set"] == s]
                cells.append(f"{sum(r['res'] * sign > top for r in inj)}/{len(inj)}")
            print(f"{kind:<11}{ref:<11}{res_clean.std():12.2f}{cells[0]:>14}{cells[1]:>10}")


if __name__ == "__main__":
    main()
