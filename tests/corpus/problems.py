"""The injected problems: for each risk id, how it is injected (inject.py),
at which graded amounts, and how its physical excess is measured against the
clean source (measure.py). Used by build.py (to prove each injection is
physically there) and by tests/bench/judgement.py (to measure what mastering
did to it). Nothing here reads the engine's output except as audio.

excess(): a number >= 0 that is 0 for the clean source and grows with the
problem. `unit` "dB" means the excess is a level difference in dB (halved =
the dB excess is at most half; worse = it grew by more than 0.5 dB); "lin"
means a linear ratio (halved = at most half; worse = grew by > 0.5 dB, a
factor 1.06).
"""
from __future__ import annotations

import math

import numpy as np

import inject as J
import measure as M

LEVELS = ("jnd", "clear", "severe")

# risk id -> spec. `amounts` are per level; `min_excess` is what the build
# demands at the jnd level (physically there); `fixable` says whether a
# mastering chain can reasonably be asked to halve it.
SPECS = {
    "mud": dict(amounts=(3, 6, 10), unit="dB", min_excess=1.0, fixable=True, band=(150, 500)),
    "harshness": dict(amounts=(3, 6, 10), unit="dB", min_excess=1.0, fixable=True, band=(2500, 8000)),
    "sub_excess": dict(amounts=(4, 8, 12), unit="dB", min_excess=1.0, fixable=True, band=(20, 60)),
    "low_end_instability": dict(amounts=(6, 10, 15), unit="dB", min_excess=1.5, fixable=True),
    "dull": dict(amounts=(4, 8, 14), unit="dB", min_excess=1.5, fixable=True, band=(8000, 20000)),
    "sibilance": dict(amounts=(6, 10, 14), unit="dB", min_excess=1.5, fixable=True, band=(5000, 10000)),
    "vocal_masking": dict(amounts=(3, 6, 9), unit="dB", min_excess=2.5, fixable=True),
    "mono_collapse": dict(amounts=(0.5, 0.8, 1.0), unit="dB", min_excess=1.0, fixable=True),
    "mono_collapse_wide": dict(amounts=(6, 9, 12), unit="dB", min_excess=1.0, fixable=True, risk="mono_collapse"),
    "stereo_imbalance": dict(amounts=(1.5, 3, 6), unit="dB", min_excess=1.0, fixable=True),
    "clipping": dict(amounts=(3, 6, 10), unit="runs", min_excess=10, fixable=False),
    "intersample_peaks": dict(amounts=(3, 6, 10), unit="dB", min_excess=0.8, fixable=True),
    "dc_offset": dict(amounts=(0.003, 0.01, 0.03), unit="lin", min_excess=0.01, fixable=True),
    "transient_spikes": dict(amounts=(14, 20, 26), unit="dB", min_excess=3.0, fixable=True),
    "overcompressed": dict(amounts=(6, 10, 14), unit="dB", min_excess=1.0, fixable=False),
    "loudness_target": dict(amounts=(5, 9, 14), unit="dB", min_excess=3.0, fixable=True),
}

LOSSLESS_ONLY = {"clipping", "intersample_peaks", "dc_offset", "transient_spikes", "overcompressed"}
STEREO_ONLY = {"mono_collapse", "mono_collapse_wide", "stereo_imbalance"}
VOCAL_ONLY = {"vocal_masking"}
TARGET_LUFS = -14.0
CEILING_DBTP = -1.0


def precondition(kind, x, sr):
    """Whether the clean excerpt can carry this problem physically at all:
    inverting the right channel's bass does nothing measurable to a bass
    that is already decorrelated, and widening a near-mono file has no side
    to raise. build.py places an injection only where this holds."""
    if kind == "mono_collapse":
        return M.low_stereo(x, sr)[0] >= 0.5
    if kind == "mono_collapse_wide":
        return 0.2 <= M.corr(x) <= 0.95
    if kind == "overcompressed":
        return M.crest_db(x) >= 11.0  # a dense master has little crest left to squash
    return True


