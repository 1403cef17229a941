#!/usr/bin/env python3
"""A seeded fuzz run of the `mtp` tool: mutated inputs of every format it reads
through every subcommand that reads them, each run bounded by a timeout.

Every run is classified:
  output        exit 0, and no inf/NaN in anything it wrote or printed
  clear-error   non-zero exit, the message names the mutated input file
  unclear-error non-zero exit, the message does not name the input file
  crash         killed by a signal, or a runtime trap / fatal error message
  hang          still running at the timeout
  inf-nan       exit 0 but an output (or standard output) holds inf or NaN

Usage: fuzz.py MTP --runs N [--seed S] [--timeout SECONDS] [--work DIR] [--report FILE]
Exit status 1 when any run is a crash, hang, unclear error or inf-nan.
Only the standard library is used.
"""
import argparse
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SEEDS = {
    "cfg": "Tests/CLITests/Fixtures/cu-3.cfg",
    "extxyz": "Tests/AtomisticTests/Fixtures/extxyz/ase-written.extxyz",
    "json": "Tests/TrainingStoreTests/Fixtures/mlearn/Mo-10.json",
    "vasprun": "Tests/TrainingStoreTests/Fixtures/vasp/vasprun_synthetic.xml",
    "outcar": "Tests/TrainingStoreTests/Fixtures/vasp/OUTCAR_synthetic",
    "mtp": "Tests/CLITests/Fixtures/cu-08.mtp",
}
# Names the mutants get (the format registry goes by name).
NAMES = {"cfg": "in.cfg", "extxyz": "in.extxyz", "json": "in.json", "vasprun": "vasprun.xml",
         "outcar": "OUTCAR", "mtp": "pot.mtp", "untrained": "untrained.mtp", "h5": "in.h5"}

SPECIAL_NUMBERS = ["nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e-308", "0", "-0", "-1", "1",
                   "99999999999", "999999999999", "9223372036854775808", "2147483648", "1e3", "1000",
                   "0.001", "1e-3", "1e150", "-7", "", "1e", "0x10", "--1", "1.5.5"]
