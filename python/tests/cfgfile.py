"""A small reader of MLIP .cfg files for the tests (geometry, types, energy,
forces, PlusStress), independent of the engine's own reader."""

from __future__ import annotations

import numpy as np


def read_cfg(path):
    frames, lines, i = [], open(path).read().splitlines(), 0
    while i < len(lines):
        if lines[i].strip() != "BEGIN_CFG":
            i += 1
            continue
        frame = {"cell": None, "energy": None, "plus_stress": None}
        i += 1
        while lines[i].strip() != "END_CFG":
            key = lines[i].strip()
            if key == "Size":
                n = int(lines[i + 1])
                i += 2
            elif key == "Supercell":
                cell = []
                i += 1
                while len(lines[i].split()) == 3 and not lines[i].strip()[0].isalpha():
                    cell.append([float(x) for x in lines[i].split()])
                    i += 1
                frame["cell"] = np.array(cell)
            elif key.startswith("AtomData:"):
                cols = key.split()[1:]
                rows = [lines[i + 1 + a].split() for a in range(n)]
                table = {c: [r[k] for r in rows] for k, c in enumerate(cols)}
                frame["types"] = np.array([int(t) for t in table["type"]])
                xyz = np.array([[float(v) for v in table[f"cartes_{a}"]] for a in "xyz"]).T
                frame["positions"] = xyz
                if "fx" in table:
                    frame["forces"] = np.array([[float(v) for v in table[f"f{a}"]] for a in "xyz"]).T
                i += 1 + n
            elif key == "Energy":
                frame["energy"] = float(lines[i + 1])
                i += 2
            elif key.startswith("PlusStress:"):
                keys = key.split()[1:]
                values = dict(zip(keys, map(float, lines[i + 1].split())))
                frame["plus_stress"] = np.array([values[k] for k in ["xx", "yy", "zz", "yz", "xz", "xy"]])
                i += 2
            else:
                i += 1
        frames.append(frame)
        i += 1
    return frames
