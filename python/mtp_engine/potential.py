"""A trained potential evaluated by the engine (through its C library)."""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass

import numpy as np

from .library import EngineError, load_library

_ERROR_CAPACITY = 4096


@dataclass
class Result:
    """One evaluation: energy (eV), forces (n x 3, eV/A), virial (eV, Voigt
    xx yy zz yz xz xy, MLIP's W = -sigma V) and per-atom site energies (eV)."""

    energy: float
    forces: np.ndarray
    virial: np.ndarray
    energies: np.ndarray


def _geometry(species, positions, cell, pbc):
    species = np.ascontiguousarray(species, dtype=np.int32)
    positions = np.ascontiguousarray(positions, dtype=np.float64)
    n = len(species)
    if species.ndim != 1:
        raise ValueError("species must be a one-dimensional sequence of type indices")
    if positions.shape != (n, 3):
        raise ValueError(f"positions must have shape ({n}, 3), not {positions.shape}")
    cell = np.ascontiguousarray(np.zeros((3, 3)) if cell is None else cell, dtype=np.float64)
    if cell.shape != (3, 3):
        raise ValueError(f"cell must have shape (3, 3), not {cell.shape}")
    pbc = np.ascontiguousarray(np.broadcast_to(np.asarray(pbc, dtype=bool), (3,)), dtype=np.int32)
    return n, species, positions, cell, pbc


def _ptr(a, kind):
    return a.ctypes.data_as(ctypes.POINTER(kind))


class Potential:
    """A trained MTP (.mtp file) loaded into the engine.

    >>> pot = Potential("pot.mtp")
    >>> r = pot.evaluate(species, positions, cell, pbc=True)

    Species are the potential's type indices 0 .. species_count - 1. One
    object is not thread-safe (it reuses its buffers between calls).
    """

    def __init__(self, path: str | os.PathLike, library: str | os.PathLike | None = None):
        self.path = os.fspath(path)
        self._lib = load_library(library)
        err = ctypes.create_string_buffer(_ERROR_CAPACITY)
        handle = self._lib.mtpc_load(self.path.encode(), err, _ERROR_CAPACITY)
        if not handle:
            raise EngineError(err.value.decode(errors="replace"))
        self._handle = ctypes.c_void_p(handle)
        self.cutoff = float(self._lib.mtpc_cutoff(self._handle))
        self.species_count = int(self._lib.mtpc_species_count(self._handle))
        self.active_set: str | None = None

    def close(self) -> None:
        if getattr(self, "_handle", None):
            self._lib.mtpc_free(self._handle)
            self._handle = None

    def __del__(self):
        self.close()

    def _check(self, status: int, err) -> None:
        if status != 0:
            raise EngineError(err.value.decode(errors="replace"))

    def _live(self):
        if not self._handle:
            raise EngineError("the potential was closed")
        return self._handle

    def evaluate(self, species, positions, cell=None, pbc=False) -> Result:
        """Energy, forces, virial and site energies of one configuration."""
        n, species, positions, cell, pbc = _geometry(species, positions, cell, pbc)
        energy = ctypes.c_double(0)
        forces = np.zeros((n, 3))
        virial = np.zeros(6)
        energies = np.zeros(n)
        err = ctypes.create_string_buffer(_ERROR_CAPACITY)
        status = self._lib.mtpc_evaluate(
            self._live(), n, _ptr(species, ctypes.c_int32), _ptr(positions, ctypes.c_double),
            _ptr(cell, ctypes.c_double), _ptr(pbc, ctypes.c_int32), ctypes.byref(energy),
            _ptr(forces, ctypes.c_double), _ptr(virial, ctypes.c_double), _ptr(energies, ctypes.c_double),
            err, _ERROR_CAPACITY)
        self._check(status, err)
        return Result(energy.value, forces, virial, energies)

    def load_active_set(self, path: str | os.PathLike) -> None:
        """Loads the active set `mtp grade` saved (POT.activeset) for :meth:`grade`."""
        err = ctypes.create_string_buffer(_ERROR_CAPACITY)
        self._check(self._lib.mtpc_load_active_set(self._live(), os.fspath(path).encode(), err, _ERROR_CAPACITY), err)
        self.active_set = os.fspath(path)

    def grade(self, species, positions, cell=None, pbc=False):
        """The extrapolation grade of one configuration and, for a set of
        neighbourhood rows (``mtp grade --per-atom``), the per-atom grades
        (else None)."""
        n, species, positions, cell, pbc = _geometry(species, positions, cell, pbc)
        grade = ctypes.c_double(0)
        atoms = np.zeros(n)
        has_atoms = ctypes.c_int32(0)
        err = ctypes.create_string_buffer(_ERROR_CAPACITY)
        status = self._lib.mtpc_grade(
            self._live(), n, _ptr(species, ctypes.c_int32), _ptr(positions, ctypes.c_double),
            _ptr(cell, ctypes.c_double), _ptr(pbc, ctypes.c_int32), ctypes.byref(grade),
            _ptr(atoms, ctypes.c_double), ctypes.byref(has_atoms), err, _ERROR_CAPACITY)
        self._check(status, err)
        return grade.value, (atoms if has_atoms.value else None)
