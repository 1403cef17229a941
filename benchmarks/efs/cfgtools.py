#!/usr/bin/env python3
"""Small, dependency-light reader of MLIP .cfg files, and a comparer.

Used by the EFS benchmark to check that two evaluators did the same work
(same energies, forces and PlusStress on the same configurations).

    python3 cfgtools.py compare A.cfg B.cfg [--limit N]

    python3 cfgtools.py stats IN.cfg
    python3 cfgtools.py head IN.cfg OUT.cfg COUNT

compare prints JSON with the largest differences: energy per atom (eV/atom), force
component (eV/A) and PlusStress component (eV), over the first N
configurations present in both files (all if N is absent).
"""

from __future__ import annotations

import argparse
import json
import re
import sys

import numpy as np


class Cfg:
    """One configuration: what the benchmark needs of it."""

    __slots__ = ("size", "cell", "types", "positions", "forces", "energy", "plus_stress")

    def __init__(self) -> None:
        self.size = 0
        self.cell = None  # 3x3 rows = lattice vectors, or None
        self.types = None
        self.positions = None  # Cartesian, N x 3
        self.forces = None  # N x 3 or None
        self.energy = None
        self.plus_stress = None  # dict xx, yy, zz, yz, xz, xy


def read_cfg(path: str, limit: int | None = None) -> list[Cfg]:
    """Read configurations of an MLIP .cfg file (Cartesian or direct coordinates)."""
    out: list[Cfg] = []
    with open(path, encoding="utf-8") as fd:
        lines = iter(fd)
        for line in lines:
            if not line.startswith("BEGIN_CFG"):
                continue
            if limit is not None and len(out) >= limit:
                break
            c = Cfg()
            direct = None
            for line in lines:
                w = line.split()
                if not w:
                    continue
                key = w[0]
                if key == "END_CFG":
                    break
                if key == "Size":
                    c.size = int(next(lines).split()[0])
                elif key in ("Supercell", "SuperCell"):
                    rows = []
                    # 1-3 rows; stop at the first line that is not 3 numbers
                    while True:
                        pos = next(lines)
                        ws = pos.split()
                        try:
                            rows.append([float(x) for x in ws])
                        except ValueError:
                            line = pos
                            break
                        if len(rows) == 3:
                            line = None
                            break
                    c.cell = np.array(rows)
                    if line is not None:  # the look-ahead line is a key
                        w = line.split()
                        key = w[0] if w else ""
                        if key == "END_CFG":
                            break
                        if key in ("AtomData:", "Atomic_data:"):
                            direct = _read_atoms(c, w[1:], lines)
                        continue
                elif key in ("AtomData:", "Atomic_data:"):
                    direct = _read_atoms(c, w[1:], lines)
                elif key == "Energy":
                    c.energy = float(next(lines).split()[0])
                elif key == "PlusStress:":
                    c.plus_stress = dict(zip(w[1:], _numbers(next(lines), len(w) - 1)))
            if direct is not None and c.cell is not None:
                c.positions = direct @ c.cell
            out.append(c)
    return out


def _numbers(line: str, count: int) -> list[float]:
    """`count` numbers of a line; fixed-format fields that overflowed their
    width and ran together (e.g. "-12784.16194-12757.83393", written with
    %12.5f) are split on their decimals."""
    ws = line.split()
    if len(ws) != count:
        m = re.search(r"\.(\d+)$", ws[-1]) if ws else None  # the last field ends the line
        if m:
            ws = re.findall(r"[-+]?\d*\.\d{%d}" % len(m.group(1)), line)
        if len(ws) != count:
            raise ValueError(f"expected {count} numbers: {line!r}")
    return [float(x) for x in ws]


def _read_atoms(c: Cfg, cols: list[str], lines) -> np.ndarray | None:
    rows = [next(lines).split() for _ in range(c.size)]
    a = np.array(rows, dtype=float).reshape(c.size, len(cols))
    idx = {k: i for i, k in enumerate(cols)}
    if "type" in idx:
        c.types = a[:, idx["type"]].astype(int)
    direct = None
    if all(k in idx for k in ("cartes_x", "cartes_y", "cartes_z")):
        c.positions = a[:, [idx["cartes_x"], idx["cartes_y"], idx["cartes_z"]]]
    elif all(k in idx for k in ("direct_x", "direct_y", "direct_z")):
        direct = a[:, [idx["direct_x"], idx["direct_y"], idx["direct_z"]]]
    if all(k in idx for k in ("fx", "fy", "fz")):
        c.forces = a[:, [idx["fx"], idx["fy"], idx["fz"]]]
    return direct


STRESS_KEYS = ("xx", "yy", "zz", "yz", "xz", "xy")


def compare(a: list[Cfg], b: list[Cfg]) -> dict:
    """Largest differences between two lists of evaluated configurations."""
    n = min(len(a), len(b))
    de, df, ds = 0.0, 0.0, 0.0
    fmax, smax = 0.0, 0.0
    worst = {"energy": -1, "force": -1, "stress": -1}
    for k in range(n):
        x, y = a[k], b[k]
        if x.size != y.size:
            raise ValueError(f"configuration {k}: sizes differ ({x.size} vs {y.size})")
        if x.energy is not None and y.energy is not None:
            d = abs(x.energy - y.energy) / x.size
            if d > de:
                de, worst["energy"] = d, k
        if x.forces is not None and y.forces is not None:
            d = float(np.max(np.abs(x.forces - y.forces))) if x.size else 0.0
            fmax = max(fmax, float(np.max(np.abs(y.forces))) if y.size else 0.0)
            if d > df:
                df, worst["force"] = d, k
        if x.plus_stress is not None and y.plus_stress is not None:
            d = max(abs(x.plus_stress[s] - y.plus_stress[s]) for s in STRESS_KEYS)
            smax = max(smax, max(abs(y.plus_stress[s]) for s in STRESS_KEYS))
            if d > ds:
                ds, worst["stress"] = d, k
    return {
        "configurations": n,
        "max_energy_diff_eV_per_atom": de,
        "max_force_diff_eV_per_A": df,
        "max_plus_stress_diff_eV": ds,
        "max_abs_force_in_b": fmax,
        "max_abs_plus_stress_in_b": smax,
        "worst_configuration": worst,
    }


def head(src: str, dst: str, count: int) -> int:
    """Copy the first `count` configurations of src to dst, verbatim."""
    n = 0
    with open(src, encoding="utf-8") as fi, open(dst, "w", encoding="utf-8") as fo:
        for line in fi:
            if line.startswith("BEGIN_CFG"):
                if n == count:
                    break
                n += 1
            if n:
                fo.write(line)
    return n


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare", help="largest differences between two .cfg files")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--limit", type=int, default=None)
    s = sub.add_parser("stats", help="number of configurations and atoms")
    s.add_argument("cfg")
    h = sub.add_parser("head", help="copy the first COUNT configurations")
    h.add_argument("src")
    h.add_argument("dst")
    h.add_argument("count", type=int)
    args = p.parse_args()
    if args.cmd == "head":
        print(head(args.src, args.dst, args.count))
        return
    if args.cmd == "compare":
        r = compare(read_cfg(args.a, args.limit), read_cfg(args.b, args.limit))
        json.dump(r, sys.stdout, indent=1)
        print()
    else:
        cfgs = read_cfg(args.cfg)
        print(json.dumps({"configurations": len(cfgs), "atoms": int(sum(c.size for c in cfgs))}))


if __name__ == "__main__":
    main()
