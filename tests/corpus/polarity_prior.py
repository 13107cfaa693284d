"""Inverted channel or far too wide? The figures behind the engine's reading.

A flip of one channel turns side into mid and mid into side, so a track
with one channel inverted and a mix whose side was raised far too much look
alike in their broadband figures. `dsp-wasm`'s `reads_as_inverted` (in
`measure/stereo.rs`, used by `master::decide` and `risks::spectral`) tells
them apart by where the bass sits: a finished mix centres its lows more
than its middle, widening keeps that order, inverting a channel reverses
it. This prints, for every stereo clean recording of the judgement corpus,
each of the two faults made from it (the right channel inverted; the side
raised 6, 9, 12 dB) with its correlation and side-over-mid per band, marks
those with every band out of polarity at a correlation of -0.5 or less
(`ALL`: where the engine considers a whole-channel flip) and those the rule
reads as inverted (`FLIP`), and counts both.

Independent of the engine (numpy and ffmpeg only; bands from one FFT of the
whole file, not the engine's crossovers). The sources include the held-out
ones: this is the evidence for a prior, not a held-out figure.

Run: python3 tests/corpus/polarity_prior.py --work CORPUS_WORK
"""
from __future__ import annotations

import argparse
import glob
import os
import subprocess

import numpy as np

SR = 48000
BANDS = [(20, 250), (250, 2000), (2000, 20000)]
LOWS_OVER_MIDDLE_DB = 1.0   # INVERTED_LOWS_OVER_MIDDLE_DB
CANCELLED_MIDDLE_DB = 30.0  # CANCELLED_MIDDLE_DB


def load(path: str) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "f32le", "-ac", "2",
                          "-ar", str(SR), "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.float32).reshape(-1, 2).T.astype(np.float64)


def figures(left: np.ndarray, right: np.ndarray):
    """Correlation and side over mid (dB) of each of BANDS."""
    fl, fr = np.fft.rfft(left), np.fft.rfft(right)
    f = np.fft.rfftfreq(len(left), 1 / SR)
    mid, side = np.abs(fl + fr) ** 2, np.abs(fl - fr) ** 2
    ratios = []
    for lo, hi in BANDS:
        k = (f >= lo) & (f < hi)
        ratios.append(10 * np.log10(max(side[k].sum(), 1e-30) / max(mid[k].sum(), 1e-30)))
    corr = np.sum(left * right) / np.sqrt(np.sum(left ** 2) * np.sum(right ** 2))
    return corr, ratios


def reads_as_inverted(lows: float, middle: float, top: float) -> bool:
    return (lows > 0 and middle > 0 and top > 0
            and (middle >= CANCELLED_MIDDLE_DB or lows >= middle + LOWS_OVER_MIDDLE_DB))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", required=True, help="the corpus build folder (CORPUS_WORK)")
    args = ap.parse_args()
    counts = {"inverted": [0, 0], "widened": [0, 0]}
    for path in sorted(glob.glob(os.path.join(args.work, "corpus", "files", "*--clean.*"))):
        left, right = load(path)
        if np.allclose(left, right):
            continue
        mid, side = (left + right) / 2, (left - right) / 2
        cases = [("inverted", "inverted", left, -right)]
        for db in (6, 9, 12):
            g = 10 ** (db / 20)
            cases.append(("widened", f"side +{db} dB", mid + g * side, mid - g * side))
        print(os.path.basename(path))
        for kind, name, a, b in cases:
            corr, (lo, md, hi) = figures(a, b)
            considered = corr <= -0.5 and lo > 0 and md > 0 and hi > 0
            flipped = considered and reads_as_inverted(lo, md, hi)
            counts[kind][0] += considered
            counts[kind][1] += flipped
            mark = ("ALL" if considered else "   ") + (" FLIP" if flipped else "")
            print(f"  {name:12} corr {corr:+.2f}  side-mid: lows {lo:+5.1f} middle {md:+5.1f} top {hi:+5.1f} dB  {mark}")
    for kind, (considered, flipped) in counts.items():
        print(f"{kind}: {flipped} of {considered} with every band out of polarity read as inverted")


if __name__ == "__main__":
    main()