NUMBER = re.compile(rb"(?<![A-Za-z_])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
SYMBOL = re.compile(rb"\b(Cu|Mo|Ag|Au|Si|Ge|Li|Al|Ni)\b")
INF_NAN = re.compile(r"(?<![A-Za-z_])(nan|inf|infinity)(?![A-Za-z_])", re.IGNORECASE)
CRASH_TEXT = re.compile(r"Fatal error|Illegal instruction|Segmentation fault|Aborted|core dumped|"
                        r"Current stack trace|Swift runtime failure|Stack dump|signal \d+", re.IGNORECASE)


def run(cmd, timeout, cwd):
    """(class-independent) result of one command: returncode or None on timeout, stdout, stderr."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        out, err = p.communicate()
        return None, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


# ---------------------------------------------------------------- mutators

def mutate_text(data, rng, fmt):
    """One mutation of a text file; returns (bytes, description)."""
    lines = data.split(b"\n")
    kind = rng.choice(["number", "number", "number", "number", "line-numbers", "delete-line", "duplicate-line",
                       "swap-lines", "truncate", "crlf", "symbol", "empty", "junk-line", "byte-flip",
                       "key-value" if fmt in ("mtp", "untrained") else "number"])
    if kind == "number":
        spans = [m.span() for m in NUMBER.finditer(data)]
        if spans:
            a, b = rng.choice(spans)
            v = rng.choice(SPECIAL_NUMBERS).encode()
            return data[:a] + v + data[b:], f"number at byte {a} '{data[a:b].decode()}' -> '{v.decode()}'"
    if kind == "line-numbers":
        k = rng.randrange(len(lines))
        v = rng.choice([b"0", b"0.001", b"1e308", b"nan", b"1e-3"])
        lines[k] = NUMBER.sub(lambda m: v, lines[k])
        return b"\n".join(lines), f"every number of line {k + 1} -> {v.decode()}"
    if kind == "delete-line" and len(lines) > 1:
        k = rng.randrange(len(lines))
        del lines[k]
        return b"\n".join(lines), f"line {k + 1} deleted"
    if kind == "duplicate-line":
        k = rng.randrange(len(lines))
        lines.insert(k, lines[k])
        return b"\n".join(lines), f"line {k + 1} duplicated"
    if kind == "swap-lines" and len(lines) > 2:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines), f"lines {i + 1} and {j + 1} swapped"
    if kind == "truncate":
        k = rng.randrange(len(data) + 1)
        return data[:k], f"truncated at byte {k}"
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n"), "CRLF line ends"
    if kind == "symbol":
        spans = [m.span() for m in SYMBOL.finditer(data)]
        if spans:
            a, b = rng.choice(spans)
            v = rng.choice([b"Xx", b"Zz", b"", b"cu", b"X"])
            return data[:a] + v + data[b:], f"symbol at byte {a} -> '{v.decode()}'"
    if kind == "empty":
        return rng.choice([b"", b"\n", b"   \n\n"]), "empty file"
    if kind == "junk-line":
        k = rng.randrange(len(lines) + 1)
        junk = rng.choice([b"garbage", b"{", b"}", b"]", b"BEGIN_CFG", b"END_CFG", b"Size", b"=", b"\x00\xff",
                           b"1 2 3", b"-", b"radial_coeffs", b"\"key\": ", b"<tag>"])
        lines.insert(k, junk)
        return b"\n".join(lines), f"line {k + 1} inserted: {junk!r}"
    if kind == "byte-flip" and data:
        k = rng.randrange(len(data))
        v = rng.randrange(256)
        return data[:k] + bytes([v]) + data[k + 1:], f"byte {k} -> {v}"
    if kind == "key-value":
        keyed = [k for k, l in enumerate(lines) if b"=" in l]
        if keyed:
            k = rng.choice(keyed)
            key = lines[k].split(b"=")[0]
            v = rng.choice([b"0", b"-1", b"99999999999", b"1e308", b"1000", b"2", b"1", b"nan", b"{}", b""])
            lines[k] = key + b"= " + v
            return b"\n".join(lines), f"line {k + 1}: {key.strip().decode()} = {v.decode()}"
    spans = [m.span() for m in NUMBER.finditer(data)]
    a, b = rng.choice(spans)
    return data[:a] + b"nan" + data[b:], f"number at byte {a} -> nan"


def aligned_values(data, fmt, accept):
    out = []
    size = struct.calcsize(fmt)
    for k in range(0, len(data) - size + 1, size):
        (v,) = struct.unpack_from(fmt, data, k)
        if accept(v):
            out.append(k)
    return out


def mutate_h5(data, rng, cache):
    """One mutation of a training store's bytes: a stored double (a
    position, label, cell component) or integer (a count, species index,
    offset) replaced, or, rarely, a random byte of the metadata."""
    if "doubles" not in cache:
        cache["doubles"] = aligned_values(data, "<d", lambda v: v == v and 1e-3 <= abs(v) <= 1e4)
        cache["ints"] = aligned_values(data, "<q", lambda v: 1 <= v <= 100000)
        cache["int32"] = [k for k in range(0, len(data) - 4, 4) if struct.unpack_from("<i", data, k)[0] in (0, 1)]
    kind = rng.choice(["double", "double", "double", "int64", "int32", "truncate", "byte-flip"])
    b = bytearray(data)
    if kind == "double" and cache["doubles"]:
        k = rng.choice(cache["doubles"])
        v = rng.choice([float("nan"), float("inf"), -float("inf"), 1e308, -1e308, 0.0, 1e-3, 1e150])
        old = struct.unpack_from("<d", data, k)[0]
        struct.pack_into("<d", b, k, v)
        return bytes(b), f"double at byte {k} {old} -> {v}"
    if kind == "int64" and cache["ints"]:
        k = rng.choice(cache["ints"])
        v = rng.choice([0, -1, 99999999999, 2 ** 62, 1000000, 7])
        old = struct.unpack_from("<q", data, k)[0]
        struct.pack_into("<q", b, k, v)
        return bytes(b), f"int64 at byte {k} {old} -> {v}"
    if kind == "int32" and cache["int32"]:
        k = rng.choice(cache["int32"])
        v = rng.choice([-1, 5, 1000, 2 ** 31 - 1])
        struct.pack_into("<i", b, k, v)
        return bytes(b), f"int32 at byte {k} -> {v}"
    if kind == "truncate":
        k = rng.randrange(len(data))
        return data[:k], f"truncated at byte {k}"
    k = rng.randrange(len(data))
    v = rng.randrange(256)
    b[k] = v
    return bytes(b), f"byte {k} -> {v}"


# ---------------------------------------------------------------- commands

def commands(fmt, x, s):
    """The subcommands that read a file of format `fmt` at `x` (s: seeds)."""
    pot, untrained, cfg, h5 = s["mtp"], s["untrained"], s["cfg"], s["h5"]
    species = ["--species", "Cu"] if fmt in ("cfg", "h5") else []
    if fmt == "mtp":
        return [["calc-efs", x, cfg, "out.cfg"], ["check-errors", x, cfg], ["grade", x, cfg, cfg, "out.cfg"],
                ["train", x, cfg, "-o", "out.mtp", "--max-iter", "2"]]
    if fmt == "untrained":
        return [["train", x, cfg, "-o", "out.mtp", "--max-iter", "2"],
                ["train", x, cfg, "-o", "out.mtp", "--max-iter", "2", "--optimizer", "bfgs"]]
    pot1 = pot
    base = [["calc-efs", pot1, x, "out.cfg"], ["check-errors", pot1, x], ["convert", x, "-o", "out.h5"],
            ["convert", x, "-o", "out.cfg"], ["train", untrained, x, "-o", "out.mtp", "--max-iter", "2"],
            ["grade", pot1, x, cfg if fmt in ("cfg", "h5", "extxyz") else x, "out.cfg"],
            ["compare", x, x]]
    if fmt == "h5":
        base.append(["data", "info", x])
    if fmt in ("extxyz",):
        base.append(["calc-efs", pot1, x, "out.extxyz"])
    return base


def scan_outputs(rundir, mtp, timeout, stdout):
    """Names of outputs (or 'stdout') holding inf or NaN."""
    bad = []
    if INF_NAN.search(stdout):
        bad.append("stdout")
    for name in sorted(os.listdir(rundir)):
        path = os.path.join(rundir, name)
        if name.startswith(NAMES_PREFIX) or not os.path.isfile(path):
            continue
        if name.endswith(".h5"):
            rc, _, _ = run([mtp, "convert", path, "-o", path + ".scan.cfg"], timeout, rundir)
            if rc != 0:
                bad.append(name + " (unreadable)")
                continue
            path = path + ".scan.cfg"
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        if INF_NAN.search(text):
            bad.append(name)
    return bad


NAMES_PREFIX = "mutant-"


def classify(rc, err, inputs):
    if rc is None:
        return "hang"
    if rc < 0 or rc >= 128 or CRASH_TEXT.search(err):
        return "crash"
    if rc == 0:
        return "output"
    return "clear-error" if any(os.path.basename(i) in err for i in inputs) else "unclear-error"


def prepare_seeds(mtp, work, timeout):
    seeds = {}
    d = os.path.join(work, "seeds")
    os.makedirs(d, exist_ok=True)
    for fmt, rel in SEEDS.items():
        dst = os.path.join(d, NAMES[fmt])
        shutil.copy(os.path.join(ROOT, rel), dst)
        seeds[fmt] = dst
    seeds["untrained"] = os.path.join(d, NAMES["untrained"])
    for cmd in ([mtp, "basis", "--level", "4", "--species-count", "1", "--min-dist", "2", "--max-dist", "5",
                 "-o", seeds["untrained"]],
                [mtp, "convert", seeds["cfg"], "--species", "Cu", "-o", os.path.join(d, NAMES["h5"])]):
        rc, out, err = run(cmd, timeout * 4, d)
        if rc != 0:
            sys.exit(f"seed preparation failed: {' '.join(cmd)}\n{err}")
    seeds["h5"] = os.path.join(d, NAMES["h5"])
    return seeds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mtp")
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--work", default=None)
    ap.add_argument("--report", default=None)
    a = ap.parse_args()
    mtp = os.path.abspath(a.mtp)
    work = a.work or os.path.join("/tmp", f"mtp-fuzz-{os.getpid()}")
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    seeds = prepare_seeds(mtp, work, a.timeout)
    rng = random.Random(a.seed)
    formats = ["cfg", "extxyz", "mtp", "untrained", "h5", "json", "vasprun", "outcar"]
    h5cache = {}
    results = []
    t0 = time.time()
    for n in range(a.runs):
        fmt = formats[n % len(formats)]
        with open(seeds[fmt], "rb") as f:
            data = f.read()
        mutant, what = mutate_h5(data, rng, h5cache) if fmt == "h5" else mutate_text(data, rng, fmt)
        rundir = os.path.join(work, f"run-{n:05d}")
        os.makedirs(rundir)
        x = os.path.join(rundir, NAMES_PREFIX + NAMES[fmt])
        with open(x, "wb") as f:
            f.write(mutant)
        cmd = rng.choice(commands(fmt, x, seeds))
        if cmd[0] == "compare":
            cmd = ["compare", x, seeds[fmt] if fmt in ("cfg", "extxyz") else x]
        if cmd[0] == "convert" and fmt == "cfg":
            cmd = cmd + ["--species", "Cu"]
        t = time.time()
        rc, out, err = run([mtp] + cmd, a.timeout, rundir)
        cls = classify(rc, err, [x])
        bad = scan_outputs(rundir, mtp, a.timeout, out) if cls == "output" else []
        if bad:
            cls = "inf-nan"
        results.append({"run": n, "format": fmt, "mutation": what, "command": cmd[0] + (" " + cmd[1] if cmd[0] == "data" else ""),
                        "argv": [os.path.relpath(c, work) if c.startswith(work) else c for c in cmd],
                        "class": cls, "exit": rc, "seconds": round(time.time() - t, 3),
                        "message": err.strip().splitlines()[-1][:300] if err.strip() else "", "inf_nan_in": bad})
        if cls in ("output", "clear-error"):
            shutil.rmtree(rundir)
    elapsed = time.time() - t0
    summary = {}
    for r in results:
        summary.setdefault(r["class"], 0)
        summary[r["class"]] += 1
    per = {}
    for r in results:
        key = f"{r['format']:10s} {r['command']}"
        per.setdefault(key, {})
        per[key][r["class"]] = per[key].get(r["class"], 0) + 1
    bad = [r for r in results if r["class"] not in ("output", "clear-error")]
    lines = [f"# mtp fuzz run: {a.runs} mutants, seed {a.seed}, timeout {a.timeout:g} s per run", "",
             f"{elapsed:.0f} s in all ({elapsed / max(a.runs, 1):.2f} s per run); work directory {work}", "",
             "| class | runs |", "|---|---|"]
    for c in ["output", "clear-error", "unclear-error", "crash", "hang", "inf-nan"]:
        lines.append(f"| {c} | {summary.get(c, 0)} |")
    lines += ["", "| format, command | " + " | ".join(["output", "clear-error", "unclear-error", "crash", "hang", "inf-nan"]) + " |",
              "|---|---|---|---|---|---|---|"]
    for key in sorted(per):
        lines.append(f"| {key} | " + " | ".join(str(per[key].get(c, 0)) for c in
                                                   ["output", "clear-error", "unclear-error", "crash", "hang", "inf-nan"]) + " |")
    lines += ["", "## Runs that are not output or a clear error", ""]
    if not bad:
        lines.append("none")
    for r in bad:
        lines.append(f"- run {r['run']} [{r['class']}] {r['format']} `{' '.join(r['argv'])}` ({r['mutation']}): "
                     f"exit {r['exit']}, {r['message']!r} {r['inf_nan_in'] or ''}")
    report = "\n".join(lines) + "\n"
    print(report)
    if a.report:
        with open(a.report, "w") as f:
            f.write(report)
        with open(os.path.splitext(a.report)[0] + ".json", "w") as f:
            json.dump({"runs": a.runs, "seed": a.seed, "timeout": a.timeout, "seconds": round(elapsed, 1),
                       "summary": summary, "results": results}, f, indent=1, sort_keys=True)
    if not bad and a.work is None:
        shutil.rmtree(work)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
