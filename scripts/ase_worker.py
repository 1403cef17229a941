"""The Python side of `--calculator ase:FILE.py` (Sources/Reference/ASECalculator.swift).

Started once per thread and MPI rank as `python ase_worker.py FILE.py`.
FILE.py defines `calculator()`, returning an ASE calculator. The protocol
is one JSON object per line on stdin and stdout:

  start:    the worker sends {"ready": true, "ase": VERSION, "calculator": NAME}
            or {"fatal": MESSAGE} and exits (missing ASE, bad FILE.py, ...).
  request:  {"numbers": [Z...], "cell": [[3]x3], "pbc": [b, b, b], "positions": [[3]...]}
  reply:    {"energy": E, "forces": [[3]...], "stress": [6] or null}
            (ASE's units and signs: eV, eV/A, eV/A^3 in Voigt order
            xx yy zz yz xz xy, positive under tension; stress only for
            cells periodic along all three axes)
            or {"error": "Type: message"} when the calculation raised; the
            worker then builds a fresh calculator for the next request.

Anything the calculator prints goes to stderr, never into the protocol.
"""
import importlib.util
import json
import math
import os
import sys
import traceback


def protocol_stream():
    """A private copy of stdout for replies; fd 1 then points at stderr so
    that calculators which print (GPAW's txt='-') cannot corrupt a reply."""
    fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(fd, "w", buffering=1)


def send(stream, obj):
    stream.write(json.dumps(obj) + "\n")
    stream.flush()


def load_factory(path):
    spec = importlib.util.spec_from_file_location("mtp_ase_calculator", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    factory = getattr(module, "calculator", None)
    if not callable(factory):
        raise RuntimeError(f"{path} defines no function calculator() returning an ASE calculator")
    return factory


def main():
    out = protocol_stream()
    if len(sys.argv) != 2:
        send(out, {"fatal": "usage: ase_worker.py FILE.py"})
        return 2
    try:
        import ase
        from ase import Atoms
    except Exception as e:  # noqa: BLE001 - any import failure is fatal and reported
        send(out, {"fatal": f"cannot import ASE with {sys.executable}: {e} "
                            "(run `bash scripts/python-env.sh`, or set MTP_PYTHON to a Python with ASE)"})
        return 1
    try:
        factory = load_factory(sys.argv[1])
        calc = factory()
        if calc is None or not hasattr(calc, "get_property"):
            raise RuntimeError(f"{sys.argv[1]}: calculator() returned {type(calc).__name__}, not an ASE calculator")
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        send(out, {"fatal": f"{type(e).__name__}: {e}"})
        return 1
    send(out, {"ready": True, "ase": ase.__version__, "calculator": type(calc).__name__})

    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            atoms = Atoms(numbers=req["numbers"], positions=req["positions"],
                          cell=req["cell"], pbc=req["pbc"])
            atoms.calc = calc
            energy = float(atoms.get_potential_energy())
            forces = atoms.get_forces().tolist()
            stress = None
            if all(req["pbc"]):
                stress = [float(x) for x in atoms.get_stress(voigt=True)]
            values = [energy] + [x for f in forces for x in f] + (stress or [])
            if not all(math.isfinite(x) for x in values):
                raise FloatingPointError("non-finite energy, force or stress")
            send(out, {"energy": energy, "forces": forces, "stress": stress})
        except Exception as e:  # noqa: BLE001 - reported per structure
            traceback.print_exc()
            message = f"{type(e).__name__}: {e}".replace("\n", " ")
            try:
                calc = factory()
            except Exception as e2:  # noqa: BLE001
                send(out, {"error": message, "fatal": f"calculator() failed after an error: {e2}"})
                return 1
            send(out, {"error": message})
    return 0


if __name__ == "__main__":
    sys.exit(main())
