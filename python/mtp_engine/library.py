"""Loading the engine's C library (libMTPC.so) with ctypes.

Where the library is looked for, first match wins:

1. the ``path`` argument of :func:`load_library`,
2. the environment variable ``MTPC_LIBRARY`` (a file),
3. the copy installed with this package (``mtp_engine/_bin/libMTPC.so``,
   put there by ``pip install ./python`` after the Swift build),
4. ``.build/release/libMTPC.so`` and ``out/libMTPC.so`` of the repository
   the package was installed from, and of the current directory.
"""

from __future__ import annotations

import ctypes
import json
import os
from pathlib import Path

ABI_VERSION = 1
LIBRARY_NAME = "libMTPC.so"
_PACKAGE = Path(__file__).resolve().parent

_loaded: dict[str, ctypes.CDLL] = {}


class EngineError(RuntimeError):
    """An error reported by the engine (bad file, bad configuration, ...)."""


def build_dir() -> Path | None:
    """The Swift build directory recorded when the package was installed."""
    try:
        info = json.loads((_PACKAGE / "_build.json").read_text())
    except (OSError, ValueError):
        return None
    d = info.get("build_dir")
    return Path(d) if d else None


def _candidates() -> list[Path]:
    out = []
    env = os.environ.get("MTPC_LIBRARY")
    if env:
        return [Path(env)]
    out.append(_PACKAGE / "_bin" / LIBRARY_NAME)
    recorded = build_dir()
    if recorded:
        out.append(recorded / LIBRARY_NAME)
    for root in [_PACKAGE.parent.parent, Path.cwd()]:
        out += [root / ".build" / "release" / LIBRARY_NAME, root / "out" / LIBRARY_NAME]
    return out


def find_library() -> Path:
    tried = _candidates()
    for p in tried:
        if p.is_file():
            return p
    raise EngineError(
        "the engine library libMTPC.so was not found (tried: " + ", ".join(map(str, tried)) + "); "
        "build it with `swift build -c release --product MTPC` (or `bash install.sh`) and reinstall "
        "the package, or set MTPC_LIBRARY to its path"
    )


def _declare(lib: ctypes.CDLL) -> None:
    c_int32_p = ctypes.POINTER(ctypes.c_int32)
    c_double_p = ctypes.POINTER(ctypes.c_double)
    vp, cp, i64 = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int64
    lib.mtpc_abi_version.restype = ctypes.c_int32
    lib.mtpc_abi_version.argtypes = []
    lib.mtpc_load.restype = vp
    lib.mtpc_load.argtypes = [cp, cp, i64]
    lib.mtpc_free.restype = None
    lib.mtpc_free.argtypes = [vp]
    lib.mtpc_cutoff.restype = ctypes.c_double
    lib.mtpc_cutoff.argtypes = [vp]
    lib.mtpc_species_count.restype = ctypes.c_int32
    lib.mtpc_species_count.argtypes = [vp]
    geometry = [vp, i64, c_int32_p, c_double_p, c_double_p, c_int32_p]
    lib.mtpc_evaluate.restype = ctypes.c_int32
    lib.mtpc_evaluate.argtypes = geometry + [c_double_p] * 4 + [cp, i64]
    lib.mtpc_load_active_set.restype = ctypes.c_int32
    lib.mtpc_load_active_set.argtypes = [vp, cp, cp, i64]
    lib.mtpc_grade.restype = ctypes.c_int32
    lib.mtpc_grade.argtypes = geometry + [c_double_p, c_double_p, c_int32_p, cp, i64]


def load_library(path: str | os.PathLike | None = None) -> ctypes.CDLL:
    """The engine's C library, loaded once per path and checked for its interface version."""
    p = Path(path) if path is not None else find_library()
    key = str(p.resolve()) if p.exists() else str(p)
    if key in _loaded:
        return _loaded[key]
    try:
        lib = ctypes.CDLL(key)
    except OSError as e:
        raise EngineError(f"cannot load the engine library {key}: {e}") from None
    _declare(lib)
    v = lib.mtpc_abi_version()
    if v != ABI_VERSION:
        raise EngineError(f"{key} has interface version {v}, this package needs {ABI_VERSION}; "
                          "rebuild the library and reinstall the package from the same checkout")
    _loaded[key] = lib
    return lib
