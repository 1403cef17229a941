#!/usr/bin/env python3
"""Energy + forces + stress of every configuration of an MLIP .cfg file with motep.

    python3 motep_efs.py POT.mtp IN.cfg [--output OUT.cfg] [--repeat N]
                         [--limit K] [--engine cext] [--check REF.cfg]

motep (PyPI `motep`, tested with 0.2.0) is driven the way its own
`motep evaluate` command drives it (motep.evaluate.evaluator.Evaluator):

- the potential is read with `motep.io.mlip.mtp.read_mtp`,
- the configurations with motep's own MLIP .cfg reader
  (`motep.io.mlip.cfg.read_cfg`, ASE Atoms; type t -> dummy species t),
- every configuration gets a `motep.calculator.MTP` ASE calculator with the
  compiled C-extension engine (`engine="cext"`, mode "run": motep's default
  and fastest engine installed; the alternatives are the pure-numpy engine
  and numba/jax engines whose JIT packages are not installed), and
  `get_potential_energy()` runs one energy+forces+stress evaluation
  (neighbour list with ASE's PrimitiveNeighborList, then the C kernel
  `_mtp_cext.calc_run`); forces and stress come from the same call.
- with --output, the results are written with motep's `write_cfg`
  (MLIP .cfg with Energy, forces, PlusStress), as `mlp calc-efs` does.

Prints JSON: read/compute/write times (seconds), atoms and configurations,
microseconds per atom for the compute alone (neighbour list + kernel), for
the kernel alone (the engine's `_calculate`: C kernel plus its numpy
post-processing, no neighbour list), and for read+compute+write
("total", the in-process analogue of MLIP's whole-command figure; the
interpreter start-up and imports are reported separately as import_s).
With --repeat N the compute loop runs N times and the best is reported.
With --check REF.cfg the results are compared with the energies, forces and
PlusStress of REF.cfg (e.g. MLIP's calc-efs output), over the configurations
present in both.
"""

from __future__ import annotations

import time

_T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

import motep  # noqa: E402, F401
from motep.calculator import MTP, make_mtp_engine  # noqa: E402
from motep.io.mlip.cfg import read_cfg, write_cfg  # noqa: E402
from motep.io.mlip.mtp import read_mtp  # noqa: E402

_T_IMPORTED = time.perf_counter()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cfgtools  # noqa: E402


_KERNEL = {"s": 0.0}


def _time_kernel(engine: str) -> None:
    """Accumulate the time spent in the engine's `_calculate` (the compiled
    kernel and its numpy pre/post-processing, without the neighbour list)."""
    cls = make_mtp_engine(engine)
    inner = cls._calculate

    def timed(self, atoms):
        t0 = time.perf_counter()
        try:
            return inner(self, atoms)
        finally:
            _KERNEL["s"] += time.perf_counter() - t0

    cls._calculate = timed


def evaluate(images, mtp_data, engine: str):
    """One energy+forces+stress call per configuration, as `motep evaluate` does."""
    results = []
    for atoms in images:
        atoms.calc = MTP(mtp_data, engine=engine, mode="run")
        e = atoms.get_potential_energy()  # computes energy, forces, stress at once
        f = atoms.get_forces()
        s = atoms.get_stress() if atoms.cell.rank == 3 else None
        results.append((e, f, s))
    return results


def to_cfgs(images, results) -> list:
    out = []
    for atoms, (e, f, s) in zip(images, results):
        c = cfgtools.Cfg()
        c.size = len(atoms)
        c.energy = float(e)
        c.forces = np.asarray(f)
        if s is not None:
            w = -np.asarray(s) * atoms.get_volume()  # PlusStress = -sigma * V
            c.plus_stress = dict(zip(cfgtools.STRESS_KEYS, map(float, w)))
        out.append(c)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pot")
    p.add_argument("cfg")
    p.add_argument("--output", "-o", default=None, help="write results as MLIP .cfg")
    p.add_argument("--repeat", type=int, default=1, help="compute loop repetitions (best reported)")
    p.add_argument("--limit", type=int, default=None, help="first K configurations only")
    p.add_argument("--engine", default="cext", help="motep engine (default cext, the compiled one)")
    p.add_argument("--check", default=None, help="reference .cfg to compare with")
    args = p.parse_args()

    t0 = time.perf_counter()
    mtp_data = read_mtp(args.pot)
    index = ":" if args.limit is None else f":{args.limit}"
    images = read_cfg(args.cfg, index=index)
    if not isinstance(images, list):
        images = [images]
    mtp_data.species = list(range(mtp_data.species_count))
    t_read = time.perf_counter() - t0

    _time_kernel(args.engine)
    times, kernel = [], []
    results = None
    for _ in range(max(1, args.repeat)):
        _KERNEL["s"] = 0.0
        t0 = time.perf_counter()
        results = evaluate(images, mtp_data, args.engine)
        times.append(time.perf_counter() - t0)
        kernel.append(_KERNEL["s"])
    t_compute = min(times)
    t_kernel = min(kernel)

    t_write = 0.0
    if args.output:
        t0 = time.perf_counter()
        write_cfg(args.output, images, species=list(range(mtp_data.species_count)))
        t_write = time.perf_counter() - t0

    natoms = int(sum(len(a) for a in images))
    total = t_read + t_compute + t_write
    report = {
        "program": "motep",
        "motep_version": getattr(motep, "__version__", None) or _dist_version("motep"),
        "engine": args.engine,
        "potential": args.pot,
        "input": args.cfg,
        "configurations": len(images),
        "atoms": natoms,
        "import_s": _T_IMPORTED - _T_START,
        "read_s": t_read,
        "compute_s": t_compute,
        "compute_all_s": times,
        "kernel_s": t_kernel,
        "write_s": t_write,
        "total_s": total,
        "us_per_atom_compute": 1e6 * t_compute / natoms,
        "us_per_atom_total": 1e6 * total / natoms,
        "us_per_atom_kernel": 1e6 * t_kernel / natoms,
    }
    if args.check:
        t0 = time.perf_counter()
        ref = cfgtools.read_cfg(args.check, len(images))
        report["check"] = {"reference": args.check, **cfgtools.compare(to_cfgs(images, results), ref)}
        report["check_s"] = time.perf_counter() - t0
    json.dump(report, sys.stdout, indent=1)
    print()


def _dist_version(name: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:  # noqa: BLE001
        return None


if __name__ == "__main__":
    main()
