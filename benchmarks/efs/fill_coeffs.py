#!/usr/bin/env python3
"""Give an untrained MLIP .mtp file deterministic coefficients.

    python3 fill_coeffs.py IN.mtp OUT.mtp [--seed N]

Writes OUT.mtp = IN.mtp with
- a `radial_coeffs` block in MLIP's layout (one "zi-zj" header per ordered
  species pair, then radial_funcs_count lines of radial_basis_size numbers),
  c[mu][k] = delta(mu, k) + U(-0.1, 0.1),
- `species_coeffs` = U(-1, 1) for each species,
- `moment_coeffs`  = U(-0.1, 0.1) for each of the alpha_scalar_moments,
- `scaling` = 0.3 / (max_dist - min_dist)^2 (so radial functions stay of
  order one and the energies and forces printed stay readable).
Coefficients the input already has (e.g. MLIP's default radial coefficients
written into a template) are replaced. CRLF input is accepted. Values come
from Python's `random.Random(seed)` (reproducible across Python versions),
so the same input always gives the same file.

Used by the EFS benchmark for potentials no trained file exists for: the
cost of an energy+forces+stress evaluation depends on the basis (level,
species count, radial sizes, cutoff), not on the coefficient values.
"""

from __future__ import annotations

import argparse
import random
import sys


def _value(lines: list[str], key: str) -> str:
    for line in lines:
        s = line.strip()
        if s.startswith(key) and "=" in s and s.split("=", 1)[0].strip() == key:
            return s.split("=", 1)[1].strip()
    raise SystemExit(f"fill_coeffs: '{key}' not found")


def fill(text: str, seed: int) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    S = int(_value(lines, "species_count"))
    K = int(_value(lines, "radial_funcs_count"))
    R = int(_value(lines, "radial_basis_size"))
    A = int(_value(lines, "alpha_scalar_moments"))
    rmin = float(_value(lines, "min_dist"))
    rmax = float(_value(lines, "max_dist"))
    scaling = 0.3 / (rmax - rmin) ** 2

    # Drop existing coefficients.
    kept: list[str] = []
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        if s == "radial_coeffs":
            i += 1 + S * S * (1 + K)
            continue
        key = s.split("=", 1)[0].strip() if "=" in s else None
        if key in ("species_coeffs", "moment_coeffs", "scaling"):
            i += 1
            continue
        kept.append(lines[i])
        i += 1

    rng = random.Random(seed)
    radial = ["\tradial_coeffs"]
    for zi in range(S):
        for zj in range(S):
            radial.append(f"\t\t{zi}-{zj}")
            for mu in range(K):
                row = [(1.0 if k == mu else 0.0) + rng.uniform(-0.1, 0.1) for k in range(R)]
                radial.append("\t\t\t{" + ", ".join(f"{c:.15e}" for c in row) + "}")
    species = [rng.uniform(-1.0, 1.0) for _ in range(S)]
    moments = [rng.uniform(-0.1, 0.1) for _ in range(A)]
    tail = [
        "species_coeffs = {" + ", ".join(f"{c:.15e}" for c in species) + "}",
        "moment_coeffs = {" + ", ".join(f"{c:.15e}" for c in moments) + "}",
    ]

    out: list[str] = []
    placed_radial = placed_tail = False
    placed_scaling = False
    for line in kept:
        out.append(line)
        key = line.strip().split("=", 1)[0].strip() if "=" in line else None
        if key == "potential_name":
            out.append(f"scaling = {scaling:.15e}")
            placed_scaling = True
        elif key == "radial_funcs_count":
            out.extend(radial)
            placed_radial = True
        elif key == "alpha_moment_mapping":
            out.extend(tail)
            placed_tail = True
    if not placed_radial:
        raise SystemExit("fill_coeffs: no radial_funcs_count line")
    if not placed_tail:
        out.extend(tail)
    if not placed_scaling:  # no potential_name: put it after the version line
        at = next((i for i, l in enumerate(out) if l.strip().startswith("version")), 0)
        out.insert(at + 1, f"scaling = {scaling:.15e}")
    return "\n".join(out) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--seed", type=int, default=20240601)
    a = p.parse_args()
    with open(a.input, encoding="utf-8", newline="") as f:
        text = f.read()
    result = fill(text, a.seed)
    if a.output == "-":
        sys.stdout.write(result)
    else:
        with open(a.output, "w", encoding="utf-8", newline="\n") as f:
            f.write(result)


if __name__ == "__main__":
    main()
