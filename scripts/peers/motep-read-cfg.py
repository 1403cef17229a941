"""Reads .cfg files with motep's reader (motep.io.mlip.cfg.read_cfg) and
prints what it found as JSON, one object per file: per configuration the
atom count, energy, forces, PlusStress (as motep's stress times -volume)
and features, so that a test can compare motep's values with ours. Numbers
are given as Python's shortest round-trip text (strings), so that no JSON
parser's rounding stands between motep's doubles and the test.
Usage: python motep-read-cfg.py FILE.cfg..."""
import json
import sys

import numpy as np
from motep.io.mlip.cfg import read_cfg

out = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as fd:
        images = read_cfg(fd, index=":")
    configs = []

    def text(a):
        return [text(x) for x in a] if isinstance(a, (list, tuple, np.ndarray)) else repr(float(a))

    for atoms in images:
        r = atoms.calc.results if atoms.calc is not None else {}
        c = {"atoms": len(atoms), "positions": text(atoms.get_positions()),
             "info": {k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in atoms.info.items()}}
        if "energy" in r:
            c["energy"] = text(r["energy"])
        if "forces" in r:
            c["forces"] = text(np.asarray(r["forces"]))
        if "stress" in r:
            c["plus_stress"] = text(-np.asarray(r["stress"]) * atoms.get_volume())
        configs.append(c)
    out.append({"file": path, "configurations": configs})
print(json.dumps(out))
