"""Songs with a real voice stem: a General MIDI arrangement rendered by
fluidsynth (FluidR3_GM from Debian's fluid-soundfont-gm) and a chanted line
from espeak-ng, one word per melody note, its pitch following the melody.

The two stems are kept apart, so the vocal's level against the accompaniment
is known exactly and "the vocal drops back" can be injected by an exact gain
on the vocal stem alone.
"""
from __future__ import annotations

import os
import struct
import subprocess
import tempfile

import numpy as np
from scipy import signal

SR = 48000


# ------------------------------------------------------- tiny MIDI writer
def _vlq(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def write_midi(path, events, tempo_bpm, tpq=480):
    """events: list of (tick, bytes) channel messages; format 0, one track."""
    ev = sorted(events, key=lambda e: (e[0], e[1][0] & 0xF0 != 0x80))
    data = b"\x00\xff\x51\x03" + struct.pack(">I", int(60e6 / tempo_bpm))[1:]
    last = 0
    for t, msg in ev:
        data += _vlq(t - last) + msg
        last = t
    data += b"\x00\xff\x2f\x00"
    with open(path, "wb") as f:
        f.write(b"MThd" + struct.pack(">IHHH", 6, 0, 1, tpq))
        f.write(b"MTrk" + struct.pack(">I", len(data)) + data)


def _note(ev, ch, t, dur, key, vel):
    ev.append((t, bytes([0x90 | ch, key, vel])))
    ev.append((t + dur, bytes([0x80 | ch, key, 0])))


SONGS = {
    # name: key root (MIDI), tempo, progression (semitones from root, minor flag),
    # programs, voice, lyrics (one word per melody note), melody (scale steps)
    "vox-a": dict(root=57, bpm=96, prog=[(0, 1), (8, 0), (3, 0), (10, 0)],
                  pad=48, keys=0, bass=33, lead_drive=None, voice="en-us+f3",
                  words="we walk along the river light and all the city sleeps tonight "
                        "the signal fades the voices call we hold the line before we fall",
                  melody=[4, 4, 5, 4, 2, 0, 2, 4, 7, 7, 5, 4, 2, 2, 0, -1]),
    "vox-b": dict(root=52, bpm=124, prog=[(0, 1), (5, 1), (10, 0), (7, 0)],
                  pad=89, keys=4, bass=38, lead_drive=29, voice="en-gb+m3",
                  words="turn it up and let it go the night is long the road is slow "
                        "we run we run until the light breaks open on the other side",
                  melody=[0, 2, 3, 5, 7, 5, 3, 2, 3, 5, 7, 8, 7, 5, 3, 0]),
}

MAJOR = [0, 2, 4, 5, 7, 9, 11]
MINOR = [0, 2, 3, 5, 7, 8, 10]


def _scale(root, steps, minor):
    sc = MINOR if minor else MAJOR
    o, i = divmod(steps, 7)
    return root + 12 * o + sc[i]


def arrangement(name, seconds=60.0):
    s = SONGS[name]
    tpq, bpm = 480, s["bpm"]
    bar = 4 * tpq
    nbars = int(seconds * bpm / 60 / 4)
    ev = []
    # programs and pans: pad left-ish, keys right-ish, bass centre, guitar wide
    for ch, prog, pan in [(0, s["pad"], 40), (1, s["keys"], 88), (2, s["bass"], 64), (3, s["lead_drive"] or 0, 100)]:
        ev.append((0, bytes([0xC0 | ch, prog])))
        ev.append((0, bytes([0xB0 | ch, 10, pan])))
        ev.append((0, bytes([0xB0 | ch, 91, 50])))  # reverb send
    for b in range(nbars):
        off, minor = s["prog"][b % len(s["prog"])]
        r = s["root"] + off
        chord = [r, r + (3 if minor else 4), r + 7]
        t0 = b * bar
        for k in chord:
            _note(ev, 0, t0, bar - 10, k, 62)
        for beat in range(8):  # keys: eighth-note broken chord
            _note(ev, 1, t0 + beat * tpq // 2, tpq // 2 - 10, chord[beat % 3] + 12, 70 + 10 * (beat % 2 == 0))
        for beat in range(4):  # bass
            _note(ev, 2, t0 + beat * tpq, tpq - 30, r - 24 + (7 if beat == 2 else 0), 100)
        if s["lead_drive"] is not None and b % 2 == 1:  # power chords
            for k in (r - 12, r - 5):
                _note(ev, 3, t0, bar - 20, k, 80)
        for beat in range(4):  # drums, channel 10
            _note(ev, 9, t0 + beat * tpq, 60, 36 if beat % 2 == 0 else 38, 110 if beat % 2 == 0 else 100)
            for h in range(2):
                _note(ev, 9, t0 + beat * tpq + h * tpq // 2, 30, 42, 70 + 20 * (h == 0))
        if b % 8 == 0:
            _note(ev, 9, t0, 200, 49, 100)
    return ev, bpm, tpq, nbars


def render_accompaniment(name, sf2, out_wav, seconds=60.0):
    ev, bpm, tpq, _ = arrangement(name, seconds)
    with tempfile.TemporaryDirectory() as d:
        mid = os.path.join(d, "a.mid")
        write_midi(mid, ev, bpm, tpq)
        subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", str(SR), "-F", out_wav, sf2, mid],
                       check=True, capture_output=True)


def _read_wav_mono(path):
    import soundfile as sf
    x, sr = sf.read(path, dtype="float64", always_2d=True)
    return x.mean(axis=1), sr


def render_voice(name, seconds=60.0):
    """One espeak-ng word per melody note (two notes per bar, on beats 1 and
    3), pitch parameter following the melody; silent for the first 2 bars."""
    s = SONGS[name]
    words = s["words"].split()
    bpm = s["bpm"]
    beat = 60.0 / bpm
    out = np.zeros(int(seconds * SR) + SR)
    nbars = int(seconds * bpm / 60 / 4)
    i = 0
    with tempfile.TemporaryDirectory() as d:
        for b in range(2, nbars):
            if b % 8 in (6, 7):  # breathe: two bars without voice every eight
                continue
            for half in range(2):
                w = words[i % len(words)]
                step = s["melody"][i % len(s["melody"])]
                i += 1
                pitch = int(np.clip(45 + 6 * step, 5, 95))
                wav = os.path.join(d, "w.wav")
                subprocess.run(["espeak-ng", "-v", s["voice"], "-s", "110", "-p", str(pitch), "-a", "160",
                                "-w", wav, w], check=True, capture_output=True)
                y, sr = _read_wav_mono(wav)
                y = signal.resample_poly(y, SR, sr)
                nz = np.nonzero(np.abs(y) > 1e-3)[0]
                if len(nz):
                    y = y[nz[0]:nz[-1] + 1]
                y = y[: int(2 * beat * SR * 0.95)]
                t = int((b * 4 + 2 * half) * beat * SR)
                out[t:t + len(y)] += y
    sos = signal.butter(2, 90.0, "highpass", fs=SR, output="sos")
    return signal.sosfilt(sos, out)[: int(seconds * SR)]


def make_song(name, sf2, work_dir, seconds=60.0):
    """Returns (accompaniment [n,2], voice [n] mono), both at SR, unscaled."""
    acc_path = os.path.join(work_dir, f"{name}-acc.wav")
    if not os.path.exists(acc_path):
        render_accompaniment(name, sf2, acc_path, seconds)
    import soundfile as sf
    acc, sr = sf.read(acc_path, dtype="float64", always_2d=True)
    assert sr == SR
    voice = render_voice(name, seconds)
    n = min(len(acc), len(voice))
    return acc[:n], voice[:n]
