"""Python face of the mtp engine: an ASE calculator backed by the Swift
evaluator (through its C library, libMTPC.so) and wrappers of
``mtp train`` and ``mtp grade``. See docs/python.md of the repository."""

from .calculator import MTPCalculator
from .library import EngineError, find_library, load_library
from .potential import Potential, Result
from .tools import grade, mtp_executable, train

__all__ = ["MTPCalculator", "Potential", "Result", "EngineError", "find_library", "load_library",
           "train", "grade", "mtp_executable"]
__version__ = "0.1.0"
