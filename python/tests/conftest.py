import subprocess
from pathlib import Path

from ase import Atoms

from mtp_engine import mtp_executable


# The MLIP reference fixtures of the Swift tests (the motep project's data, MIT licence; see the
# README there): per set and level, an MLIP-trained pot.mtp and 100 configurations.
FIXTURES = Path(__file__).resolve().parents[2] / "Tests" / "MTPTests" / "Fixtures" / "mlip-reference"

# set-level -> element symbols of the potential's types 0, 1, ...
SETS = {"cubic-08": ["Cu"], "cubic-16": ["Cu"], "multi-10": ["Cu", "Ag", "Au"]}


def pot_path(name):
    family, level = name.split("-")
    return FIXTURES / family / level / "pot.mtp"


def cfg_path(name):
    family, level = name.split("-")
    return FIXTURES / family / level / "calc-efs.first100.cfg"


def atoms_of(frame, symbols):
    cell = frame["cell"]
    return Atoms(symbols=[symbols[t] for t in frame["types"]], positions=frame["positions"],
                 cell=cell if cell is not None else None, pbc=cell is not None)


def run_mtp(*args):
    p = subprocess.run([mtp_executable(), *map(str, args)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p

