#!/usr/bin/env python3
"""Judgement bench: run `preflight analyze` and `preflight master` (defaults)
on the judgement corpus (tests/corpus/build.py) and score them against truth
that comes from outside the engine:

- detection, per risk id: recall at >= minor and >= major on injected
  problems; precision at >= minor (every flag of that id on a file where it
  was not injected counts against it, so it is a lower bound: a real
  recording can carry a real trait); major false alarms on clean recordings.
- mastering, per risk id: the share of injected (fixable) problems whose
  physical excess against the clean source, measured by tests/corpus/problems.py
  (numpy, shares nothing with the engine), is at least halved; the share made
  worse (grew by > 0.5 dB); on clean recordings the largest octave-band
  change (restraint, goal <= 1 dB); true-peak overs of every master (own 8x
  oversampled meter and ffmpeg's ebur128=peak=true) and |I - target| (ffmpeg).

Figures are printed for the calibration and the held-out sources separately
(sources.json `set`); --per-source prints each source's figures alone
(leave-one-source-out); --leave-out NAME drops a source.

    tests/bench/judgement.sh [--corpus DIR] [--bin PREFLIGHT] [--jobs N] [--per-source] [--json OUT]
                             [--check FLOOR.json] [--write-floor FLOOR.json]

--check FLOOR.json exits 1 listing every figure that breaks the floor (the
CI slice's floor is tests/corpus/ci_floor.json, checked by scripts/test.sh).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from multiprocessing import Pool

import numpy as np
import soundfile as sf
from scipy import signal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "corpus"))
import measure as M  # noqa: E402
import problems as P  # noqa: E402

RANK = {"info": 0, "minor": 1, "major": 2}
RISKS = ["low_end_instability", "sub_excess", "mud", "harshness", "sibilance", "dull", "vocal_masking",
         "overcompressed", "clipping", "intersample_peaks", "mono_collapse", "stereo_imbalance", "dc_offset",
         "transient_spikes", "loudness_target"]


def align(inp, out, sr, max_lag_s=0.25):
    """Lag (samples) of out against inp, by cross-correlation of the mono sums
    over the middle 6 s; returns out shifted to line up with inp."""
    a = np.mean(inp, axis=1)
    b = np.mean(out, axis=1)
    c = len(a) // 2
    w = int(3 * sr)
    L = int(max_lag_s * sr)
    seg_a = a[max(0, c - w):c + w]
    seg_b = b[max(0, c - w - L):c + w + L]
    cc = signal.correlate(seg_b, seg_a, mode="valid", method="fft")
    lag = int(np.argmax(cc)) - (c - max(0, c - w - L) - (c - max(0, c - w)))
    if lag > 0:
        out = np.concatenate([out[lag:], np.zeros((lag, out.shape[1]))])
    elif lag < 0:
        out = np.concatenate([np.zeros((-lag, out.shape[1])), out[:lag]])
    return out, lag


def run_one(task):
    man, corpus, outdir, binary = task
    fid = man["id"]
    path = os.path.join(corpus, man["file"])
    aj = os.path.join(outdir, fid + ".analyze.json")
    mj = os.path.join(outdir, fid + ".master.json")
    mw = os.path.join(outdir, fid + ".master.wav")
    res = {"id": fid, "source": man["source"], "set": man["set"], "clean": man["clean"], "format": man["format"],
           "sample_rate": man["sample_rate"], "channels": man["channels"]}
    t0 = time.time()
    r = subprocess.run([binary, "analyze", path, "--json", aj], capture_output=True, text=True)
    res["analyze_s"] = round(time.time() - t0, 3)
    if r.returncode != 0:
        res["analyze_error"] = r.stderr.strip()[:300]
        return res
    rep = json.load(open(aj))
    flags = {}
    for k in rep.get("risks", []):
        lv = RANK.get(k.get("level"), 0)
        if lv > flags.get(k["id"], (-1,))[0]:
            flags[k["id"]] = (lv, round(float(k.get("severity", 0)), 3), k.get("title", ""))
    res["flags"] = {k: {"level": [n for n, v in RANK.items() if v == lv][0], "severity": s, "title": t}
                    for k, (lv, s, t) in flags.items()}
    res["risks_told"] = len(rep.get("risks", []))
    res["words_untrue"] = [{"id": k["id"], "figures": u} for k in rep.get("risks", []) for u in [untrue_figures(k)] if u]
    t0 = time.time()
    r = subprocess.run([binary, "master", path, "-o", mw, "--json", mj], capture_output=True, text=True)
    res["master_s"] = round(time.time() - t0, 3)
    if r.returncode != 0 or not os.path.exists(mw):
        res["master_error"] = r.stderr.strip()[:300]
        return res
    mrep = json.load(open(mj))
    res["moves"] = [d.get("move") for d in mrep.get("decisions", [])]
    inp, isr = M.load(path)
    out, osr = M.load(mw)
    ref, rsr = sf.read(os.path.join(corpus, man["clean_ref"]), dtype="float64", always_2d=True)
    if osr != isr:
        res["master_rate_changed"] = [isr, osr]
        g = math.gcd(isr, osr)
        out = signal.resample_poly(out, isr // g, osr // g, axis=0)
    n = min(len(inp), len(out))
    out, lag = align(inp[:n], out[:n], isr)
    res["master_lag_samples"] = lag
    # meters on the master file itself
    res["tp_8x_dbtp"] = round(M.true_peak_db(M.load(mw)[0]), 2)
    I, tp = M.ffmpeg_ebur128(mw)
    res["ffmpeg_I_lufs"], res["ffmpeg_tp_dbtp"] = I, tp
    res["abs_I_minus_target"] = round(abs(I - P.TARGET_LUFS), 2)
    # restraint: octave bands of the master against the input, level removed
    oc_in, oc_out = M.octave_levels(inp, isr), M.octave_levels(out, isr)
    d, band = M.max_octave_change(oc_in, oc_out)
    res["max_octave_change_db"] = round(d, 2)
    res["max_octave_change_band_hz"] = band
    # physical excess after mastering, per injected problem
    ctx = dict(man.get("ctx", {}))
    gains = None
    if "stems" in man:
        ctx["acc"], _ = sf.read(os.path.join(corpus, man["stems"]["acc"]), dtype="float64", always_2d=True)
        ctx["voc"], _ = sf.read(os.path.join(corpus, man["stems"]["voc"]), dtype="float64", always_2d=True)
        ctx.setdefault("vocal_cut_db", 0.0)
        gains = M.third_octave_gains(inp[:n], isr, out, isr)
    fixes = []
    for it in man["injected"]:
        kind = it["kind"]
        y = out
        rr = ref[:len(y)]
        if "time_range_s" in it:
            a, b = int(it["time_range_s"][0] * isr), int(it["time_range_s"][1] * isr)
            y, rr = y[a:b], ref[a:b]
        before = it.get("excess_in_range", it["excess"])
        after, raw = P.excess(kind, y, isr, rr, rsr, ctx, gains)
        fixes.append(dict(kind=kind, risk_id=it["risk_id"], level=it["level"], fixable=it["fixable"],
                          before=before, after=round(after, 3), halved=P.halved(kind, before, after),
                          worse=P.worse(kind, before, after), after_measures=raw))
    res["fixes"] = fixes
    return res


# ---------------------------------------------------------------- words
# A level figure in a risk's words: a number with one of these units after it
# (times m:ss, frequencies, note names and counts are not level figures).
_FIGURE = re.compile(r"(?<![\d.:])([-−+]?)(\d+(?:\.\d+)?)\s?(dBTP|dBFS|dB|LUFS|LU|%)(?![A-Za-z])(\s+(?:above|below|under|over|louder|quieter))?")


def untrue_figures(risk):
    """Level figures in `risk`'s explanation that are not among its
    evidence's numbers (issue #13 item 6: "the numbers in the words are the
    evidence's numbers"), plus figures the words get wrong in themselves: a
    signed figure before "above"/"below" ("−15 dB above") and a difference
    of 0.0 told as a difference ("0.0 dB louder"). A figure matches an
    evidence number when they agree at the figure's own precision (a
    percentage may be a share × 100)."""
    ev = [abs(float(v)) for v in risk.get("evidence", {}).values()
          if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)]
    bad = []
    for m in _FIGURE.finditer(risk.get("explanation", "")):
        sign, num, unit, rel = m.groups()
        x = float(num)
        dec = len(num.split(".")[1]) if "." in num else 0
        tol = 0.5 * 10 ** -dec + 1e-9
        cands = ev + ([v * 100 for v in ev] if unit == "%" else [])
        if rel and (sign or x == 0.0):
            bad.append(m.group(0).strip())
        elif not any(abs(v - x) <= tol for v in cands):
            bad.append(m.group(0).strip())
    return bad


# ---------------------------------------------------------------- scoring
def frac(a, b):
    return f"{a}/{b}" if b else "–"


def score(results, manifests):
    """Per-risk counters for a set of files."""
    S = defaultdict(lambda: defaultdict(int))
    byid = {m["id"]: m for m in manifests}
    for r in results:
        m = byid[r["id"]]
        inj = {i["risk_id"] for i in m["injected"]}
        flags = r.get("flags", {})
        for rid in inj:
            S[rid]["n_inj"] += 1
            lv = RANK.get(flags.get(rid, {}).get("level", ""), -1)
            S[rid]["hit_minor"] += lv >= 1
            S[rid]["hit_major"] += lv >= 2
        for rid, f in flags.items():
            if RANK[f["level"]] >= 1:
                S[rid]["flags_minor"] += 1
                S[rid]["tp_minor"] += rid in inj
            if m["clean"]:
                S[rid]["clean_minor"] += RANK[f["level"]] >= 1
                S[rid]["clean_major"] += RANK[f["level"]] >= 2
        for fx in r.get("fixes", []):
            rid = fx["risk_id"]
            if fx["fixable"]:
                S[rid]["fix_n"] += 1
                S[rid]["halved"] += fx["halved"]
            S[rid]["worse_n"] += 1
            S[rid]["worse"] += fx["worse"]
    return S


def summary(results, manifests):
    clean = [r for r in results if r["clean"] and "max_octave_change_db" in r]
    mastered = [r for r in results if "tp_8x_dbtp" in r]
    byid = {m["id"]: m for m in manifests}
    inj = [i for r in results for i in byid[r["id"]]["injected"]]
    hits = sum(1 for r in results for i in {x["risk_id"] for x in byid[r["id"]]["injected"]}
               if RANK.get(r.get("flags", {}).get(i, {}).get("level", ""), -1) >= 1)
    fx = [f for r in results for f in r.get("fixes", []) if f["fixable"]]
    return {
        "files": len(results),
        "clean_files": sum(1 for r in results if r["clean"]),
        "injected_problems": len(inj),
        "recall_minor": [hits, len(inj)],
        "clean_with_major": [sum(1 for r in results if r["clean"] and any(RANK[f["level"]] == 2 for f in r.get("flags", {}).values())),
                             sum(1 for r in results if r["clean"])],
        "halved": [sum(f["halved"] for f in fx), len(fx)],
        "worse": [sum(f["worse"] for r in results for f in r.get("fixes", [])),
                  sum(len(r.get("fixes", [])) for r in results)],
        "restraint_ok": [sum(1 for r in clean if abs(r["max_octave_change_db"]) <= 1.0), len(clean)],
        "restraint_max_db": max([abs(r["max_octave_change_db"]) for r in clean], default=None),
        "tp_over_8x": [sum(1 for r in mastered if r["tp_8x_dbtp"] > P.CEILING_DBTP + 0.05), len(mastered)],
        "tp_over_ffmpeg": [sum(1 for r in mastered if r["ffmpeg_tp_dbtp"] > P.CEILING_DBTP), len(mastered)],
        "I_off_gt_1lu": [sum(1 for r in mastered if r["abs_I_minus_target"] > 1.0), len(mastered)],
        "I_off_max_lu": max([r["abs_I_minus_target"] for r in mastered], default=None),
        "errors": [r["id"] for r in results if "analyze_error" in r or "master_error" in r],
        "words_untrue": [sum(len(r.get("words_untrue", [])) for r in results),
                         sum(r.get("risks_told", 0) for r in results)],
    }


def risk_table(groups, manifests):
    """groups: list of (name, results). One row per risk id, cells 'cal · held'."""
    scores = [(n, score(rs, manifests)) for n, rs in groups]
    head = "| risk id | injected | recall ≥minor | recall ≥major | precision ≥minor | major FA on clean | halved by master | made worse |"
    lines = [head, "|" + "---|" * 8]
    sep = " · "
    for rid in RISKS:
        cells = []
        for key in [("n_inj",), ("hit_minor", "n_inj"), ("hit_major", "n_inj"), ("tp_minor", "flags_minor"),
                    ("clean_major", "clean_n"), ("halved", "fix_n"), ("worse", "worse_n")]:
            parts = []
            for n, S in scores:
                s = S.get(rid, {})
                if key == ("n_inj",):
                    parts.append(str(s.get("n_inj", 0)))
                elif key[1] == "clean_n":
                    cn = sum(1 for r in dict(groups)[n] if r["clean"])
                    parts.append(frac(s.get("clean_major", 0), cn))
                else:
                    parts.append(frac(s.get(key[0], 0), s.get(key[1], 0)))
            cells.append(sep.join(parts))
        lines.append(f"| `{rid}` | " + " | ".join(cells) + " |")
    return "\n".join(lines), scores


def level_table(groups, manifests):
    byid = {m["id"]: m for m in manifests}
    lines = ["| amount | " + " | ".join(f"recall ≥minor ({n})" for n, _ in groups) + " |", "|---|" + "---|" * len(groups)]
    for lvname in P.LEVELS:
        cells = []
        for _, rs in groups:
            h = t = 0
            for r in rs:
                for i in byid[r["id"]]["injected"]:
                    if i["level"] == lvname:
                        t += 1
                        h += RANK.get(r.get("flags", {}).get(i["risk_id"], {}).get("level", ""), -1) >= 1
            cells.append(frac(h, t))
        lines.append(f"| {lvname} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def overlap_table(groups, manifests):
    """Per risk id: how far the detector's severity on injected files stands
    above its severity on the clean recordings (each file's own clean
    excerpt has the same material). A single-file detector can only
    separate what lies above the clean spread: the share of injected files
    scoring above the highest clean score is the most a threshold can find
    without a false alarm, per group."""
    byid = {m["id"]: m for m in manifests}
    sev = lambda r, rid: r.get("flags", {}).get(rid, {}).get("severity", 0.0)
    head = "| risk id | " + " | ".join(f"clean max · injected median ({n}) | injected above clean max ({n})" for n, _ in groups) + " |"
    lines = [head, "|---|" + "---|---|" * len(groups)]
    for rid in RISKS:
        cells, any_inj = [], False
        for _, rs in groups:
            clean = [sev(r, rid) for r in rs if r["clean"]]
            inj = [sev(r, rid) for r in rs for i in byid[r["id"]]["injected"] if i["risk_id"] == rid]
            any_inj |= bool(inj)
            cmax = max(clean, default=0.0)
            med = sorted(inj)[len(inj) // 2] if inj else None
            cells.append(f"{cmax:.2f} · {med:.2f}" if inj else "–")
            cells.append(frac(sum(v > cmax for v in inj), len(inj)) if inj else "–")
        if any_inj:
            lines.append(f"| `{rid}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_table(groups, manifests):
    sums = [(n, summary(rs, manifests)) for n, rs in groups]
    rows = [("files (clean)", lambda s: f"{s['files']} ({s['clean_files']})"),
            ("recall ≥minor, all risks", lambda s: frac(*s["recall_minor"])),
            ("clean files with any major", lambda s: frac(*s["clean_with_major"])),
            ("fixable problems halved", lambda s: frac(*s["halved"])),
            ("problems made worse (> 0.5 dB)", lambda s: frac(*s["worse"])),
            ("clean: max octave change ≤ 1 dB", lambda s: frac(*s["restraint_ok"])),
            ("clean: largest octave change, dB", lambda s: f"{s['restraint_max_db']:.2f}" if s["restraint_max_db"] is not None else "–"),
            ("masters over −1 dBTP (own 8×)", lambda s: frac(*s["tp_over_8x"])),
            ("masters over −1 dBTP (ffmpeg)", lambda s: frac(*s["tp_over_ffmpeg"])),
            ("masters with |I − target| > 1 LU (ffmpeg)", lambda s: frac(*s["I_off_gt_1lu"])),
            ("largest |I − target|, LU", lambda s: f"{s['I_off_max_lu']:.2f}" if s["I_off_max_lu"] is not None else "–"),
            ("risks whose words quote a figure not in their evidence", lambda s: frac(*s["words_untrue"])),
            ("engine errors", lambda s: str(len(s["errors"])))]
    lines = ["| measure | " + " | ".join(n for n, _ in sums) + " |", "|---|" + "---|" * len(sums)]
    for name, f in rows:
        lines.append(f"| {name} | " + " | ".join(f(s) for _, s in sums) + " |")
    return "\n".join(lines), sums


def per_source_table(results, manifests):
    by = defaultdict(list)
    for r in results:
        by[r["source"]].append(r)
    lines = ["| source | set | files | recall ≥minor | clean w/ major | halved | worse | restraint ≤1 dB | worst octave dB |",
             "|---|" + "---|" * 8]
    out = {}
    for src in sorted(by, key=lambda s: (by[s][0]["set"], s)):
        s = summary(by[src], manifests)
        out[src] = s
        lines.append(f"| {src} | {by[src][0]['set']} | {s['files']} | {frac(*s['recall_minor'])} | {frac(*s['clean_with_major'])} | "
                     f"{frac(*s['halved'])} | {frac(*s['worse'])} | {frac(*s['restraint_ok'])} | "
                     f"{s['restraint_max_db'] if s['restraint_max_db'] is not None else '–'} |")
    return "\n".join(lines), out


# ------------------------------------------------------------ CI floor
# A floor file (tests/corpus/ci_floor.json) asserts figures of one corpus.
# In `corpus` and each risk's `injected` the run must equal the floor (else
# the floor was set on another corpus); a key ending `_min` is a lower
# bound, `_max` (and every `clean_octave_change_db_max` entry) an upper bound.
FLOOR_SECTIONS = ("corpus", "totals", "per_risk", "clean_octave_change_db_max")


def floor_figures(results, manifests, failures):
    """Every figure a floor can name, in the floor's layout."""
    s = summary(results, manifests)
    S = score(results, manifests)
    byid = {m["id"]: m for m in manifests}
    mastered = [r for r in results if "tp_8x_dbtp" in r]
    false_flags = defaultdict(int)  # >= minor on a file where that id was not injected
    for r in results:
        inj = {i["risk_id"] for i in byid[r["id"]]["injected"]}
        for k, f in r.get("flags", {}).items():
            false_flags[k] += RANK[f["level"]] >= 1 and k not in inj
    return {
        "corpus": {"files": s["files"], "clean_files": s["clean_files"], "injected_problems": s["injected_problems"],
                   "build_failures": len(failures)},
        "totals": {
            "engine_errors_max": len(s["errors"]),
            "words_untrue_max": s["words_untrue"][0],
            "recall_minor_min": s["recall_minor"][0],
            "major_alarms_on_clean_max": sum(S[rid]["clean_major"] for rid in RISKS),
            "clean_files_with_major_max": s["clean_with_major"][0],
            "false_flags_minor_max": sum(false_flags[rid] for rid in RISKS),
            "halved_min": s["halved"][0],
            "worse_max": s["worse"][0],
            "restraint_max_db_max": s["restraint_max_db"],
            "tp_over_ffmpeg_max": s["tp_over_ffmpeg"][0],
            "tp_over_8x_max": s["tp_over_8x"][0],
            "tp_max_ffmpeg_dbtp_max": max([r["ffmpeg_tp_dbtp"] for r in mastered], default=None),
            "tp_max_8x_dbtp_max": max([r["tp_8x_dbtp"] for r in mastered], default=None),
            "I_off_gt_1lu_max": s["I_off_gt_1lu"][0],
            "I_off_max_lu_max": s["I_off_max_lu"],
        },
        "per_risk": {rid: {"injected": S[rid]["n_inj"],
                           "recall_minor_min": S[rid]["hit_minor"],
                           "major_alarms_on_clean_max": S[rid]["clean_major"],
                           "false_flags_minor_max": false_flags[rid],
                           "halved_min": S[rid]["halved"],
                           "worse_max": S[rid]["worse"]} for rid in RISKS},
        "clean_octave_change_db_max": {r["id"]: abs(r["max_octave_change_db"])
                                       for r in results if r["clean"] and "max_octave_change_db" in r},
    }


