#!/usr/bin/env python3
"""Langevin MD of hcp Mg at 300 K in ASE with a potential fitted by `mtp train`,
printing the extrapolation grade along the way (docs/python.md).

    python md_mg.py [--workdir mg-md] [--steps 1000] [--level 12] [--eam PATH]

1. `mtp assyst`: a small systematic training set for Mg labelled by the EAM
   potential Mg_mm.eam.fs (random crystals of a few space groups, relaxed,
   strained and rattled);
2. `mtp basis` + `mtp train` (through mtp_engine.train): an MTP of level 12
   (cutoff 5.5 A) fitted to it;
3. `mtp grade` (through mtp_engine.grade): the active set of the fit, saved
   beside it, and the grade of the starting structure;
4. ASE Langevin MD (1 fs, 300 K, friction 0.01/fs) of a 4x4x3 hcp supercell
   (96 atoms) with mtp_engine.MTPCalculator, printing temperature, energy and
   the extrapolation grade (from the loaded active set) every --every steps;
   it stops early if the grade passes --break-grade. At the end, if ASE can
   read the EAM file, the MTP's energy and forces are compared with EAM's on
   the last frame.

Steps 1-3 are skipped when their outputs already exist in --workdir.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

import numpy as np
from ase import units
from ase.build import bulk
from ase.md.langevin import Langevin
try:
    from ase.md.velocitydistribution import thermalize_momenta  # ASE >= 3.29
except ImportError:
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution as thermalize_momenta

import mtp_engine
from mtp_engine import MTPCalculator

ROOT = Path(__file__).resolve().parents[2]
A, COVERA = 3.1842, 1.6282  # hcp Mg of Mg_mm.eam.fs


class Extrapolating(Exception):
    """The grade passed --break-grade: the potential is outside its training data."""


def mtp(*args):
    cmd = [mtp_engine.mtp_executable(), *map(str, args)]
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workdir", default="mg-md")
    p.add_argument("--eam", default=str(ROOT / "Tests" / "ReferenceTests" / "Fixtures" / "Mg_mm.eam.fs"))
    p.add_argument("--level", type=int, default=12)
    p.add_argument("--max-iter", type=int, default=500)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--every", type=int, default=100)
    p.add_argument("--break-grade", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    train_set, initial, fitted = work / "mg-assyst.h5", work / "initial.mtp", work / "mg.mtp"

    # 1. Training data: systematic Mg crystals labelled by EAM.
    if not train_set.exists():
        mtp("assyst", "--element", "Mg", "--atomic-volume", 22.87, "--max-atoms", 4,
            "--space-groups", "1-3,191-194,221-229", "--triax-count", 2, "--shear-count", 2,
            "--rattle-count", 2, "--seed", 7, "--calculator", f"eam:{a.eam}", "-o", train_set, "--quiet")
    # 2. Fit.
    if not fitted.exists():
        mtp("basis", "--level", a.level, "--species-count", 1, "--min-dist", 1.8, "--max-dist", 5.5, "-o", initial)
        t0 = time.perf_counter()
        mtp_engine.train(initial, train_set, fitted, max_iter=a.max_iter, quiet=False)
        print(f"trained in {time.perf_counter() - t0:.1f} s -> {fitted}")

    # 3. Active set (saved as mg.mtp.activeset) and the grade of the start.
    atoms = bulk("Mg", "hcp", a=A, c=A * COVERA).repeat((4, 4, 3))
    active_set = work / "mg.mtp.activeset"
    start_grade = mtp_engine.grade(fitted, train_set, [atoms], species=["Mg"], active_set=active_set)[0]
    print(f"grade of perfect hcp Mg (mtp grade): {start_grade:.3f}")

    # 4. MD with the engine as an ASE calculator, grading as it goes.
    calc = MTPCalculator(fitted, species=["Mg"], active_set=active_set)
    atoms.calc = calc
    rng = np.random.default_rng(a.seed)
    thermalize_momenta(atoms, temperature_K=300, rng=rng)
    md = Langevin(atoms, 1.0 * units.fs, temperature_K=300, friction=0.01 / units.fs, fixcm=False, rng=rng)
    n = len(atoms)
    print(f"{'step':>6} {'T (K)':>8} {'Epot (eV/atom)':>15} {'Etot (eV/atom)':>15} {'grade':>8}")
    largest = 0.0
    t0 = time.perf_counter()

    def report():
        nonlocal largest
        grade, _ = calc.get_grade(atoms)
        largest = max(largest, grade)
        epot = atoms.get_potential_energy() / n
        ekin = atoms.get_kinetic_energy() / n
        print(f"{md.nsteps:6d} {atoms.get_temperature():8.1f} {epot:15.6f} {epot + ekin:15.6f} {grade:8.3f}", flush=True)
        if grade > a.break_grade:
            raise Extrapolating(grade)

    md.attach(report, interval=a.every)
    try:
        md.run(a.steps)
    except Extrapolating as stop:
        print(f"stopped: grade {stop.args[0]:.2f} > {a.break_grade} (extrapolating; add such configurations to the training set)")
    wall = time.perf_counter() - t0
    print(f"{md.nsteps} steps in {wall:.1f} s ({md.nsteps / wall:.1f} steps/s, grading included); "
          f"largest grade {largest:.3f}")

    # The last frame against the reference the potential was fitted to.
    try:
        from ase.calculators.eam import EAM

        ref = atoms.copy()
        ref.calc = EAM(potential=a.eam)
        de = abs(ref.get_potential_energy() - atoms.get_potential_energy()) / n * 1000
        df = np.sqrt(np.mean((ref.get_forces() - atoms.get_forces()) ** 2))
        print(f"last frame, MTP vs EAM: energy {de:.2f} meV/atom, force RMSE {df:.3f} eV/A")
    except Exception as e:  # ASE's EAM reader is optional here
        print(f"(no EAM comparison: {e})")


if __name__ == "__main__":
    main()