def risk_id(kind):
    return SPECS[kind].get("risk", kind)


def resonance_freq(x, sr):
    """The strongest spectral peak between 60 and 140 Hz of the clean file:
    the bass note that the resonance will make boom."""
    f, p = M.psd(x, sr)
    m = (f >= 60) & (f <= 140)
    return float(f[m][int(np.argmax(p[m]))])


def apply(kind, x, sr, amount, ctx):
    """Inject `kind` at `amount` into clean x. ctx carries stems (vocal songs),
    spike times, the resonance frequency; returns (y, extra params)."""
    extra = {}
    if kind == "mud":
        y = J.mud(x, sr, amount)
    elif kind == "harshness":
        y = J.harshness(x, sr, amount)
    elif kind == "sub_excess":
        y = J.sub_excess(x, sr, amount)
    elif kind == "low_end_instability":
        f0 = ctx.setdefault("f0", resonance_freq(x, sr))
        y = J.resonance(x, sr, amount, f0)
        extra["f0_hz"] = round(f0, 1)
    elif kind == "dull":
        y = J.dull(x, sr, amount)
    elif kind == "sibilance":
        if ctx.get("voc") is not None:
            voc = J.vocal_sibilance(ctx["voc"], sr, amount)
            y = ctx["acc"] + voc
            extra["how"] = "7 kHz peak EQ on the vocal stem"
        else:
            y, times = J.sibilance_bursts(x, sr, amount + 6.0, seed=ctx.get("seed", 1))
            extra["how"] = "70 ms 5-10 kHz noise bursts"
            extra["burst_db_vs_band_rms"] = amount + 6.0
    elif kind == "vocal_masking":
        y = ctx["acc"] + ctx["voc"] * 10 ** (-amount / 20)
    elif kind == "mono_collapse":
        y = J.low_polarity(x, sr, amount)
    elif kind == "mono_collapse_wide":
        y = J.widen(x, sr, amount)
    elif kind == "stereo_imbalance":
        y = J.imbalance(x, sr, amount)
    elif kind == "clipping":
        y = J.clip(x / np.max(np.abs(x)), sr, amount)
    elif kind == "intersample_peaks":
        y = J.sample_peak_limit(x / np.max(np.abs(x)), sr, amount)
    elif kind == "dc_offset":
        y = J.add_dc(x, sr, amount)
    elif kind == "transient_spikes":
        y = J.spikes(x, sr, amount, ctx["spike_times"])
        extra["spike_times_s"] = ctx["spike_times"]
    elif kind == "overcompressed":
        y = J.compress(x, sr, amount)
    elif kind == "loudness_target":
        I = M.integrated_lufs(x, sr)
        y = J.gain(x, sr, (TARGET_LUFS - amount) - I)
    else:
        raise ValueError(kind)
    return y, extra


