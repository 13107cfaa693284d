#!/usr/bin/env python3
"""Probe for a voice-level feature (issue #13 item 4: "the vocal found as a
voice"), kept so the measurement behind tests/corpus/README.md "Looking for
the voice" can be run again. It ships nothing: it prints, for the vocal
songs' clean and dropped-vocal files and every clean recording of the
judgement corpus, two candidate measures taken from the mix alone.

- centre share: power of the centre-panned part of 300 Hz – 4 kHz (each STFT
  bin weighted by its L/R similarity 2|L·R*|/(|L|²+|R|²) to the 8th power,
  Avendano & Jot 2004) over all of it, dB.
- gliding stacks: per STFT frame of the mid channel (4096 points, hop 512 at
  48 kHz), the spectral peaks within 24 dB of the frame's loudest between
  200 Hz and 3 kHz whose instantaneous frequency (phase vocoder) moves by
  4–40 semitones/s, at least three moving together (same sign, within 30 %
  of their median rate: the partials of one gliding pitch, as a voice's
  intonation makes them; a piano or organ note does not glide). The level of
  those peaks (L/R-similarity weighted) over the frame's 200 Hz – 3 kHz
  power; the 90th percentile over the frames where stacks are found, dB.

    tests/bench/vocal_probe.py [--corpus DIR]     (default $CORPUS_WORK/corpus)
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
from scipy import signal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "corpus"))
import measure as M  # noqa: E402

SR = 48000
N, H = 4096, 512


def stft(x):
    w = np.hanning(N)
    frames = (len(x) - N) // H
    idx = np.arange(N)[None, :] + H * np.arange(frames)[:, None]
    return np.fft.rfft(x[idx] * w, axis=1)


def similarity(L, R):
    return np.clip(2 * np.real(L * np.conj(R)) / (np.abs(L) ** 2 + np.abs(R) ** 2 + 1e-20), 0, 1)


def centre_share_db(L, R, f):
    band = (f >= 300) & (f <= 4000)
    psi = similarity(L[:, band], R[:, band])
    mid = np.abs((L[:, band] + R[:, band]) / 2) ** 2
    tot = (np.abs(L[:, band]) ** 2 + np.abs(R[:, band]) ** 2) / 2
    act = tot.sum(1) > tot.sum(1).max() * 1e-3
    return 10 * np.log10((psi[act] ** 8 * mid[act]).sum() / tot[act].sum())


def gliding_stack_db(L, R, f):
    S = (L + R) / 2
    mag, ph = np.abs(S), np.angle(S)
    psi = similarity(L, R)
    k = np.arange(S.shape[1])
    expected = 2 * np.pi * k * H / N
    dph = (ph[1:] - ph[:-1] - expected + np.pi) % (2 * np.pi) - np.pi
    inst = (expected + dph) * SR / (2 * np.pi * H)
    lo, hi = np.searchsorted(f, 200), np.searchsorted(f, 3000)
    P = mag ** 2
    tot = P[:, lo:hi].sum(1)
    act = tot > tot.max() * 1e-3
    levels = []
    for t in range(1, S.shape[0] - 2):
        if not act[t]:
            continue
        a = mag[t, lo:hi]
        pk = np.nonzero((a[1:-1] > a[:-2]) & (a[1:-1] >= a[2:]) & (a[1:-1] > a.max() * 10 ** (-24 / 20)))[0] + 1 + lo
        if len(pk) < 3:
            continue
        cand = np.stack([pk - 2, pk - 1, pk, pk + 1, pk + 2])
        kb = cand[np.argmax(mag[t + 2][cand], axis=0), np.arange(len(pk))]
        f1, f2 = inst[t - 1, pk], inst[t + 1, kb]
        ok = (f1 > 0) & (f2 > 0)
        rate = np.zeros(len(pk))
        rate[ok] = 12 * np.log2(f2[ok] / f1[ok]) / (2 * H / SR)
        moving = ok & (np.abs(rate) > 4) & (np.abs(rate) < 40)
        if moving.sum() < 3:
            continue
        med = np.median(rate[moving])
        together = moving & (np.sign(rate) == np.sign(med)) & (np.abs(rate - med) < 0.3 * abs(med) + 0.5)
        if together.sum() >= 3:
            p = pk[together]
            e = ((P[t, p] + P[t, p - 1] + P[t, p + 1]) * psi[t, p] ** 4).sum()
            if e > 0:
                levels.append(10 * np.log10(e / tot[t]))
    return np.percentile(levels, 90) if levels else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=os.path.join(os.environ.get("CORPUS_WORK", "/work/corpus-work"), "corpus"))
    args = ap.parse_args()
    files = json.load(open(os.path.join(args.corpus, "corpus.json")))["files"]
    pick = [m for m in files if m["clean"] or m["id"].split("--")[1].startswith("vocal_masking")]
    print("| file | set | centre share, dB | gliding stacks p90, dB |\n|---|---|---|---|")
    for m in sorted(pick, key=lambda m: m["id"]):
        x, sr = M.load(os.path.join(args.corpus, m["file"]))
        x = M.as2(x)
        if x.shape[1] == 1:
            x = np.repeat(x, 2, axis=1)
        if sr != SR:
            x = signal.resample_poly(x, SR, sr, axis=0)
        L, R = stft(x[:, 0]), stft(x[:, 1])
        f = np.fft.rfftfreq(N, 1 / SR)
        print(f"| {m['id']} | {m['set']} | {centre_share_db(L, R, f):.1f} | {gliding_stack_db(L, R, f):.1f} |", flush=True)


if __name__ == "__main__":
    main()