def _walk(d, p=()):
    """(key path, value) of every leaf; paths are tuples (file ids hold dots)."""
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _walk(v, p + (k,))
        else:
            yield p + (k,), v


def _get(d, path):
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _bound(path):
    if path[-1].endswith("_min"):
        return "min"
    if path[-1].endswith("_max") or path[0] == "clean_octave_change_db_max":
        return "max"
    return "eq"


def ceil01(v):
    """A continuous figure's floor is the current value rounded up to 0.1 dB
    (the meters' resolution), so a last-digit wobble is not a regression."""
    return math.ceil(round(v * 10, 6)) / 10


def check_floor(floor, figs):
    """(broken, better): one line per figure."""
    broken, better = [], []
    for path, want in _walk({k: floor.get(k, {}) for k in FLOOR_SECTIONS}):
        got, b, name = _get(figs, path), _bound(path), ".".join(path)
        if got is None:
            broken.append(f"{name}: not measured in this run (floor {want})")
        elif b == "eq":
            if got != want:
                broken.append(f"{name} = {got}, the floor was set on {want}: another corpus, set the floor again")
        elif b == "min" and got < want:
            broken.append(f"{name} = {got:g}  (floor ≥ {want:g})")
        elif b == "max" and got > want + 1e-9:
            broken.append(f"{name} = {got:g}  (floor ≤ {want:g})")
        elif (b == "min" and got > want) or (b == "max" and (ceil01(got) if isinstance(want, float) else got) < want - 1e-9):
            better.append(f"{name} = {got:g} (floor {'≥' if b == 'min' else '≤'} {want:g})")
    return broken, better


