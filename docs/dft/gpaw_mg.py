"""GPAW PBE setting for Mg used by docs/dft.md: `--calculator ase:docs/dft/gpaw_mg.py`.

Plane waves at 400 eV, the 2-electron Mg setup, a Gamma-centred k mesh of
density 3.0 points per 1/A (ASE's kpts density, 2 pi included) chosen from
each cell, Fermi-Dirac smearing of 0.1 eV. Swap this function's body for any
other ASE calculator (Vasp, Espresso, ...) and the rest stays the same.
"""
from gpaw import GPAW, PW


def calculator():
    return GPAW(mode=PW(400), xc='PBE', setups={'Mg': '2'},
                kpts={'density': 3.0, 'gamma': True},
                occupations={'name': 'fermi-dirac', 'width': 0.1},
                txt=None)