def excess(kind, y, sr, ref, rsr, ctx, gains=None):
    """Physical excess of `kind` in y against the clean reference `ref`.
    Returns (excess >= 0, dict of the raw measures)."""
    spec = SPECS[kind]
    if "band" in spec and kind != "sibilance":
        lo, hi = spec["band"]
        a, b = M.band_vs_rest_db(y, sr, lo, hi), M.band_vs_rest_db(ref, rsr, lo, hi)
        d = (b - a) if kind == "dull" else (a - b)
        return max(0.0, d), {"band_hz": [lo, hi], "band_vs_rest_db": round(a, 2), "clean_band_vs_rest_db": round(b, 2)}
    if kind == "low_end_instability":
        f0 = ctx["f0"]
        lo, hi = f0 * 2 ** (-1 / 6), f0 * 2 ** (1 / 6)
        a, b = M.band_vs_rest_db(y, sr, lo, hi), M.band_vs_rest_db(ref, rsr, lo, hi)
        return max(0.0, a - b), {"band_hz": [round(lo, 1), round(hi, 1)], "band_vs_rest_db": round(a, 2),
                                 "clean_band_vs_rest_db": round(b, 2)}
    if kind == "sibilance":
        a, b = M.burst_p99_db(y, sr), M.burst_p99_db(ref, rsr)
        return max(0.0, a - b), {"ess_p99_db": round(a, 2), "clean_ess_p99_db": round(b, 2)}
    if kind == "vocal_masking":
        # the clean mix's vocal/accompaniment ratio minus the file's; after
        # mastering the master's measured third-octave gains are applied to
        # the stems (the chain's net EQ carried onto each stem).
        clean = M.stem_ratio_db(ctx["voc"], ctx["acc"], rsr)
        now = M.stem_ratio_db(ctx["voc"] * 10 ** (-ctx["vocal_cut_db"] / 20), ctx["acc"], rsr, gains)
        return max(0.0, clean - now), {"vocal_vs_acc_db": round(now, 2), "clean_vocal_vs_acc_db": round(clean, 2)}
    if kind == "mono_collapse":
        c, l = M.low_stereo(y, sr)
        c0, l0 = M.low_stereo(ref, rsr)
        return max(0.0, l - l0), {"corr_below_200": round(c, 3), "mono_loss_below_200_db": round(l, 2),
                                  "clean_corr_below_200": round(c0, 3), "clean_mono_loss_below_200_db": round(l0, 2)}
    if kind == "mono_collapse_wide":
        l, l0 = M.mono_loss_db(y), M.mono_loss_db(ref)
        return max(0.0, l - l0), {"corr": round(M.corr(y), 3), "mono_loss_db": round(l, 2),
                                  "clean_corr": round(M.corr(ref), 3), "clean_mono_loss_db": round(l0, 2)}
    if kind == "stereo_imbalance":
        # the lean beyond the clean mix's own: a master re-centred further
        # than the clean copy has no imbalance left, whichever side it was
        a, b = M.balance_db(y), M.balance_db(ref)
        return max(0.0, abs(a) - abs(b)), {"balance_db": round(a, 2), "clean_balance_db": round(b, 2)}
    if kind == "clipping":
        n, n0 = M.clip_runs(y), M.clip_runs(ref)
        return max(0, n - n0), {"clip_runs": n, "clean_clip_runs": n0, "sample_peak_dbfs": round(M.sample_peak_db(y), 2)}
    if kind == "intersample_peaks":
        tp, sp = M.true_peak_db(y), M.sample_peak_db(y)
        return max(0.0, tp - CEILING_DBTP), {"true_peak_8x_dbtp": round(tp, 2), "sample_peak_dbfs": round(sp, 2),
                                             "clean_true_peak_8x_dbtp": round(M.true_peak_db(ref), 2)}
    if kind == "dc_offset":
        r = max(abs(v) for v in M.dc(y)) / M.rms(y)
        r0 = max(abs(v) for v in M.dc(ref)) / M.rms(ref)
        return max(0.0, r - r0), {"dc": [round(v, 5) for v in M.dc(y)], "dc_over_rms": round(r, 4),
                                  "clean_dc_over_rms": round(r0, 4)}
    if kind == "transient_spikes":
        t = ctx["spike_times"]
        a, b = M.spike_excess_db(y, sr, t), M.spike_excess_db(ref, rsr, t)
        return max(0.0, a - b), {"spike_peak_vs_local_rms_db": round(a, 2), "clean_same_places_db": round(b, 2)}
    if kind == "overcompressed":
        a, b = M.crest_db(y), M.crest_db(ref)
        return max(0.0, b - a), {"crest_db": round(a, 2), "clean_crest_db": round(b, 2)}
    if kind == "loudness_target":
        I = M.integrated_lufs(y, sr)
        return abs(I - TARGET_LUFS), {"integrated_lufs": round(I, 2), "target_lufs": TARGET_LUFS}
    raise ValueError(kind)


def halved(kind, before, after):
    return after <= before / 2.0


def worse(kind, before, after):
    u = SPECS[kind]["unit"]
    if u == "lin":
        return after > before * 10 ** (0.5 / 20)
    if u == "runs":
        return after > before
    return after > before + 0.5