def write_floor(path, figs):
    """The current figures as a floor. Where the file already holds a floor
    of the same corpus, each bound only tightens (a ratchet); loosening one
    is a hand edit with a reason."""
    new = json.loads(json.dumps(figs))
    old = json.load(open(path)) if os.path.exists(path) else {}
    same = old.get("corpus") == new["corpus"]
    for key, v in list(_walk(new)):
        b = _bound(key)
        if b == "eq" or v is None:
            continue
        if isinstance(v, float) and b == "max":
            v = ceil01(v)
        o = _get(old, key) if same else None
        if o is not None:
            v = max(o, v) if b == "min" else min(o, v)
        _get(new, key[:-1])[key[-1]] = v
    out = {k: old[k] for k in old if k not in FLOOR_SECTIONS}  # why, set_from, ...
    out.update(new)
    lines = []
    for k, v in out.items():
        if k in ("per_risk", "clean_octave_change_db_max"):
            inner = ",\n".join(f'    "{kk}": {json.dumps(vv, ensure_ascii=False)}' for kk, vv in v.items())
            lines.append(f'  "{k}": {{\n{inner}\n  }}')
        else:
            lines.append(f'  "{k}": {json.dumps(v, ensure_ascii=False)}')
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    work = os.environ.get("CORPUS_WORK", "/work/corpus-work")
    ap.add_argument("--corpus", default=os.path.join(work, "corpus"))
    ap.add_argument("--bin", default=os.environ.get("PREFLIGHT", os.path.join(work, "preflight")))
    ap.add_argument("--out", default=None, help="where masters and reports go (default WORK/eval/<corpus name>)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", default=None, help="write the figures here (default OUT/judgement.json)")
    ap.add_argument("--per-source", action="store_true", help="also print each source's figures alone")
    ap.add_argument("--leave-out", action="append", default=[], help="drop a source (repeatable)")
    ap.add_argument("--only", action="append", default=[], help="keep only these sources (repeatable)")
    ap.add_argument("--details", action="store_true", help="list every miss, false alarm and worsened fix")
    ap.add_argument("--overlap", action="store_true",
                    help="print how far injected severities stand above the clean recordings' (what a threshold can separate)")
    ap.add_argument("--check", metavar="FLOOR.json", default=None,
                    help="exit 1 listing every figure that breaks this floor (tests/corpus/ci_floor.json)")
    ap.add_argument("--write-floor", metavar="FLOOR.json", default=None,
                    help="write the current figures as a floor (an existing floor of the same corpus only tightens)")
    args = ap.parse_args()

    t0 = time.time()
    idx = json.load(open(os.path.join(args.corpus, "corpus.json")))
    mans = [m for m in idx["files"] if m["source"] not in args.leave_out and (not args.only or m["source"] in args.only)]
    outdir = args.out or os.path.join(work, "eval", os.path.basename(os.path.normpath(args.corpus)))
    os.makedirs(outdir, exist_ok=True)
    tasks = [(m, args.corpus, outdir, args.bin) for m in mans]
    results = []
    with Pool(args.jobs) as pool:
        for i, r in enumerate(pool.imap_unordered(run_one, tasks)):
            results.append(r)
            if (i + 1) % 20 == 0:
                print(f"  {i + 1}/{len(tasks)} files ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    results.sort(key=lambda r: r["id"])
    took = time.time() - t0
    cal = [r for r in results if r["set"] == "calibration"]
    held = [r for r in results if r["set"] == "heldout"]
    groups = [("calibration", cal), ("held-out", held)]

    print(f"# Judgement bench: {len(results)} files from {len({r['source'] for r in results})} sources, "
          f"engine {args.bin}, {time.strftime('%Y-%m-%d')}, {took:.0f} s\n")
    print("Cells are `calibration · held-out`. Rules and anchors are fitted on the calibration sources "
          "only; the held-out column is the figure that says how they generalise.\n")
    t, scores = risk_table(groups, mans)
    print(t + "\n")
    print("Recall by injected amount:\n")
    print(level_table(groups + [("all", results)], mans) + "\n")
    st, sums = summary_table(groups + [("all", results)], mans)
    print(st + "\n")
    if args.overlap:
        print("Severity on injected files against the clean recordings (a threshold can only find what stands above the clean spread):\n")
        print(overlap_table(groups, mans) + "\n")
    ps = None
    if args.per_source:
        pt, ps = per_source_table(results, mans)
        print("Each source alone (leave-one-source-out support):\n")
        print(pt + "\n")
    if args.details:
        byid = {m["id"]: m for m in mans}
        for r in results:
            m = byid[r["id"]]
            inj = {i["risk_id"] for i in m["injected"]}
            fl = r.get("flags", {})
            miss = [i for i in inj if RANK.get(fl.get(i, {}).get("level", ""), -1) < 1]
            fa = [f"{k}:{v['level']}" for k, v in fl.items() if k not in inj and RANK[v["level"]] >= (2 if m["clean"] else 1)]
            wr = [f"{f['kind']} {f['before']}->{f['after']}" for f in r.get("fixes", []) if f["worse"] or (f["fixable"] and not f["halved"])]
            extra = f" octave {r.get('max_octave_change_db')} dB @ {r.get('max_octave_change_band_hz')}" if m["clean"] else ""
            print(f"{r['id']}: miss={miss} alarms={fa} not-fixed={wr}{extra}")
    for r in results:
        for w in r.get("words_untrue", []):
            print(f"words: {r['id']}: {w['id']} quotes {w['figures']}, not in its evidence")
    js = args.json or os.path.join(outdir, "judgement.json")
    json.dump(dict(schema="preflight.judgement/1", date=time.strftime("%Y-%m-%d %H:%M:%S"), engine=args.bin,
                   corpus=args.corpus, seconds=round(took, 1), note="nothing tuned on this corpus yet: all figures are held-out in effect",
                   summary={n: s for n, s in sums}, per_risk={n: {k: dict(v) for k, v in S.items()} for n, S in scores},
                   per_source=ps, files=results), open(js, "w"), indent=1)
    print(f"JSON: {js}   (evaluation took {took:.0f} s)")
    if args.check or args.write_floor:
        if args.leave_out or args.only:
            raise SystemExit("--check/--write-floor take the whole corpus (no --leave-out/--only)")
        figs = floor_figures(results, mans, idx.get("failures", []))
    if args.write_floor:
        write_floor(args.write_floor, figs)
        print(f"floor written: {args.write_floor}")
    if args.check:
        floor = json.load(open(args.check))
        broken, better = check_floor(floor, figs)
        n = sum(1 for k in FLOOR_SECTIONS for _ in _walk({k: floor.get(k, {})}))
        if broken:
            print(f"\nJUDGEMENT FLOOR BROKEN: {len(broken)} of {n} figures in {args.check} are worse "
                  f"(engine {args.bin}; {len(better)} better):")
            for b in broken:
                print("  " + b)
            sys.exit(1)
        print(f"\nJudgement floor holds: {n} figures in {args.check}.")
        if better:
            print(f"Better than the floor ({len(better)}; tighten it with --write-floor {args.check}):")
            for b in better:
                print("  " + b)


if __name__ == "__main__":
    main()
