"""Thin wrappers of ``mtp train`` and ``mtp grade`` (run as subprocesses).

The ``mtp`` executable is looked for in this order: ``MTP_EXECUTABLE``, the
Swift build directory recorded when the package was installed, ``mtp`` on
PATH, ``.build/release/mtp`` and ``out/mtp`` of the current directory.
Training sets and configurations may be file paths (any format ``mtp``
reads) or lists of ASE ``Atoms`` (written to a temporary extended XYZ file;
their calculators' energy, forces and stress are the labels).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from .library import EngineError, build_dir


def mtp_executable() -> str:
    env = os.environ.get("MTP_EXECUTABLE")
    if env:
        return env
    recorded = build_dir()
    if recorded and (recorded / "mtp").is_file():
        return str(recorded / "mtp")
    on_path = shutil.which("mtp")
    if on_path:
        return on_path
    for p in [Path.cwd() / ".build" / "release" / "mtp", Path.cwd() / "out" / "mtp"]:
        if p.is_file():
            return str(p)
    raise EngineError("the `mtp` executable was not found: set MTP_EXECUTABLE, put it on PATH, "
                      "or build it with `swift build -c release --product mtp`")


def _run(args: list[str], quiet: bool) -> subprocess.CompletedProcess:
    cmd = [mtp_executable()] + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        msg = (p.stderr.strip() or p.stdout.strip()).splitlines()
        raise EngineError(f"`{' '.join(cmd)}` failed (exit {p.returncode}): " + (msg[-1] if msg else "no message"))
    if not quiet and p.stdout:
        print(p.stdout, end="")
    return p


def _as_file(data, directory: str, name: str) -> str:
    """A path as it is, or a list of Atoms written as extended XYZ."""
    if isinstance(data, (str, os.PathLike)):
        return os.fspath(data)
    from ase.io import write

    path = os.path.join(directory, name)
    write(path, list(data), format="extxyz")
    return path


def train(potential, training, output, *, species=None, max_iter: int | None = None,
          optimizer: str | None = None, args=(), quiet: bool = True) -> str:
    """``mtp train POTENTIAL TRAINING -o OUTPUT``; returns OUTPUT.

    ``species``: symbols of types 0, 1, ... (``--species``); needed when
    ``training`` holds Atoms of several elements so that their order is
    the potential's. ``args``: further options of ``mtp train``.
    """
    with tempfile.TemporaryDirectory() as tmp:
        extra = list(args)
        if species is not None:
            extra += ["--species", ",".join(species)]
        if max_iter is not None:
            extra += ["--max-iter", str(max_iter)]
        if optimizer is not None:
            extra += ["--optimizer", optimizer]
        _run(["train", os.fspath(potential), _as_file(training, tmp, "training.extxyz"),
              "-o", os.fspath(output)] + extra, quiet)
    return os.fspath(output)


def grade(potential, training, configurations, *, species=None, per_atom: bool = False,
          active_set=None, args=(), quiet: bool = True) -> np.ndarray:
    """Extrapolation grades of ``configurations`` (``mtp grade``), one per
    configuration. The active set is saved to ``active_set`` (default
    POTENTIAL.activeset) and reused while it matches; load it into an
    :class:`MTPCalculator` (``active_set=``) to grade during a simulation.
    """
    from ase.io import read

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "graded.extxyz")
        extra = list(args)
        if species is not None:
            extra += ["--species", ",".join(species)]
        if per_atom:
            extra.append("--per-atom")
        if active_set is not None:
            extra += ["--active-set", os.fspath(active_set)]
        _run(["grade", os.fspath(potential), _as_file(training, tmp, "training.extxyz"),
              _as_file(configurations, tmp, "input.extxyz"), out] + extra, quiet)
        frames = read(out, index=":", format="extxyz")
        return np.array([float(f.info["MV_grade"]) for f in frames])
