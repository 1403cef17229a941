import os
import subprocess
from pathlib import Path

import pytest
from ase import Atoms

from mtp_engine import mtp_executable

from cfgfile import read_cfg

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# fixture name -> element symbols of its types 0, 1, ...
SETS = {"cubic-08": ["Cu"], "cubic-16": ["Cu"], "multi-10": ["Cu", "Ag", "Au"]}


def atoms_of(frame, symbols):
    cell = frame["cell"]
    return Atoms(symbols=[symbols[t] for t in frame["types"]], positions=frame["positions"],
                 cell=cell if cell is not None else None, pbc=cell is not None)


def run_mtp(*args):
    p = subprocess.run([mtp_executable(), *map(str, args)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p


@pytest.fixture(scope="session")
def fixtures():
    return FIXTURES
