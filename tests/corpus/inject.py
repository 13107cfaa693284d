"""Problem injection: plain, documented signal processing in numpy/scipy.

Every function takes a clean float array [n, ch] and returns a new one; the
amount is a physical parameter (dB of boost, gain, DC value ...). Time-limited
injections crossfade from the clean signal to the injected one and back with
50 ms raised-cosine ramps.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import signal

import measure as M


# ------------------------------------------------------------ RBJ biquads
def _biquad(kind, f0, sr, gain_db=0.0, q=0.707):
    A = 10 ** (gain_db / 40)
    w = 2 * math.pi * f0 / sr
    cw, sw = math.cos(w), math.sin(w)
    al = sw / (2 * q)
    if kind == "peak":
        b = [1 + al * A, -2 * cw, 1 - al * A]
        a = [1 + al / A, -2 * cw, 1 - al / A]
    elif kind == "lowshelf":
        s = 2 * math.sqrt(A) * al
        b = [A * ((A + 1) - (A - 1) * cw + s), 2 * A * ((A - 1) - (A + 1) * cw), A * ((A + 1) - (A - 1) * cw - s)]
        a = [(A + 1) + (A - 1) * cw + s, -2 * ((A - 1) + (A + 1) * cw), (A + 1) + (A - 1) * cw - s]
    elif kind == "highshelf":
        s = 2 * math.sqrt(A) * al
        b = [A * ((A + 1) + (A - 1) * cw + s), -2 * A * ((A - 1) + (A + 1) * cw), A * ((A + 1) + (A - 1) * cw - s)]
        a = [(A + 1) - (A - 1) * cw + s, 2 * ((A - 1) - (A + 1) * cw), (A + 1) - (A - 1) * cw - s]
    else:
        raise ValueError(kind)
    return np.array([[b[0] / a[0], b[1] / a[0], b[2] / a[0], 1.0, a[1] / a[0], a[2] / a[0]]])


def eq(x, sr, kind, f0, gain_db, q=0.707):
    return signal.sosfilt(_biquad(kind, f0, sr, gain_db, q), x, axis=0)


# -------------------------------------------------------------- time range
def in_range(clean, injected, sr, t0=None, t1=None, ramp=0.05):
    if t0 is None:
        return injected
    n = len(clean)
    w = np.zeros(n)
    a, b = int(t0 * sr), min(n, int(t1 * sr))
    r = int(ramp * sr)
    w[a:b] = 1.0
    up = 0.5 - 0.5 * np.cos(np.linspace(0, math.pi, r))
    w[a:a + r] = up[: len(w[a:a + r])]
    w[max(a, b - r):b] = up[::-1][: len(w[max(a, b - r):b])]
    w = w[:, None]
    return clean * (1 - w) + injected * w


# ------------------------------------------------------------ the problems
def mud(x, sr, db):
    return eq(x, sr, "peak", 250.0, db, 0.9)


def harshness(x, sr, db):
    return eq(x, sr, "peak", 3500.0, db, 0.8)


def sub_excess(x, sr, db):
    return eq(x, sr, "lowshelf", 55.0, db, 0.7)


def resonance(x, sr, db, f0=82.0):
    """One narrow low-end resonance (Q 8): one bass note booms."""
    return eq(x, sr, "peak", f0, db, 8.0)


def dull(x, sr, db):
    """db is the cut (positive number)."""
    return eq(x, sr, "highshelf", 6000.0, -db, 0.7)


def sibilance_bursts(x, sr, db, seed=1, rate_hz=2.5):
    """Short (70 ms) bursts of 5-10 kHz noise, rate_hz per second, at `db`
    relative to the file's own 5-10 kHz RMS; for tracks without a voice."""
    rng = np.random.default_rng(seed)
    sos = signal.butter(4, [5000, 10000], "bandpass", fs=sr, output="sos")
    ref = np.sqrt(np.mean(signal.sosfilt(sos, x, axis=0) ** 2) + 1e-12)
    n = len(x)
    y = x.copy()
    L = int(0.07 * sr)
    env = np.sin(np.linspace(0, math.pi, L)) ** 2
    times = []
    t = 0.5
    while t < n / sr - 0.5:
        i = int(t * sr)
        nz = signal.sosfilt(sos, rng.standard_normal((L, x.shape[1])), axis=0)
        nz /= np.sqrt(np.mean(nz ** 2)) + 1e-12
        y[i:i + L] += nz * env[:, None] * ref * 10 ** (db / 20) * math.sqrt(2)
        times.append(t)
        t += 1.0 / rate_hz * (0.7 + 0.6 * rng.random())
    return y, times


