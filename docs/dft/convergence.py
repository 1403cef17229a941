"""Convergence of the docs/dft.md Mg setting: hcp Mg (2 atoms, a = 3.19 A,
c/a = 1.62) energy per atom and pressure against the plane-wave cut-off and
the k-point density, the others at the setting's values.
Run: .venv/bin/python docs/dft/convergence.py  (writes docs/dft/convergence.dat)"""
import os
import time
from ase.build import bulk
from gpaw import GPAW, PW

here = os.path.dirname(os.path.abspath(__file__))
rows = []
for cutoff, density in [(300, 3.0), (400, 3.0), (500, 3.0), (600, 3.0), (400, 2.0), (400, 4.0), (400, 5.0)]:
    atoms = bulk('Mg', 'hcp', a=3.19, c=3.19 * 1.62)
    atoms.calc = GPAW(mode=PW(cutoff), xc='PBE', setups={'Mg': '2'}, kpts={'density': density, 'gamma': True},
                      occupations={'name': 'fermi-dirac', 'width': 0.1}, txt=None)
    t = time.time()
    e = atoms.get_potential_energy() / len(atoms)
    p = -atoms.get_stress()[:3].mean() * 160.21766208
    rows.append((cutoff, density, atoms.calc.wfs.kd.N_c.tolist(), e, p, time.time() - t))
    print(*rows[-1], flush=True)
with open(os.path.join(here, 'convergence.dat'), 'w') as f:
    f.write('# cutoff_eV kpt_density mesh E_per_atom_eV pressure_GPa seconds\n')
    for c, d, m, e, p, s in rows:
        f.write(f"{c} {d} {'x'.join(map(str, m))} {e:.6f} {p:.4f} {s:.1f}\n")
