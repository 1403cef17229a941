import os

import numpy as np
import pytest
from ase import Atoms

from mtp_engine import EngineError, MTPCalculator, Potential

from cfgfile import read_cfg

try:  # ASE >= 3.23
    from ase.calculators.fd import calculate_numerical_forces, calculate_numerical_stress
except ImportError:  # older ASE: the calculator's own methods
    def calculate_numerical_forces(atoms, eps):
        return atoms.calc.calculate_numerical_forces(atoms, d=eps)

    def calculate_numerical_stress(atoms, eps):
        return atoms.calc.calculate_numerical_stress(atoms, d=eps)
from conftest import SETS, cfg_path, pot_path, atoms_of, run_mtp


def close(a, b, tol=1e-12):
    """|a - b| <= tol * max(1, |b|), elementwise."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.all(np.abs(a - b) <= tol * np.maximum(1.0, np.abs(b)))


@pytest.mark.parametrize("name", sorted(SETS))
def test_agrees_with_calc_efs(name, tmp_path):
    pot, cfg = pot_path(name), cfg_path(name)
    # MTP_TEST_CU_CFG: the whole shared Cu set (data/mlip-reference/cubic/training.cfg) for the Cu potentials.
    if name.startswith("cubic") and os.environ.get("MTP_TEST_CU_CFG"):
        cfg = os.environ["MTP_TEST_CU_CFG"]
    out = tmp_path / "efs.cfg"
    run_mtp("calc-efs", "--full-precision", pot, cfg, out)
    inputs, expected = read_cfg(cfg), read_cfg(out)
    assert len(inputs) == len(expected) >= 100
    calc = MTPCalculator(pot, species=SETS[name])
    worst = 0.0
    for frame, ref in zip(inputs, expected):
        atoms = atoms_of(frame, SETS[name])
        atoms.calc = calc
        e, f = atoms.get_potential_energy(), atoms.get_forces()
        w = -atoms.get_stress() * atoms.get_volume()
        assert close(e, ref["energy"]), (e, ref["energy"])
        assert close(f, ref["forces"])
        assert close(w, ref["plus_stress"])
        assert atoms.get_potential_energy(force_consistent=True) == e
        worst = max(worst, abs(e - ref["energy"]), np.abs(f - ref["forces"]).max(),
                    np.abs(w - ref["plus_stress"]).max())
    print(f"{name}: {len(inputs)} configurations, largest difference from mtp calc-efs {worst:.3g}")


def distorted(name="cubic-16", index=3, seed=1):
    frame = read_cfg(cfg_path(name))[index]
    atoms = atoms_of(frame, SETS[name])
    rng = np.random.default_rng(seed)
    atoms.set_cell(atoms.cell.array @ (np.eye(3) + 0.01 * rng.standard_normal((3, 3))), scale_atoms=True)
    atoms.positions += 0.03 * rng.standard_normal(atoms.positions.shape)
    return atoms


@pytest.mark.parametrize("name", sorted(SETS))
def test_stress_is_ase_convention(name):
    atoms = distorted(name)
    atoms.calc = MTPCalculator(pot_path(name), species=SETS[name])
    stress = atoms.get_stress()
    numerical = calculate_numerical_stress(atoms, eps=1e-5)
    scale = np.abs(numerical).max()
    assert scale > 1e-4  # a strained cell: the comparison means something
    assert np.abs(stress - numerical).max() <= 1e-6 * max(1.0, scale) + 1e-8, (stress, numerical)


def test_forces_are_minus_energy_gradient():
    atoms = distorted("multi-10")
    atoms.calc = MTPCalculator(pot_path("multi-10"), species=SETS["multi-10"])
    forces = atoms.get_forces()
    numerical = calculate_numerical_forces(atoms, eps=1e-5)
    assert np.abs(forces - numerical).max() < 1e-6


@pytest.mark.parametrize("name", sorted(SETS))
def test_site_energies_sum_to_energy(name):
    atoms = distorted(name)
    atoms.calc = MTPCalculator(pot_path(name), species=SETS[name])
    energies = atoms.get_potential_energies()
    assert energies.shape == (len(atoms),)
    assert np.ptp(energies) > 0  # distinct environments, distinct site energies
    assert abs(energies.sum() - atoms.get_potential_energy()) <= 1e-10 * len(atoms)


def test_images_and_wrapping_do_not_change_results():
    atoms = distorted("cubic-08")
    atoms.calc = MTPCalculator(pot_path("cubic-08"), species=["Cu"])
    e, f = atoms.get_potential_energy(), atoms.get_forces()
    moved = atoms.copy()
    moved.positions += np.array([2, -1, 3]) @ moved.cell.array  # whole lattice translations, atoms outside the cell
    moved.positions[0] -= moved.cell.array[1]
    moved.calc = atoms.calc
    assert abs(moved.get_potential_energy() - e) < 1e-10
    assert np.abs(moved.get_forces() - f).max() < 1e-10


def test_cluster_without_cell():
    atoms = Atoms("Cu4", positions=[[0, 0, 0], [2.5, 0, 0], [0, 2.5, 0], [0.3, 0.2, 2.4]])
    atoms.calc = MTPCalculator(pot_path("cubic-08"))
    e = atoms.get_potential_energy()
    assert np.isfinite(e)
    assert np.abs(atoms.get_forces().sum(axis=0)).max() < 1e-10  # no external force
    assert "stress" not in atoms.calc.results
    with pytest.raises(Exception, match="periodic"):
        atoms.get_stress()


def test_clear_errors(tmp_path):
    with pytest.raises(EngineError, match="nope.mtp"):
        Potential(tmp_path / "nope.mtp")
    bad = tmp_path / "bad.mtp"
    bad.write_text("MTP\nversion = 1.1.0\nspecies_count = x\n")
    with pytest.raises(EngineError, match="bad.mtp"):
        Potential(bad)
    with pytest.raises(ValueError, match="species"):
        MTPCalculator(pot_path("multi-10"))  # three species, none named
    calc = MTPCalculator(pot_path("multi-10"), species=["Cu", "Ag", "Au"])
    with pytest.raises(ValueError, match="Ni"):
        Atoms("CuNi", positions=[[0, 0, 0], [2.5, 0, 0]], calculator=calc).get_potential_energy()
    overlap = Atoms("Cu2", positions=[[0, 0, 0], [0, 0, 1e-5]], cell=[5, 5, 5], pbc=True,
                    calculator=MTPCalculator(pot_path("cubic-08")))
    with pytest.raises(EngineError, match="overlap"):
        overlap.get_potential_energy()
    pot = Potential(pot_path("cubic-08"))
    with pytest.raises(EngineError, match="species_count"):
        pot.evaluate([1], [[0, 0, 0]], np.eye(3) * 5, True)
    with pytest.raises(EngineError, match="non-finite"):
        pot.evaluate([0], [[np.nan, 0, 0]], np.eye(3) * 5, True)
    with pytest.raises(ValueError, match="shape"):
        pot.evaluate([0, 0], [[0, 0, 0]], np.eye(3) * 5, True)
    with pytest.raises(EngineError, match="active set"):
        pot.grade([0], [[0, 0, 0]], np.eye(3) * 5, True)
    pot.close()
    with pytest.raises(EngineError, match="closed"):
        pot.evaluate([0], [[0, 0, 0]], np.eye(3) * 5, True)