def vocal_sibilance(voc, sr, db):
    """Peak EQ at 7 kHz (Q 1.2) on the vocal stem alone: the esses grow."""
    return eq(voc, sr, "peak", 7000.0, db, 1.2)


def _split_low(x, sr, fc=200.0):
    sos = signal.butter(4, fc, "lowpass", fs=sr, output="sos")
    lo = signal.sosfiltfilt(sos, x, axis=0)
    return lo, x - lo


def low_polarity(x, sr, amount):
    """Right channel's low end (< 200 Hz) multiplied by (1 - 2*amount):
    amount 1 = fully polarity-inverted bass, 0.5 = bass gone from R."""
    lo, hi = _split_low(x, sr)
    lo = lo.copy()
    lo[:, 1] *= (1.0 - 2.0 * amount)
    return lo + hi


def widen(x, sr, side_gain_db):
    """Side channel raised by side_gain_db (mid kept): a very wide image."""
    m = 0.5 * (x[:, 0] + x[:, 1])
    s = 0.5 * (x[:, 0] - x[:, 1]) * 10 ** (side_gain_db / 20)
    return np.stack([m + s, m - s], axis=1)


def imbalance(x, sr, db):
    """The quieter channel turned down by db: the lean the clean mix already
    has grows by db (the right channel when the two are level). Turning the
    louder one down would bring a leaning mix back towards the centre, a
    "problem" that makes the file more balanced than its clean copy."""
    y = x.copy()
    quiet = 0 if M.balance_db(x) < 0 else 1
    y[:, quiet] *= 10 ** (-db / 20)
    return y


def clip(x, sr, drive_db):
    """Drive by drive_db into a hard clip at full scale (0.9999)."""
    return np.clip(x * 10 ** (drive_db / 20), -0.9999, 0.9999)


def sample_peak_limit(x, sr, drive_db, ceiling=0.989):
    """A naive limiter that only looks at sample values (no oversampling):
    drive, then a 1.5 ms look-ahead gain computer with 80 ms release, and a
    final sample clamp. Inter-sample peaks above 0 dBTP are its classic flaw."""
    y = x * 10 ** (drive_db / 20)
    a = np.max(np.abs(y), axis=1)
    need = np.minimum(1.0, ceiling / np.maximum(a, 1e-12))
    la = int(0.0015 * sr)
    # running minimum over the look-ahead window
    from scipy.ndimage import minimum_filter1d
    g = minimum_filter1d(np.pad(need, (0, la), constant_values=1.0), size=la + 1, origin=-(la // 2))[: len(need)]
    rel = math.exp(-1.0 / (0.08 * sr))
    out = np.empty_like(g)
    s = 1.0
    for i, v in enumerate(g):  # attack instant (look-ahead did it), release exponential
        s = v if v < s else v + (s - v) * rel
        out[i] = s
    y = y * out[:, None]
    return np.clip(y, -ceiling, ceiling)


def add_dc(x, sr, value):
    return x + value


def spikes(x, sr, db, times):
    """Isolated 2 ms clicks `db` above the local 400 ms RMS at given times."""
    y = x.copy()
    L = max(4, int(0.002 * sr))
    shape = np.hanning(L)
    for t in times:
        i = int(t * sr)
        ctx = x[max(0, i - int(0.2 * sr)):i + int(0.2 * sr)]
        r = float(np.sqrt(np.mean(ctx ** 2) + 1e-12))
        amp = min(0.95, r * 10 ** (db / 20))
        y[i:i + L] += amp * shape[:, None] * np.sign(np.mean(x[i]) + 1e-9)
    return y


def compress(x, sr, amount_db):
    """A squashed master: drive `amount_db` into the naive look-ahead
    limiter (instant attack, 80 ms release; the loudness-war move), then true
    peak back under -1.2 dBTP. Crest factor and loudness range shrink."""
    y = sample_peak_limit(x / max(1e-9, float(np.max(np.abs(x)))), sr, amount_db, ceiling=0.95)
    tp = float(np.max(np.abs(signal.resample_poly(y, 8, 1, axis=0))))
    return y * min(1.0, 10 ** (-1.2 / 20) / tp)


def gain(x, sr, db):
    return x * 10 ** (db / 20)
