"""docs/dft/gpaw_mg_k6.py at k density 8.0 (a 19x19x10 mesh for the 2-atom
hcp cell): the k-convergence check of the GPAW elastic constants in
docs/dft.md (`--reference ase:docs/dft/gpaw_mg_k8.py`).
"""
from gpaw import GPAW, PW


def calculator():
    return GPAW(mode=PW(400), xc='PBE', setups={'Mg': '2'},
                kpts={'density': 8.0, 'gamma': True},
                occupations={'name': 'fermi-dirac', 'width': 0.1},
                txt=None)
