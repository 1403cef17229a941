#!/usr/bin/env python3
"""Writes the two synthetic two-element setfl fixtures (A, B) the EAM tests use.

The functions are low-order polynomials so that the tabulated cubic
interpolation reproduces them exactly away from the table ends, which lets the
tests compare a dimer's energy with the closed form:

    rho_(a at b)(r) = c_ab (rc - r)^3      (eam/fs: four tables; eam/alloy: c_ab = c_a)
    F_a(rho)        = u_a rho + v_a rho^2
    r * phi_ab(r)   = k_ab (rc - r)^3

Run from this directory: python3 make-synthetic.py
"""
RC = 5.0
NR, DR = 401, 0.0125   # the r grid reaches the cutoff
NRHO, DRHO = 400, 0.01
ELEMENTS = ["A", "B"]
F = {"A": (-1.0, 0.12), "B": (-0.8, 0.10)}
DENSITY_FS = {("A", "A"): 0.020, ("A", "B"): 0.030, ("B", "A"): 0.015, ("B", "B"): 0.025}
DENSITY_ALLOY = {"A": 0.020, "B": 0.015}
PAIR = {("A", "A"): 0.040, ("B", "A"): 0.055, ("B", "B"): 0.050}


def table(f, n, d):
    return [f(k * d) for k in range(n)]


def cube(c):
    return lambda r: c * (RC - r) ** 3 if r < RC else 0.0


def lines(values, per_line=5):
    return ["".join(f"{v:24.16e}" for v in values[i:i + per_line]) for i in range(0, len(values), per_line)]


def write(path, fs):
    out = ["synthetic two-element setfl table for the EAM calculator tests",
           "functions: see make-synthetic.py (polynomials, not a physical potential)",
           "format: " + ("eam/fs" if fs else "eam/alloy"),
           f"2 {' '.join(ELEMENTS)}",
           f"{NRHO} {DRHO:.16e} {NR} {DR:.16e} {RC:.16e}"]
    for a in ELEMENTS:
        out.append(f"{1 if a == 'A' else 2} 1.0 3.0 fcc")
        u, v = F[a]
        out += lines(table(lambda rho: u * rho + v * rho * rho, NRHO, DRHO))
        if fs:
            for b in ELEMENTS:
                out += lines(table(cube(DENSITY_FS[(a, b)]), NR, DR))
        else:
            out += lines(table(cube(DENSITY_ALLOY[a]), NR, DR))
    for i, a in enumerate(ELEMENTS):
        for b in ELEMENTS[:i + 1]:
            out += lines(table(cube(PAIR[(a, b)]), NR, DR))
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


write("synthetic-AB.eam.fs", True)
write("synthetic-AB.eam.alloy", False)
