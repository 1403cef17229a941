"""k-point convergence of the docs/dft.md Mg setting for elastic constants:
hcp Mg (2 atoms, a = 3.19 A, c/a = 1.62, ions at the ideal sites) at k
densities 3, 4, 6 and 8 per 1/A (or those given), the rest as docs/dft/gpaw_mg.py.

Per density: energy per atom, pressure, the stress anisotropy
sigma_xx - sigma_zz (what drives c/a in a relaxation: it is zero at the
relaxed c/a), and clamped-ion C11, C12, C13, C33 from stresses under +-0.5 %
uniaxial strains along x (a) and z (c). Clamped ions: under strain along z
the ions stay at their sites by symmetry (C13, C33 exact); along x hcp's
internal relaxation lowers C11 and raises C12 a little, the same at every
density, so the convergence of the differences is what matters here.
Run: .venv/bin/python docs/dft/convergence_k.py [densities...]
(writes docs/dft/convergence_k.dat, keeping the rows of other densities)
"""
import os
import sys
import time
import numpy as np
from ase.build import bulk
from gpaw import GPAW, PW

GPA = 160.21766208      # GPa per eV/A^3
STRAIN = 0.005
here = os.path.dirname(os.path.abspath(__file__))
densities = [float(d) for d in sys.argv[1:]] or [3.0, 4.0, 6.0, 8.0]


def stress(density, axis=None, e=0.0):
    """Energy per atom (eV), ASE stress (Voigt, GPa, tension positive), mesh and seconds."""
    atoms = bulk('Mg', 'hcp', a=3.19, c=3.19 * 1.62)
    if axis is not None:
        f = np.eye(3)
        f[axis, axis] += e
        atoms.set_cell(atoms.cell[:] @ f.T, scale_atoms=True)
    atoms.calc = GPAW(mode=PW(400), xc='PBE', setups={'Mg': '2'}, kpts={'density': density, 'gamma': True},
                      occupations={'name': 'fermi-dirac', 'width': 0.1}, txt=None)
    t = time.time()
    energy = atoms.get_potential_energy() / len(atoms)
    s = atoms.get_stress() * GPA
    return energy, s, 'x'.join(map(str, atoms.calc.wfs.kd.N_c)), time.time() - t


rows = []
for d in densities:
    e0, s0, mesh, t0 = stress(d)
    sx = [stress(d, 0, +STRAIN), stress(d, 0, -STRAIN)]
    sz = [stress(d, 2, +STRAIN), stress(d, 2, -STRAIN)]
    dx = (sx[0][1] - sx[1][1]) / (2 * STRAIN)
    dz = (sz[0][1] - sz[1][1]) / (2 * STRAIN)
    seconds = t0 + sum(r[3] for r in sx + sz)
    rows.append((d, mesh, e0, -s0[:3].mean(), s0[0] - s0[2], dx[0], dx[1], dz[0], dz[2], seconds))
    print(*rows[-1], flush=True)
# Rows of densities not run this time stay, so the table can grow in parts.
path = os.path.join(here, 'convergence_k.dat')
lines = {f'{d}': f'{d} {m} {e:.6f} {p:.4f} {an:.4f} {c11:.2f} {c12:.2f} {c13:.2f} {c33:.2f} {s:.1f}\n'
         for d, m, e, p, an, c11, c12, c13, c33, s in rows}
if os.path.exists(path):
    for line in open(path):
        if not line.startswith('#'):
            lines.setdefault(line.split()[0], line)
with open(path, 'w') as f:
    f.write('# kpt_density mesh E_per_atom_eV pressure_GPa sxx-szz_GPa C11 C12 C13 C33 (GPa, clamped ions, +-0.5 %) seconds_5_calcs\n')
    for key in sorted(lines, key=float):
        f.write(lines[key])
