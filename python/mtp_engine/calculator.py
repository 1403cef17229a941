"""An ASE calculator backed by the engine's evaluator."""

from __future__ import annotations

import numpy as np
from ase.calculators.calculator import Calculator, PropertyNotImplementedError, all_changes
from ase.data import atomic_numbers, chemical_symbols

from .potential import Potential


class MTPCalculator(Calculator):
    """Energies, forces, stress and per-atom energies of a trained MTP.

    Parameters
    ----------
    potential:
        Path of a trained ``.mtp`` file, or a :class:`Potential`.
    species:
        Chemical symbols (or atomic numbers) of the potential's types 0, 1, ...,
        e.g. ``["Cu", "Ag", "Au"]``. May be omitted for a one-species potential:
        every atom is then type 0 (the atoms must be of one element).
    active_set:
        The active set saved by ``mtp grade`` (``POT.activeset``), for
        :meth:`get_grade`.

    Units are ASE's: eV, eV/A, eV/A^3. ``stress`` (periodic cells only) is
    ASE's stress, -virial / volume in Voigt order xx yy zz yz xz xy;
    ``energies`` are the MTP site energies, which sum to ``energy``.
    ``free_energy`` equals ``energy`` (no electronic entropy).
    """

    implemented_properties = ["energy", "free_energy", "energies", "forces", "stress"]

    def __init__(self, potential, species=None, active_set=None, **kwargs):
        super().__init__(**kwargs)
        self.potential = potential if isinstance(potential, Potential) else Potential(potential)
        self.species = None
        if species is not None:
            numbers = [atomic_numbers[s] if isinstance(s, str) else int(s) for s in species]
            if len(numbers) != self.potential.species_count:
                raise ValueError(f"{len(numbers)} species given for a potential with species_count "
                                 f"{self.potential.species_count}")
            if len(set(numbers)) != len(numbers):
                raise ValueError(f"species {list(species)} name an element twice")
            self.species = numbers
        elif self.potential.species_count != 1:
            raise ValueError(f"the potential has {self.potential.species_count} species: pass species=[symbols of "
                             "types 0, 1, ...]")
        if active_set is not None:
            self.potential.load_active_set(active_set)

    @property
    def symbols(self) -> list[str] | None:
        """Chemical symbols of the potential's types (None when not given)."""
        return None if self.species is None else [chemical_symbols[z] for z in self.species]

    def types(self, atoms) -> np.ndarray:
        """The potential's type index of every atom."""
        numbers = atoms.get_atomic_numbers()
        if self.species is None:
            if len(set(numbers.tolist())) > 1:
                raise ValueError("the atoms hold several elements but the calculator was given no species list")
            return np.zeros(len(atoms), dtype=np.int32)
        index = {z: t for t, z in enumerate(self.species)}
        missing = sorted({chemical_symbols[z] for z in numbers.tolist() if z not in index})
        if missing:
            raise ValueError(f"element(s) {', '.join(missing)} are not species of the potential ({self.symbols})")
        return np.array([index[z] for z in numbers.tolist()], dtype=np.int32)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        periodic = bool(atoms.pbc.all())
        if "stress" in properties and not periodic:
            raise PropertyNotImplementedError("stress needs a cell periodic along all three axes")
        r = self.potential.evaluate(self.types(atoms), atoms.positions, atoms.cell.array, atoms.pbc)
        self.results = {
            "energy": r.energy,
            "free_energy": r.energy,
            "energies": r.energies,
            "forces": r.forces,
        }
        if periodic:
            self.results["stress"] = -r.virial / atoms.get_volume()

    def get_grade(self, atoms=None):
        """The extrapolation grade of ``atoms`` (needs ``active_set``): <= 1
        interpolates, > 1 extrapolates. Returns (grade, per-atom grades or None)."""
        atoms = self.atoms if atoms is None else atoms
        if atoms is None:
            raise ValueError("no atoms to grade")
        if self.potential.active_set is None:
            raise ValueError("no active set loaded: pass active_set= (the POT.activeset file `mtp grade` saves)")
        return self.potential.grade(self.types(atoms), atoms.positions, atoms.cell.array, atoms.pbc)

