#!/usr/bin/env python3
"""Driver of the single-core energy+forces+virial benchmark (see ../README.md).

    python3 bench.py --mtp PATH/TO/mtp [--out DIR] [--sets cubic mg]
                     [--levels 8 16 24] [--repeat 3] [--no-motep]
                     [--motep-configs SET:LEVEL=N ...] [--no-pin]

Normally started by run.sh, which builds the release binary first.

For each (set, level) it times whole commands (wall clock, best of
--repeat runs, pinned to CPU 0 with `taskset -c 0` when available):
- `mtp calc-efs POT IN OUT` on the whole set,
- `python3 motep_efs.py POT IN -o OUT` (motep's compiled C engine, file
  reading and writing included), on the whole set or on the first N
  configurations (--motep-configs; then its per-atom time is scaled to the
  whole set, keeping its fixed start-up cost once, see README),
and writes results.json and results.md (a table) into this directory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SHARED = (ROOT / ".." / "shared" / "data").resolve()
CUBIC = SHARED / "mlip-reference" / "cubic"

sys.path.insert(0, str(HERE))
import cfgtools  # noqa: E402

# MLIP's serial `mlp calc-efs` on the 1001-configuration cubic Cu set
# (32032 atoms), whole command including file input and output, measured on
# this kind of machine (figures given in the issue).
MLIP_REFERENCE_S = {("cubic", 16): 1.7, ("cubic", 24): 9.0}
MLIP_REFERENCE_CONFIGS = 1001

# motep can be run on the first N configurations only (--motep-configs
# SET:LEVEL=N; its per-atom cost is then scaled to the whole set).  By
# default it runs on every set in full: about 45 s per run at cubic level 24,
# the whole benchmark about 6 minutes on a quiet 2-core VM.
DEFAULT_MOTEP_CONFIGS: dict = {}

SETS = {
    # name: (description, min_dist, max_dist)
    "cubic": ("cubic Cu, MLIP/motep reference set, 1001 configs, 27-32 atoms", 0.5, 5.0),
    "mg": ("hcp Mg 4x4x3 supercells (96 atoms), 50 configs, make_hcp_mg.py", 2.0, 8.2),
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def pin_prefix(enabled: bool, cpu: int) -> list[str]:
    if not enabled or shutil.which("taskset") is None:
        return []
    if run(["taskset", "-c", str(cpu), "true"]).returncode != 0:
        return []
    return ["taskset", "-c", str(cpu)]


def loadavg() -> str:
    try:
        return " ".join(open("/proc/loadavg", encoding="utf-8").read().split()[:3])
    except OSError:
        return "?"


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    p = run(cmd)
    return time.perf_counter() - t0, p


# ---------------------------------------------------------------- inputs


def prepare(mtp: str | None, out: Path, sets: list[str], levels: list[int]) -> dict:
    """Input .cfg and .mtp files; returns {(set, level): (pot, cfg, note)}."""
    inputs: dict = {}
    out.mkdir(parents=True, exist_ok=True)
    cfgs = {}
    if "cubic" in sets:
        cfgs["cubic"] = CUBIC / "training.cfg"
    if "mg" in sets:
        mg = out / "hcp-mg.cfg"
        if not mg.exists():
            r = run([sys.executable, str(HERE / "make_hcp_mg.py"), str(mg)])
            if r.returncode:
                raise SystemExit(r.stderr)
        cfgs["mg"] = mg
    for s in sets:
        _, rmin, rmax = SETS[s]
        for lev in levels:
            trained = CUBIC / f"{lev:02d}" / "pot.mtp"
            if s == "cubic" and trained.exists():
                inputs[(s, lev)] = (trained, cfgs[s], "trained by MLIP (shared/data)")
                continue
            pot = out / f"{s}-{lev:02d}.mtp"
            note = f"mtp basis --level {lev} --min-dist {rmin} --max-dist {rmax} + fill_coeffs.py"
            if not pot.exists():
                if mtp is None:
                    log(f"skip {s} level {lev}: needs `mtp basis` and no mtp binary")
                    continue
                basis = out / f"{s}-{lev:02d}.untrained.mtp"
                r = run([mtp, "basis", "--level", str(lev), "--species-count", "1",
                         "--min-dist", str(rmin), "--max-dist", str(rmax), "-o", str(basis)])
                if r.returncode or not basis.exists():
                    log(f"skip {s} level {lev}: `mtp basis` failed: {r.stderr.strip()[-500:]}")
                    continue
                r = run([sys.executable, str(HERE / "fill_coeffs.py"), str(basis), str(pot)])
                if r.returncode:
                    raise SystemExit(r.stderr)
            inputs[(s, lev)] = (pot, cfgs[s], note)
    return inputs


def basis_size(pot: Path) -> dict:
    keys = ("radial_funcs_count", "alpha_index_basic_count", "alpha_index_times_count",
            "alpha_scalar_moments", "max_dist")
    info = {}
    with open(pot, encoding="utf-8") as f:
        for line in f:
            k = line.split("=", 1)[0].strip()
            if k in keys:
                v = line.split("=", 1)[1].strip()
                info[k] = float(v) if k == "max_dist" else int(v)
    return info


# ---------------------------------------------------------------- runs


def bench_mtp(mtp: str, pin: list[str], pot: Path, cfg: Path, out: Path, repeat: int) -> dict:
    walls = []
    for _ in range(repeat):
        if out.exists():
            out.unlink()
        w, p = timed(pin + [mtp, "calc-efs", str(pot), str(cfg), str(out)])
        if p.returncode != 0 or not out.exists():
            return {"error": f"exit {p.returncode}: {(p.stderr or p.stdout).strip()[-800:]}"}
        walls.append(w)
    return {"wall_s": min(walls), "wall_all_s": walls}


def bench_motep(pin: list[str], pot: Path, cfg: Path, out: Path, repeat: int,
                check: Path | None) -> dict:
    walls, reports = [], []
    for i in range(repeat):
        cmd = pin + [sys.executable, str(HERE / "motep_efs.py"), str(pot), str(cfg), "-o", str(out)]
        if check is not None and i == 0:
            cmd += ["--check", str(check)]
        w, p = timed(cmd)
        if p.returncode != 0:
            return {"error": f"exit {p.returncode}: {p.stderr.strip()[-800:]}"}
        rep = json.loads(p.stdout)
        walls.append(w - rep.get("check_s", 0.0))  # the check is not motep's work
        reports.append(rep)
    best = min(range(len(walls)), key=walls.__getitem__)
    r = reports[best]
    res = {
        "wall_s": walls[best],
        "wall_all_s": walls,
        "configurations": r["configurations"],
        "atoms": r["atoms"],
        # fixed cost: interpreter start-up, imports (the rest scales with atoms)
        "fixed_s": max(0.0, walls[best] - (r["read_s"] + r["compute_s"] + r["write_s"])),
        "read_s": r["read_s"],
        "compute_s": r["compute_s"],
        "kernel_s": r["kernel_s"],
        "write_s": r["write_s"],
    }
    if "check" in reports[0]:
        res["check_vs_mtp"] = reports[0]["check"]
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mtp", default=None, help="the mtp binary (release build)")
    ap.add_argument("--out", default=str(HERE / "out"))
    ap.add_argument("--sets", nargs="+", default=["cubic", "mg"], choices=list(SETS))
    ap.add_argument("--levels", nargs="+", type=int, default=[8, 16, 24])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-motep", action="store_true")
    ap.add_argument("--no-pin", action="store_true")
    ap.add_argument("--cpu", type=int, default=0, help="CPU to pin to (taskset -c CPU)")
    ap.add_argument("--motep-configs", nargs="*", default=[],
                    help="SET:LEVEL=N, motep on the first N configurations (0 = all)")
    ap.add_argument("--results", default=str(HERE / "results"),
                    help="results prefix (writes PREFIX.json and PREFIX.md)")
    a = ap.parse_args()

    out = Path(a.out)
    pin = pin_prefix(not a.no_pin, a.cpu)
    load_start = loadavg()
    t_start = time.perf_counter()
    subset = dict(DEFAULT_MOTEP_CONFIGS)
    for spec in a.motep_configs:
        k, n = spec.split("=")
        s, lev = k.split(":")
        subset[(s, int(lev))] = int(n)
    if a.mtp is None:
        log("no --mtp: motep only")

    inputs = prepare(a.mtp, out, a.sets, a.levels)
    floor = None
    lev2 = CUBIC / "02" / "pot.mtp"
    if a.mtp and "cubic" in a.sets and lev2.exists():
        # level 2 = one radial function, one moment: the run is nearly all
        # file input/output and neighbour lists, the floor under every level
        log("[cubic L2] mtp calc-efs (floor: I/O + neighbour lists)")
        f = bench_mtp(a.mtp, pin, lev2, CUBIC / "training.cfg", out / "cubic-02.mtp-efs.cfg", a.repeat)
        if "error" not in f:
            floor = f["wall_s"]
            log(f"    {floor:.3f} s")

    rows = []
    for s in a.sets:
        for lev in a.levels:
            if (s, lev) not in inputs:
                continue
            pot, cfg, note = inputs[(s, lev)]
            cfgs = cfgtools.read_cfg(str(cfg))
            natoms = sum(c.size for c in cfgs)
            row = {"set": s, "level": lev, "potential": str(pot), "potential_note": note,
                   "input": str(cfg), "configurations": len(cfgs), "atoms": natoms,
                   "basis": basis_size(pot)}
            ours_out = out / f"{s}-{lev:02d}.mtp-efs.cfg"
            if a.mtp:
                log(f"[{s} L{lev}] mtp calc-efs ({len(cfgs)} configs, {natoms} atoms)")
                row["mtp"] = bench_mtp(a.mtp, pin, pot, cfg, ours_out, a.repeat)
                if "error" not in row["mtp"]:
                    row["mtp"]["us_per_atom"] = 1e6 * row["mtp"]["wall_s"] / natoms
                    ref = CUBIC / f"{lev:02d}" / "calc-efs.first100.cfg"
                    if s == "cubic" and ref.exists() and pot == CUBIC / f"{lev:02d}" / "pot.mtp":
                        row["mtp"]["check_vs_mlip_first100"] = cfgtools.compare(
                            cfgtools.read_cfg(str(ours_out), 100), cfgtools.read_cfg(str(ref)))
                    log(f"    {row['mtp']['wall_s']:.3f} s, {row['mtp']['us_per_atom']:.2f} us/atom")
                else:
                    log(f"    FAILED: {row['mtp']['error']}")
            if not a.no_motep:
                n = subset.get((s, lev), 0)
                mcfg = cfg
                if n and n < len(cfgs):
                    mcfg = out / f"{s}-first{n}.cfg"
                    cfgtools.head(str(cfg), str(mcfg), n)
                check = ours_out if (a.mtp and "error" not in row.get("mtp", {"error": 1})) else None
                log(f"[{s} L{lev}] motep ({'first ' + str(n) if mcfg != cfg else 'all'} configs)")
                m = bench_motep(pin, pot, mcfg, out / f"{s}-{lev:02d}.motep-efs.cfg", a.repeat, check)
                if "error" not in m:
                    m["subset"] = mcfg != cfg
                    m["us_per_atom_measured"] = 1e6 * m["wall_s"] / m["atoms"]
                    # whole-set estimate: fixed cost once, the rest per atom
                    var = m["wall_s"] - m["fixed_s"]
                    m["wall_s_whole_set"] = m["fixed_s"] + var * natoms / m["atoms"]
                    m["us_per_atom"] = 1e6 * m["wall_s_whole_set"] / natoms
                    m["us_per_atom_compute"] = 1e6 * m["compute_s"] / m["atoms"]
                    m["us_per_atom_kernel"] = 1e6 * m["kernel_s"] / m["atoms"]
                    log(f"    {m['wall_s']:.3f} s on {m['atoms']} atoms, {m['us_per_atom']:.2f} us/atom "
                        f"(kernel {m['us_per_atom_kernel']:.2f})")
                else:
                    log(f"    FAILED: {m['error']}")
                row["motep"] = m
            # ratios (> 1: mtp faster)
            mt = row.get("mtp", {})
            if "us_per_atom" in mt:
                ref_s = MLIP_REFERENCE_S.get((s, lev))
                if ref_s is not None and len(cfgs) == MLIP_REFERENCE_CONFIGS:
                    row["mlip_reference_s"] = ref_s
                    row["speedup_vs_mlip"] = ref_s / mt["wall_s"]
                mo = row.get("motep", {})
                if "us_per_atom" in mo:
                    row["speedup_vs_motep"] = mo["us_per_atom"] / mt["us_per_atom"]
                    row["speedup_vs_motep_kernel"] = mo["us_per_atom_kernel"] / mt["us_per_atom"]
            rows.append(row)

    meta = machine_info(a.mtp, pin)
    meta["mtp_level2_cubic_wall_s"] = floor
    meta["loadavg_start"], meta["loadavg_end"] = load_start, loadavg()
    meta["benchmark_wall_s"] = round(time.perf_counter() - t_start, 1)
    result = {"meta": meta, "mlip_reference_s": {f"{k[0]}:{k[1]}": v for k, v in MLIP_REFERENCE_S.items()},
              "rows": rows}
    Path(a.results + ".json").write_text(json.dumps(result, indent=1) + "\n")
    md = markdown(result)
    Path(a.results + ".md").write_text(md)
    print(md)


def machine_info(mtp: str | None, pin: list[str]) -> dict:
    cpu = ""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "MTP_TARGET_CPU": os.environ.get("MTP_TARGET_CPU"),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "pinned": " ".join(pin) or "no",
        "python": platform.python_version(),
    }
    try:
        from importlib.metadata import version

        info["motep"] = version("motep")
    except Exception:  # noqa: BLE001
        info["motep"] = None
    if mtp:
        sv = run(["swift", "--version"])
        info["swift"] = (sv.stdout or sv.stderr).strip().splitlines()[0] if sv.returncode == 0 else None
        g = run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
        info["git"] = g.stdout.strip() if g.returncode == 0 else None
        # The target the kernels were compiled for, as the binary itself reports it.
        v = run([mtp, "--version"])
        info["compiled"] = next((l[len("kernels compiled for "):] for l in v.stdout.splitlines()
                                 if l.startswith("kernels compiled for ")), None) if v.returncode == 0 else None
    return info


def _f(x, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


def markdown(result: dict) -> str:
    m = result["meta"]
    lines = [
        "# Single-core energy + forces + virial (`calc-efs`) benchmark",
        "",
        f"{m['date']}; {m['cpu']}; {m['cores']} cores; pinned: {m['pinned']}; "
        f"motep {m.get('motep')}; {m.get('swift') or ''}"
        f"{'; kernels compiled for ' + m['compiled'] if m.get('compiled') else ''}; load average at start / end: "
        f"{m.get('loadavg_start')} / {m.get('loadavg_end')}; whole benchmark {m.get('benchmark_wall_s')} s",
        "",
        "Time per atom per energy+forces+virial call = whole-command wall time "
        "(best of 3, file input and output included) / atoms in the set. "
        "Speed-up > 1: `mtp` is faster.",
        "",
        "| set | level | configs | atoms | mtp wall (s) | mtp us/atom | MLIP ref (s) | vs MLIP "
        "| motep configs | motep us/atom | vs motep | motep kernel us/atom | vs motep kernel "
        "| max dE (eV/atom) | max dF (eV/A) | max dW (eV) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        mt, mo = r.get("mtp", {}), r.get("motep", {})
        ck = mo.get("check_vs_mtp", {})
        mlip = r.get("mlip_reference_s")
        lines.append(
            "| " + " | ".join([
                r["set"], str(r["level"]), str(r["configurations"]), str(r["atoms"]),
                _f(mt.get("wall_s"), ".3f") if "error" not in mt else "FAILED",
                _f(mt.get("us_per_atom"), ".2f"),
                _f(mlip, ".1f"),
                (_f(r.get("speedup_vs_mlip"), ".2f") + "x") if "speedup_vs_mlip" in r else "-",
                (str(mo.get("configurations")) + (" (subset)" if mo.get("subset") else "")) if mo and "error" not in mo else ("FAILED" if mo else "-"),
                _f(mo.get("us_per_atom"), ".2f"),
                (_f(r.get("speedup_vs_motep"), ".2f") + "x") if "speedup_vs_motep" in r else "-",
                _f(mo.get("us_per_atom_kernel"), ".2f"),
                (_f(r.get("speedup_vs_motep_kernel"), ".2f") + "x") if "speedup_vs_motep_kernel" in r else "-",
                _f(ck.get("max_energy_diff_eV_per_atom"), ".1e"),
                _f(ck.get("max_force_diff_eV_per_A"), ".1e"),
                _f(ck.get("max_plus_stress_diff_eV"), ".1e"),
            ]) + " |"
        )
    lines += [
        "",
        "- MLIP ref: MLIP's serial `mlp calc-efs` on the 1001-configuration cubic set "
        "(32032 atoms), whole command with file input/output: level 16 1.7 s, level 24 9.0 s "
        "(figures of the issue, measured on this kind of machine). Target: >= 3x.",
        "- motep: `motep_efs.py` (motep's compiled C engine `cext` through its ASE calculator, "
        "motep's own .cfg reader and writer), whole command including Python start-up. "
        "'(subset)': run on the first N configurations, per-atom time scaled to the whole set "
        "with the fixed start-up cost counted once. 'motep kernel' = time inside the engine's "
        "`_calculate` only (C kernel, no neighbour list, no I/O, no start-up).",
        "- max dE, dF, dW: largest difference (energy per atom, force component, PlusStress "
        "component) between `mtp calc-efs` output (as printed) and motep on the configurations "
        "motep evaluated.",
        "- Potentials: cubic levels 8, 16 trained by MLIP (shared/data); other levels: "
        "`mtp basis` + `fill_coeffs.py` (deterministic coefficients; cost does not depend on them).",
    ]
    if m.get("mtp_level2_cubic_wall_s") is not None:
        lines.append(f"- Floor: `mtp calc-efs` at level 2 on the cubic set (reading, neighbour lists, "
                     f"writing, almost no basis work): {m['mtp_level2_cubic_wall_s']:.3f} s.")
    checks = [(r["set"], r["level"], r["mtp"]["check_vs_mlip_first100"]) for r in result["rows"]
              if "check_vs_mlip_first100" in r.get("mtp", {})]
    for s, lev, c in checks:
        lines.append(f"- {s} level {lev}: `mtp calc-efs` vs MLIP's own calc-efs output (first 100 "
                     f"configs): max dE {c['max_energy_diff_eV_per_atom']:.1e} eV/atom, "
                     f"max dF {c['max_force_diff_eV_per_A']:.1e} eV/A, "
                     f"max dW {c['max_plus_stress_diff_eV']:.1e} eV")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
