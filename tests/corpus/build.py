#!/usr/bin/env python3
"""Build the judgement corpus: real recordings from Debian packages, vocal
songs rendered here, clean excerpts and graded injected problems, each one
measured physically when it is injected. No audio goes into git.

    python3 tests/corpus/build.py [--small] [--work DIR] [--out DIR]

--work  cache for .deb files, unpacked trees and rendered songs
        (default /work/corpus-work, or $CORPUS_WORK)
--out   the corpus (default WORK/corpus or WORK/corpus-small)

Exit status is non-zero when a package cannot be fetched, a licence no longer
matches sources.json, or an injected problem is not physically there.
Needs: python3 with numpy, scipy, soundfile; ffmpeg; apt-get + dpkg;
fluidsynth and espeak-ng (vocal songs).
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib

import numpy as np
import soundfile as sf
from scipy import signal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import inject as J  # noqa: E402
import measure as M  # noqa: E402
import problems as P  # noqa: E402
import vocal as V  # noqa: E402

SPIKE_FRACS = [0.124, 0.308, 0.492, 0.676, 0.86]  # of the excerpt length
RANGE_FRACS = (0.32, 0.68)                         # time-limited injections
CLEAN_LEVELS = [-18.0, -15.0, -13.0, -11.0, -9.5]  # integrated LUFS targets, cycled
CLEAN_TP_MAX = -1.2                                  # dBTP cap on clean excerpts

# format key -> (ffmpeg args, extension, lossless)
FORMATS = {
    "wav16": (["-c:a", "pcm_s16le"], "wav", True),
    "wav24": (["-c:a", "pcm_s24le"], "wav", True),
    "f32": (["-c:a", "pcm_f32le"], "wav", True),
    "flac16": (["-c:a", "flac", "-sample_fmt", "s16"], "flac", True),
    "flac24": (["-c:a", "flac", "-sample_fmt", "s32", "-bits_per_raw_sample", "24"], "flac", True),
    "mp3": (["-c:a", "libmp3lame", "-b:a", "192k"], "mp3", False),
    "ogg": (["-c:a", "libvorbis", "-q:a", "5"], "ogg", False),
}
# the cycle of (format, rate or None = the source's own, channels)
VARIANTS = [("wav24", None, 2), ("flac16", None, 2), ("mp3", None, 2), ("wav16", 48000, 2),
            ("ogg", None, 2), ("f32", 96000, 2), ("flac24", 48000, 2), ("wav24", None, 1),
            ("wav16", None, 2), ("mp3", 48000, 1)]


def log(*a):
    print(*a, flush=True)


# ------------------------------------------------------------------ fetch
def fetch_package(pkg, work):
    debs = os.path.join(work, "debs")
    os.makedirs(debs, exist_ok=True)
    found = glob.glob(os.path.join(debs, f"{pkg}_*.deb"))
    if not found:
        r = subprocess.run(["apt-get", "download", pkg], cwd=debs, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"apt-get download {pkg} failed: {r.stderr.strip()} (run apt-get update first?)")
        found = glob.glob(os.path.join(debs, f"{pkg}_*.deb"))
    deb = sorted(found)[-1]
    version = subprocess.run(["dpkg-deb", "-f", deb, "Version"], capture_output=True, text=True, check=True).stdout.strip()
    tree = os.path.join(work, "x", pkg)
    stamp = os.path.join(tree, ".unpacked-" + version.replace(":", "_"))
    if not os.path.exists(stamp):
        shutil.rmtree(tree, ignore_errors=True) if os.path.realpath(tree).startswith(os.path.realpath(work)) else None
        os.makedirs(tree, exist_ok=True)
        subprocess.run(["dpkg", "-x", deb, tree], check=True)
        open(stamp, "w").close()
    return tree, version


def resolve(tree, root, name):
    """root may contain 'archive.pk3!inner/dir' (pk3 = zip)."""
    if "!" in root:
        arc, inner = root.split("!", 1)
        dst = os.path.join(tree, arc + ".d")
        path = os.path.join(dst, inner, name)
        if not os.path.exists(path):
            with zipfile.ZipFile(os.path.join(tree, arc)) as z:
                z.extract(f"{inner}/{name}", dst)
        return path
    return os.path.join(tree, root, name)


def check_licence(tree, pkg, needle):
    cp = os.path.join(tree, "usr/share/doc", pkg, "copyright")
    txt = open(cp, errors="replace").read()
    if needle.lower() not in txt.lower():
        raise SystemExit(f"{pkg}: copyright file no longer mentions '{needle}': check the licence in sources.json")
    return cp


# ---------------------------------------------------------------- audio io
def resample(x, sr, to):
    if to == sr:
        return x
    g = math.gcd(int(sr), int(to))
    return signal.resample_poly(x, to // g, sr // g, axis=0)


def write_audio(path_noext, x, sr, fmt):
    args, ext, _ = FORMATS[fmt]
    out = f"{path_noext}.{ext}"
    with tempfile.NamedTemporaryFile(suffix=".wav", dir=os.path.dirname(out)) as t:
        sf.write(t.name, x.astype(np.float32), sr, subtype="FLOAT")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", t.name] + args + [out], check=True)
    return out


# -------------------------------------------------------------- excerpts
def load_excerpt(path, dur):
    x, sr = M.load(path)
    total = len(x) / sr
    start = round(max(0.0, 0.35 * (total - dur)), 2)
    a = int(start * sr)
    return x[a:a + int(dur * sr)], sr, start, total


def level_clean(x, sr, target):
    """Gain so integrated loudness is `target`, but true peak <= CLEAN_TP_MAX;
    DC removed. Returns (x, gain_db)."""
    x = x - np.mean(x, axis=0)
    I = M.integrated_lufs(x, sr)
    tp = M.true_peak_db(x)
    g = min(target - I, CLEAN_TP_MAX - tp)
    return x * 10 ** (g / 20), g


def make_excerpts(cfg, work, small):
    dur = cfg["excerpt_s"] if not small else 20.0
    sf2 = None
    out = []
    li = 0
    licences = []
    for s in cfg["sources"]:
        if small and s["name"] not in cfg["small"]:
            continue
        files = s["files"][:1] if small else s["files"]
        if s.get("synthetic"):
            if sf2 is None:
                tree, ver = fetch_package("fluid-soundfont-gm", work)
                check_licence(tree, "fluid-soundfont-gm", "MIT")
                sf2 = os.path.join(tree, "usr/share/sounds/sf2/FluidR3_GM.sf2")
                licences.append({"package": "fluid-soundfont-gm", "version": ver})
            song_dir = os.path.join(work, "songs")
            os.makedirs(song_dir, exist_ok=True)
            acc, voc = V.make_song(s["song"], sf2, song_dir, seconds=60.0)
            # the clean mix: vocal 2 dB above the accompaniment in the frames
            # where the vocal sings (a forward pop vocal)
            r = M.stem_ratio_db(voc, acc, V.SR)
            voc2 = np.stack([voc, voc], axis=1) * 10 ** ((2.0 - r) / 20)
            for f in files:
                a = int(float(f) * V.SR)
                n = int(dur * V.SR)
                xa, xv = acc[a:a + n], voc2[a:a + n]
                mix, g = level_clean(xa + xv, V.SR, CLEAN_LEVELS[li % len(CLEAN_LEVELS)])
                k = 10 ** (g / 20)
                out.append(dict(id=f"{s['name']}-{int(float(f)):03d}", source=s["name"], set=s["set"], cls=s["class"],
                                x=mix, sr=V.SR, acc=xa * k, voc=xv * k, origin=f"rendered song {s['song']} from {f} s",
                                start=float(f), gain_db=round(g, 2)))
                li += 1
            continue
        tree, ver = fetch_package(s["package"], work)
        cp = check_licence(tree, s["package"], s["licence_check"])
        licences.append({"package": s["package"], "version": ver, "version_seen": s["version_seen"],
                         "copyright": cp})
        if ver != s["version_seen"]:
            log(f"note: {s['package']} is now {ver} (sources.json saw {s['version_seen']})")
        for f in files:
            path = resolve(tree, s["root"], f)
            x, sr, start, total = load_excerpt(path, dur)
            if x.shape[1] == 1:
                x = np.repeat(x, 2, axis=1)
            x, g = level_clean(x, sr, CLEAN_LEVELS[li % len(CLEAN_LEVELS)])
            stem = os.path.splitext(os.path.basename(f))[0].lower().replace(" ", "-")
            out.append(dict(id=f"{s['name']}-{stem}", source=s["name"], set=s["set"], cls=s["class"], x=x, sr=sr,
                            origin=f"{s['package']} {ver}: {s['root']}/{f} from {start} s of {total:.1f} s",
                            start=start, gain_db=round(g, 2)))
            li += 1
    return out, licences


# ------------------------------------------------------------------ plan
def plan(excerpts, small):
    """List of jobs: (file id, excerpt, [(kind, level index)], variant index, time range or None)."""
    jobs = []
    n = len(excerpts)
    vi = 0
    for e in excerpts:
        jobs.append(dict(id=f"{e['id']}--clean", ex=e, inj=[], var=vi, rng=None))
        vi += 1
    places = 1 if small else 3
    levels = [1] if small else [0, 1, 2]
    kinds = [k for k in P.SPECS if k not in P.VOCAL_ONLY]
    for kind in kinds:
        order = np.random.default_rng(zlib.crc32(kind.encode())).permutation(n)
        c = 0
        for lv in levels:
            for p in range(places):
                for _ in range(n):  # next excerpt that can carry it
                    e = excerpts[order[c % n]]
                    c += 1
                    if P.precondition(kind, e["x"], e["sr"]):
                        break
                rng = RANGE_FRACS if (p == 1 and lv == 1 and kind in ("mud", "harshness", "sibilance", "stereo_imbalance", "dull")) else None
                jobs.append(dict(id=f"{e['id']}--{kind}-{P.LEVELS[lv]}" + ("-range" if rng else ""), ex=e,
                                 inj=[(kind, lv)], var=vi, rng=rng))
                vi += 1
    vox = [e for e in excerpts if "voc" in e]
    for e in vox:
        for lv in levels:
            jobs.append(dict(id=f"{e['id']}--vocal_masking-{P.LEVELS[lv]}", ex=e, inj=[("vocal_masking", lv)], var=vi, rng=None))
            vi += 1
    if not small:
        combos = [[("mud", 1), ("harshness", 1)], [("sub_excess", 1), ("mono_collapse", 2)],
                  [("stereo_imbalance", 1), ("dc_offset", 1)], [("dull", 1), ("overcompressed", 1)]]
        for ci, combo in enumerate(combos):
            for p in range(2):
                e = excerpts[(ci * 5 + p * 13 + 3) % n]
                jobs.append(dict(id=f"{e['id']}--" + "+".join(k for k, _ in combo), ex=e, inj=combo, var=vi, rng=None))
                vi += 1
        for combo in ([("vocal_masking", 1), ("mud", 1)], [("harshness", 1), ("sibilance", 1)]):
            for e in vox[::2]:
                jobs.append(dict(id=f"{e['id']}--" + "+".join(k for k, _ in combo), ex=e, inj=combo, var=vi, rng=None))
                vi += 1
    return jobs


def pick_variant(job):
    kinds = {k for k, _ in job["inj"]}
    vox = "voc" in job["ex"]
    for i in range(len(VARIANTS)):
        fmt, rate, ch = VARIANTS[(job["var"] + i) % len(VARIANTS)]
        if kinds & P.LOSSLESS_ONLY and not FORMATS[fmt][2]:
            continue
        if kinds & (P.STEREO_ONLY | P.VOCAL_ONLY) and ch == 1:
            continue
        if vox and (ch == 1 or rate not in (None, 48000)):
            continue  # stems stay at 48 kHz stereo
        return fmt, rate, ch
    raise RuntimeError(job["id"])


NORMALISE_AFTER = {"mud", "harshness", "sub_excess", "low_end_instability", "dull", "sibilance", "vocal_masking",
                   "mono_collapse", "mono_collapse_wide", "stereo_imbalance"}


# ------------------------------------------------------------------ build
def build(args):
    t0 = time.time()
    cfg = json.load(open(os.path.join(HERE, "sources.json")))
    work = args.work
    out = args.out or os.path.join(work, "corpus-small" if args.small else "corpus")
    if os.path.exists(out) and os.path.realpath(out).startswith(os.path.realpath(work)):
        shutil.rmtree(out)
    for d in ("files", "refs", "stems", "manifests"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    excerpts, licences = make_excerpts(cfg, work, args.small)
    log(f"{len(excerpts)} clean excerpts from {len({e['source'] for e in excerpts})} sources ({time.time() - t0:.0f} s)")
    for e in excerpts:
        if "voc" in e:
            for part in ("acc", "voc"):
                p = os.path.join(out, "stems", f"{e['id']}-{part}.wav")
                sf.write(p, e[part].astype(np.float32), e["sr"], subtype="FLOAT")
                e[part + "_path"] = os.path.relpath(p, out)
    jobs = plan(excerpts, args.small)
    refs = {}
    failures = []
    index = []
    for ji, job in enumerate(jobs):
        e = job["ex"]
        fmt, rate, ch = pick_variant(job)
        sr = rate or e["sr"]
        x = resample(e["x"], e["sr"], sr)
        dur = len(x) / sr
        ctx = {"spike_times": [round(f * dur, 3) for f in SPIKE_FRACS], "seed": ji}
        if "voc" in e:
            ctx["acc"], ctx["voc"] = e["acc"], e["voc"]
        y = x.copy()
        params = []
        for kind, lv in job["inj"]:
            amt = P.SPECS[kind]["amounts"][lv]
            if kind == "vocal_masking":
                ctx["vocal_cut_db"] = amt
                y = y - ctx["voc"] + ctx["voc"] * 10 ** (-amt / 20)
                extra = {}
            elif kind == "sibilance" and "voc" in e:
                voc_s = J.vocal_sibilance(ctx["voc"], sr, amt)
                y = y - ctx["voc"] + voc_s
                extra = {"how": "7 kHz peak EQ (Q 1.2) on the vocal stem"}
            else:
                y, extra = P.apply(kind, y, sr, amt, ctx)
            params.append(dict(risk_id=P.risk_id(kind), kind=kind, level=P.LEVELS[lv], amount=amt,
                               amount_unit=P.SPECS[kind]["unit"] if kind not in ("mono_collapse",) else "fraction of R low end inverted",
                               **extra))
        if job["rng"]:
            job["rng"] = (round(job["rng"][0] * dur, 2), round(job["rng"][1] * dur, 2))
            y = J.in_range(x, y, sr, *job["rng"])
        kinds = {k for k, _ in job["inj"]}
        if kinds and kinds <= NORMALISE_AFTER:
            # a spectral/stereo problem must not also clip: back to the clean
            # loudness, and true peak under the clean cap
            g = M.integrated_lufs(x, sr) - M.integrated_lufs(y, sr)
            g = min(g, CLEAN_TP_MAX - M.true_peak_db(y))
            y = y * 10 ** (g / 20)
        if ch == 1:
            y, xr = np.mean(y, axis=1, keepdims=True), np.mean(x, axis=1, keepdims=True)
        else:
            xr = x
        path = write_audio(os.path.join(out, "files", job["id"]), y, sr, fmt)
        rkey = f"{e['id']}@{fmt}-{sr}-{ch}"
        if rkey not in refs:
            with tempfile.TemporaryDirectory(dir=out) as td:
                rp = write_audio(os.path.join(td, "r"), xr, sr, fmt)
                rd, _ = M.load(rp)
            rpath = os.path.join(out, "refs", rkey.replace("@", "_") + ".wav")
            sf.write(rpath, rd.astype(np.float32), sr, subtype="FLOAT")
            refs[rkey] = os.path.relpath(rpath, out)
        ref, _ = sf.read(os.path.join(out, refs[rkey]), dtype="float64", always_2d=True)
        yd, ysr = M.load(path)
        measures = {
            "integrated_lufs": round(M.integrated_lufs(yd, ysr), 2),
            "true_peak_8x_dbtp": round(M.true_peak_db(yd), 2),
            "sample_peak_dbfs": round(M.sample_peak_db(yd), 2),
            "dc": [round(v, 5) for v in M.dc(yd)],
            "balance_db": round(M.balance_db(yd), 2),
            "corr": round(M.corr(yd), 3),
            "corr_below_200": round(M.low_stereo(yd, ysr)[0], 3),
            "crest_db": round(M.crest_db(yd), 2),
            "clip_runs": M.clip_runs(yd),
            "octave_db": {str(k): round(v, 2) for k, v in M.octave_levels(yd, ysr).items()},
        }
        if "voc" in e:
            cut = ctx.get("vocal_cut_db", 0.0)
            measures["vocal_vs_acc_db"] = round(M.stem_ratio_db(e["voc"] * 10 ** (-cut / 20), e["acc"], sr), 2)
        injected = []
        for prm, (kind, lv) in zip(params, job["inj"]):
            ex, raw = P.excess(kind, yd, ysr, ref, sr, ctx)
            item = dict(prm, excess=round(ex, 3), excess_unit=P.SPECS[kind]["unit"], measures=raw,
                        fixable=P.SPECS[kind]["fixable"])
            if job["rng"]:
                a, b = int(job["rng"][0] * sr), int(job["rng"][1] * sr)
                exr, rawr = P.excess(kind, yd[a:b], ysr, ref[a:b], sr, ctx)
                item["time_range_s"] = list(job["rng"])
                item["excess_in_range"] = round(exr, 3)
                ex = exr
            need = P.SPECS[kind]["min_excess"]
            if ex < need:
                failures.append(f"{job['id']}: {kind} excess {ex:.2f} < {need} ({raw})")
            injected.append(item)
        man = dict(schema="preflight.corpus/1", id=job["id"], file=os.path.relpath(path, out), source=e["source"],
                   set=e["set"], style=e["cls"], origin=e["origin"], clean_gain_db=e["gain_db"],
                   clean=not injected, format=fmt, sample_rate=sr, channels=ch, clean_ref=refs[rkey],
                   injected=injected, measures=measures,
                   ctx={k: v for k, v in ctx.items() if k in ("spike_times", "f0", "vocal_cut_db")})
        if "voc" in e:
            man["stems"] = {"acc": e["acc_path"], "voc": e["voc_path"]}
        json.dump(man, open(os.path.join(out, "manifests", job["id"] + ".json"), "w"), indent=1)
        index.append(man)
        log(f"[{ji + 1}/{len(jobs)}] {job['id']} {fmt} {sr} {ch}ch " +
            " ".join(f"{i['kind']}={i['excess']}" for i in injected))
    took = time.time() - t0
    json.dump(dict(schema="preflight.corpus-index/1", small=args.small, built=time.strftime("%Y-%m-%d %H:%M:%S"),
                   build_seconds=round(took, 1), licences=licences, files=index,
                   failures=failures), open(os.path.join(out, "corpus.json"), "w"), indent=1)
    log(f"built {len(index)} files ({sum(1 for m in index if m['clean'])} clean) in {took:.0f} s -> {out}")
    if failures:
        log("INJECTED PROBLEMS NOT PHYSICALLY THERE:")
        for f in failures:
            log("  " + f)
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="CI-size slice: 3 sources, ~20 files")
    ap.add_argument("--work", default=os.environ.get("CORPUS_WORK", "/work/corpus-work"))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    sys.exit(build(args))


if __name__ == "__main__":
    main()
