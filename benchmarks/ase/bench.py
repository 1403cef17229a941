#!/usr/bin/env python3
"""MD steps per second in ASE: this engine's calculator (mtp_engine) against
motep's (its compiled `cext` engine), on a 6x6x6 hcp Mg supercell (432 atoms).

    python3 bench.py [--levels 8 16 24] [--steps 50] [--no-motep]

For each level, the potential potentials/mg-LL.mtp (levels 8, 16, 24, cutoff
5.5 A, fitted by make_potentials.sh to an EAM-labelled `mtp assyst` set, so
that the trajectory is physical hcp Mg at 300 K) drives velocity-Verlet MD
(1 fs, velocities drawn at 300 K with a fixed seed) in ASE with each
calculator in turn, in this one process: 2 warm-up steps (not timed), then
--steps timed steps. Every step is one energy+forces evaluation (neighbour
list included) plus ASE's integrator. The same start is given to both
engines; their energies, forces and stresses on it and their energies after
the timed steps are compared.

Writes results.json and results.md (the table, also printed).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from ase.build import bulk
try:
    from ase.md.velocitydistribution import thermalize_momenta  # ASE >= 3.29
except ImportError:
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution as thermalize_momenta
from ase.md.verlet import VelocityVerlet
from ase import units

HERE = Path(__file__).resolve().parent

from mtp_engine import MTPCalculator  # noqa: E402

A, COVERA = 3.1842, 1.6282  # the lattice of Mg_mm.eam.fs
REPEAT = (6, 6, 6)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def start_atoms():
    atoms = bulk("Mg", "hcp", a=A, c=A * COVERA).repeat(REPEAT)
    rng = np.random.default_rng(7)
    atoms.positions += 0.02 * rng.standard_normal(atoms.positions.shape)
    thermalize_momenta(atoms, temperature_K=300, rng=np.random.default_rng(11))
    return atoms


def potential(level: int) -> Path:
    pot = HERE / "potentials" / f"mg-{level:02d}.mtp"
    if not pot.is_file():
        raise SystemExit(f"no potential {pot}; make it with benchmarks/ase/make_potentials.sh")
    return pot


def motep_calculator(pot: Path):
    from motep.calculator import MTP
    from motep.io.mlip.mtp import read_mtp

    data = read_mtp(str(pot))
    data.species = np.array([12])
    return MTP(data, engine="cext", mode="run")


def run_md(atoms, calc, steps: int):
    atoms = atoms.copy()
    atoms.calc = calc
    md = VelocityVerlet(atoms, 1.0 * units.fs)
    md.run(2)  # warm-up: first neighbour lists, buffers, imports
    t0, c0 = time.perf_counter(), time.process_time()
    md.run(steps)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"steps": steps, "wall_s": wall, "cpu_s": cpu, "steps_per_s": steps / wall, "steps_per_cpu_s": steps / cpu,
            "final_energy": float(atoms.get_potential_energy())}


def single_point(atoms, calc):
    a = atoms.copy()
    a.calc = calc
    return a.get_potential_energy(), a.get_forces(), a.get_stress()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--levels", type=int, nargs="+", default=[8, 16, 24])
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--no-motep", action="store_true")
    a = p.parse_args()
    load0 = os.getloadavg()
    t_all = time.perf_counter()
    atoms = start_atoms()
    rows = []
    for level in a.levels:
        pot = potential(level)
        row = {"level": level, "atoms": len(atoms)}
        ours = MTPCalculator(pot)
        log(f"[L{level}] mtp_engine, {a.steps} steps")
        row["mtp_engine"] = run_md(atoms, ours, a.steps)
        if not a.no_motep:
            theirs = motep_calculator(pot)
            log(f"[L{level}] motep (cext), {a.steps} steps")
            row["motep"] = run_md(atoms, theirs, a.steps)
            e1, f1, s1 = single_point(atoms, ours)
            e2, f2, s2 = single_point(atoms, theirs)
            row["start_max_dE_per_atom"] = abs(e1 - e2) / len(atoms)
            row["start_max_dF"] = float(np.abs(f1 - f2).max())
            row["start_max_dS_GPa"] = float(np.abs(s1 - s2).max() / units.GPa)
            row["final_dE_per_atom"] = abs(row["mtp_engine"]["final_energy"] - row["motep"]["final_energy"]) / len(atoms)
            row["speedup"] = row["mtp_engine"]["steps_per_s"] / row["motep"]["steps_per_s"]
            row["speedup_cpu"] = row["mtp_engine"]["steps_per_cpu_s"] / row["motep"]["steps_per_cpu_s"]
        rows.append(row)
    try:
        from importlib.metadata import version
        motep_version = version("motep")
    except Exception:
        motep_version = None
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "machine": platform.processor() or platform.machine(), "cores": os.cpu_count(),
        "cpu_affinity": sorted(os.sched_getaffinity(0)), "python": platform.python_version(),
        "motep": motep_version, "load_start": load0, "load_end": os.getloadavg(),
        "whole_s": time.perf_counter() - t_all, "steps": a.steps,
        "system": "hcp Mg 6x6x6 (432 atoms, 0.02 A random displacements), a = 3.1842 A, c/a = 1.6282; "
                  "potentials potentials/mg-LL.mtp (fitted to EAM-labelled data by make_potentials.sh, cutoff 5.5 A)",
        "md": "velocity Verlet, 1 fs, 300 K Maxwell-Boltzmann start (seed 11), 2 warm-up steps",
    }
    (HERE / "results.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    lines = ["# MD steps per second in ASE: mtp_engine vs motep", "",
             f"{meta['date']}; {meta['machine']}; {meta['cores']} cores, run on cores {meta['cpu_affinity']}; "
             f"Python {meta['python']}; motep {motep_version}; load average at start / end: "
             + " ".join(f"{x:.2f}" for x in meta["load_start"]) + " / " + " ".join(f"{x:.2f}" for x in meta["load_end"])
             + f"; whole benchmark {meta['whole_s']:.1f} s", "",
             f"{meta['system']}; {meta['md']}; {a.steps} timed steps per engine and level, one process. "
             "A step = one energy+forces(+stress) call of the calculator, neighbour list included, plus ASE's integrator. "
             "steps/s = steps / wall time; per CPU s = steps / process CPU time (less sensitive to other load on the core).", "",
             "| level | mtp_engine steps/s | motep steps/s | speed-up | mtp_engine steps per CPU s | motep steps per CPU s | speed-up (CPU) "
             "| start: max dE (eV/atom) | max dF (eV/A) | max dS (GPa) | after the steps: dE (eV/atom) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        m = r.get("motep")
        o = r["mtp_engine"]
        lines.append(f"| {r['level']} | {o['steps_per_s']:.2f} | "
                     + (f"{m['steps_per_s']:.2f} | {r['speedup']:.2f}x | {o['steps_per_cpu_s']:.2f} | {m['steps_per_cpu_s']:.2f} | "
                        f"{r['speedup_cpu']:.2f}x | {r['start_max_dE_per_atom']:.1e} | "
                        f"{r['start_max_dF']:.1e} | {r['start_max_dS_GPa']:.1e} | {r['final_dE_per_atom']:.1e} |"
                        if m else f"- | - | {o['steps_per_cpu_s']:.2f} | - | - | - | - | - | - |"))
    text = "\n".join(lines) + "\n"
    (HERE / "results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
