"""Build hook: put the engine's C library (libMTPC.so) into the package.

The library comes from the Swift build of this repository
(`swift build -c release --product MTPC`, or `bash install.sh`). The build
directory is $MTP_BUILD_DIR if set, else the first of ../.build/release and
../out that holds libMTPC.so. Its absolute path is also recorded in
mtp_engine/_build.json so that the wrappers of `mtp train` and `mtp grade`
find the `mtp` executable beside it. Without a built library the package
still installs, and the library is looked up at run time instead
($MTPC_LIBRARY; see mtp_engine/library.py).
"""

import json
import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
LIBRARY = "libMTPC.so"


def build_dir():
    env = os.environ.get("MTP_BUILD_DIR")
    candidates = [Path(env)] if env else [HERE.parent / ".build" / "release", HERE.parent / "out"]
    for c in candidates:
        if (c / LIBRARY).is_file():
            return c.resolve()
    if env:
        raise SystemExit(f"MTP_BUILD_DIR={env} has no {LIBRARY}; build it with `swift build -c release --product MTPC`")
    return None


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "mtp_engine"
        found = build_dir()
        info = {"build_dir": str(found) if found else None}
        if found:
            (target / "_bin").mkdir(parents=True, exist_ok=True)
            shutil.copy2(found / LIBRARY, target / "_bin" / LIBRARY)
        (target / "_build.json").write_text(json.dumps(info) + "\n")


class BinaryDistribution(Distribution):
    """The wheel holds a compiled library: tag it for this platform."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
