#!/usr/bin/env python3
"""Write hcp Mg supercells with small random displacements as an MLIP .cfg.

    python3 make_hcp_mg.py OUT.cfg [--count 50] [--repeat 4 4 3] [--seed 7]
                           [--displacement 0.05] [--strain 0.01]

hcp Mg with the lattice of the Mendelev et al. EAM potential
(../shared/data/potentials/Mg_mm.eam.fs: a = 3.1842 A, c/a = 1.6282).
Hexagonal cell a1 = (a, 0, 0), a2 = (-a/2, a sqrt(3)/2, 0), a3 = (0, 0, c),
atoms at (1/3, 2/3, 1/4) and (2/3, 1/3, 3/4); the default 4x4x3 supercell
holds 96 atoms. Each configuration gets a random symmetric strain with
components uniform in [-strain, strain] and Gaussian displacements of
standard deviation `displacement` (A) on every Cartesian component.
numpy's default_rng(seed) (PCG64) makes the file reproducible.

Only positions are written (id type cartes_x cartes_y cartes_z): an input
for `calc-efs`, not a training set.
"""

from __future__ import annotations

import argparse

import numpy as np

A = 3.1842
C_OVER_A = 1.6282


def supercells(count: int, rep: tuple[int, int, int], seed: int, disp: float, strain: float):
    a, c = A, A * C_OVER_A
    cell = np.array([[a, 0.0, 0.0], [-a / 2, a * np.sqrt(3.0) / 2, 0.0], [0.0, 0.0, c]])
    basis = np.array([[1 / 3, 2 / 3, 1 / 4], [2 / 3, 1 / 3, 3 / 4]])
    n1, n2, n3 = rep
    frac = np.array(
        [
            (b + [i, j, k]) / [n1, n2, n3]
            for i in range(n1)
            for j in range(n2)
            for k in range(n3)
            for b in basis
        ]
    )
    big = cell * np.array([[n1], [n2], [n3]])
    rng = np.random.default_rng(seed)
    for _ in range(count):
        e = rng.uniform(-strain, strain, (3, 3))
        e = 0.5 * (e + e.T)
        lat = big @ (np.eye(3) + e)
        pos = frac @ lat + rng.normal(0.0, disp, (len(frac), 3))
        yield lat, pos


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("output")
    p.add_argument("--count", type=int, default=50)
    p.add_argument("--repeat", type=int, nargs=3, default=[4, 4, 3])
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--displacement", type=float, default=0.05)
    p.add_argument("--strain", type=float, default=0.01)
    a = p.parse_args()
    with open(a.output, "w", encoding="utf-8") as f:
        for lat, pos in supercells(a.count, tuple(a.repeat), a.seed, a.displacement, a.strain):
            f.write("BEGIN_CFG\n Size\n")
            f.write(f"    {len(pos)}\n Supercell\n")
            for v in lat:
                f.write("    " + "".join(f"{x:16.10f}" for x in v) + "\n")
            f.write(" AtomData:  id type       cartes_x      cartes_y      cartes_z\n")
            for i, r in enumerate(pos):
                f.write(f"    {i + 1:8d} {0:4d} {r[0]:16.10f} {r[1]:16.10f} {r[2]:16.10f}\n")
            f.write("END_CFG\n\n")


if __name__ == "__main__":
    main()
