import shutil

import numpy as np
from ase.io import read as ase_read

import mtp_engine
from mtp_engine import MTPCalculator

from cfgfile import read_cfg
from conftest import SETS, cfg_path, pot_path, atoms_of, run_mtp


def test_grades_through_library_match_mtp_grade(tmp_path):
    pot = tmp_path / "pot.mtp"
    shutil.copy(pot_path("cubic-08"), pot)
    train = cfg_path("cubic-08")
    frames = [atoms_of(f, ["Cu"]) for f in read_cfg(train)]
    n = len(frames)
    # Configurations outside the training data too: strained and shaken copies.
    rng = np.random.default_rng(3)
    for a in frames[:4]:
        b = a.copy()
        b.set_cell(b.cell.array * 1.15, scale_atoms=True)
        b.positions += 0.2 * rng.standard_normal(b.positions.shape)
        frames.append(b)
    grades = mtp_engine.grade(pot, train, frames)
    assert (tmp_path / "pot.mtp.activeset").is_file()
    assert len(grades) == len(frames)
    assert grades[:n].max() <= 1 + 1e-6  # the training set interpolates
    assert grades[n:].max() > 1.001  # the strained copies extrapolate
    calc = MTPCalculator(pot, active_set=tmp_path / "pot.mtp.activeset")
    for a, g in zip(frames, grades):
        mine, per_atom = calc.get_grade(a)
        assert per_atom is None
        assert abs(mine - g) <= 1e-8 * max(1, g), (mine, g)  # mtp grade prints 9 digits


def test_train_wrapper(tmp_path):
    data = cfg_path("cubic-08")
    run_mtp("basis", "--level", 6, "--species-count", 1, "--min-dist", 2.0, "--max-dist", 5.0, "-o", tmp_path / "init.mtp")
    out = mtp_engine.train(tmp_path / "init.mtp", data, tmp_path / "fit.mtp", max_iter=30)
    frames = read_cfg(data)
    calc = MTPCalculator(out)
    labels, fitted = [], []
    for f in frames:
        a = atoms_of(f, ["Cu"])
        a.calc = calc
        labels.append(f["energy"] / len(a))
        fitted.append(a.get_potential_energy() / len(a))
    labels, fitted = np.array(labels), np.array(fitted)
    rmse = np.sqrt(np.mean((labels - fitted) ** 2))
    # Better than the best constant energy per atom (the spread of the labels).
    assert rmse < 0.5 * labels.std(), (rmse, labels.std())


def test_wrappers_accept_atoms(tmp_path):
    frames = [atoms_of(f, ["Cu"]) for f in read_cfg(cfg_path("cubic-08"))]
    labelled = []
    calc = MTPCalculator(pot_path("cubic-08"))
    for a in frames[:6]:
        a.calc = calc
        a.get_potential_energy()
        a.get_stress()
        from ase.calculators.singlepoint import SinglePointCalculator
        b = a.copy()
        b.calc = SinglePointCalculator(b, energy=a.get_potential_energy(), forces=a.get_forces(), stress=a.get_stress())
        labelled.append(b)
    pot = tmp_path / "pot.mtp"
    shutil.copy(pot_path("cubic-08"), pot)
    grades = mtp_engine.grade(pot, labelled, labelled, species=["Cu"])
    assert grades.max() <= 1 + 1e-6
