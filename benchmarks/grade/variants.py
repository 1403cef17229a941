#!/usr/bin/env python3
"""Configurations for the grade benchmark, written as MLIP .cfg (geometry only).

variants.py strained TRAIN OUT   -- 10 training configurations, each compressed/expanded
                                    isotropically (0.8 ... 1.2), sheared, and a dimer
variants.py perturbed TRAIN N OUT -- N configurations: training configuration k % 1001 with
                                    random displacements (sigma 0.04 A) and a random
                                    symmetric strain (sigma 1.5 %), seed 1
"""
import random
import sys


def read_cfg(path):
    configs, cur, mode = [], None, None
    for line in open(path):
        s = line.split()
        if not s:
            continue
        if s[0] == "BEGIN_CFG":
            cur = {"cell": [], "atoms": []}
            mode = None
        elif s[0] == "END_CFG":
            configs.append(cur)
        elif s[0] in ("Size", "Supercell", "Energy", "Feature") or s[0].startswith("PlusStress") or s[0].startswith("AtomData"):
            mode = s[0]
        elif mode == "Supercell":
            cur["cell"].append([float(x) for x in s[:3]])
        elif mode == "AtomData:":
            cur["atoms"].append((int(s[1]), [float(x) for x in s[2:5]]))
    return configs


def write_cfg(configs, path):
    with open(path, "w") as f:
        for c in configs:
            f.write("BEGIN_CFG\n Size\n    %d\n" % len(c["atoms"]))
            if c["cell"]:
                f.write(" Supercell\n")
                for r in c["cell"]:
                    f.write("    %.10f %.10f %.10f\n" % tuple(r))
            f.write(" AtomData:  id type       cartes_x      cartes_y      cartes_z\n")
            for i, (t, p) in enumerate(c["atoms"]):
                f.write("    %d %d %.10f %.10f %.10f\n" % (i + 1, t, p[0], p[1], p[2]))
            if "label" in c:
                f.write(" Feature   variant %s\n" % c["label"])
            f.write("END_CFG\n\n")


def deform(c, F, label):
    def apply(v):
        return [sum(F[i][j] * v[j] for j in range(3)) for i in range(3)]
    return {"cell": [apply(r) for r in c["cell"]], "atoms": [(t, apply(p)) for t, p in c["atoms"]], "label": label}


def main():
    kind, train = sys.argv[1], read_cfg(sys.argv[2])
    out = []
    if kind == "strained":
        for k in range(0, 1000, 100):
            c = train[k]
            for s in (0.80, 0.90, 0.95, 1.05, 1.10, 1.20):
                out.append(deform(c, [[s, 0, 0], [0, s, 0], [0, 0, s]], "iso%.2f_cfg%d" % (s, k + 1)))
            out.append(deform(c, [[1, 0.10, 0], [0, 1, 0], [0, 0, 1]], "shear0.10_cfg%d" % (k + 1)))
        for d in (1.5, 2.0):
            out.append({"cell": [], "atoms": [(0, [0, 0, 0]), (0, [d, 0, 0])], "label": "dimer%.1f" % d})
        write_cfg(out, sys.argv[3])
    else:
        n = int(sys.argv[3])
        rng = random.Random(1)
        for i in range(n):
            c = train[i % len(train)]
            e = [[rng.gauss(0, 0.015) for _ in range(3)] for _ in range(3)]
            F = [[(1 if a == b else 0) + 0.5 * (e[a][b] + e[b][a]) for b in range(3)] for a in range(3)]
            d = deform(c, F, "p%d" % i)
            d["atoms"] = [(t, [x + rng.gauss(0, 0.04) for x in p]) for t, p in d["atoms"]]
            del d["label"]
            out.append(d)
        write_cfg(out, sys.argv[4])


main()
