"""Tables of benchmarks/solve/run.sh: old (gathered) against new (tree)
factor combination per level and rank count, from the bench phases records."""
import glob, json, os, sys

out, here = sys.argv[1], sys.argv[2]
rows = []
for path in sorted(glob.glob(os.path.join(out, "L*-np*.json"))):
    name = os.path.basename(path)[:-5]
    level = int(name[1:name.index("-")])
    with open(path) as f:
        r = json.load(f)
    n = r["parameters"] + 1
    rows.append({
        "level": level, "n": n, "ranks": r["ranks"], "oversubscribed": r["oversubscribed"],
        "configurations": r["configurations"], "rows": r["rows"],
        "derivatives": r["jacobian"]["compute"], "localQR": r["localQR"],
        "gatherComm": r["factorGather"]["communication"], "stackQR": r["combine"],
        "gathered": r.get("gatheredFactor"), "tree": r.get("treeFactor"), "blocks": r.get("treeBlocks"),
        "atoms": r["atoms"], "cpuShare": min(r["cpuShare"]), "loss": r["loss"]["compute"], "step": r["step"], "pair": r.get("pairCombine"),
        "gatheredBytesPerRank": 8 * n * n * r["ranks"] * 2,
        "treeLevels": (r.get("treeFactorsHeld") or 2) - 2,
    })
rows.sort(key=lambda x: (x["level"], x["ranks"]))
load = open(os.path.join(out, "load.txt")).read().strip() if os.path.exists(os.path.join(out, "load.txt")) else ""
with open(os.path.join(here, "results.json"), "w") as f:
    json.dump({"load": load, "points": rows}, f, indent=1, sort_keys=True)
lines = ["# Factor combination: gathered (old) against fixed block tree (new)", "",
         "Written by benchmarks/solve/run.sh; seconds of the slowest rank, best of the repeats.",
         "Both columns include the same derivatives (listed apart). Machine load: " + load.replace("\n", "; "), "",
         "| level | n | ranks | configs | rows | blocks | derivatives | old: local QR + allgather + stack QR | old total | new total (tree) | new/old |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
for x in rows:
    ranks = f'{x["ranks"]}{" (oversubscribed)" if x["oversubscribed"] else ""}'
    ratio = x["tree"] / x["gathered"] if x["tree"] and x["gathered"] else float("nan")
    lines.append(f'| {x["level"]} | {x["n"]} | {ranks} | {x["configurations"]} | {x["rows"]} | {x["blocks"]} | '
                 f'{x["derivatives"]:.3f} | {x["localQR"]:.3f} + {x["gatherComm"]:.4f} + {x["stackQR"]:.3f} | '
                 f'{x["gathered"]:.3f} | {x["tree"]:.3f} | {ratio:.2f} |')

# The model (docs/performance-model.md), calibrated on the 1-rank points.
import math
ALPHA, BETA, K, RHO, ATOMS_PER_CONFIG = 2e-6, 10e9, 1.8, 3.22, 32   # InfiniBand-class; Cu set

def constants(x):
    """Per-unit costs on a dedicated core: wall seconds of the 1-rank point
    times its CPU share (the machine is shared). c_T, the tree's own QR work,
    is taken as c_QR (an upper bound: the tree does fewer flops, 2 n^3 per n
    rows against 10/3 n^3); its measured value, the tree's time less the
    derivatives, is printed beside it (noisy where the QR is a few per cent
    of the pass)."""
    a, rows, n, f = x["atoms"], x["rows"], x["n"], x["cpuShare"]
    return {"n": n, "cJ": f * x["derivatives"] / a, "cQR": f * x["localQR"] / (rows * n * n),
            "cTmeasured": f * max(x["tree"] - x["derivatives"], 0) / (rows * n * n),
            "cT": f * x["localQR"] / (rows * n * n), "cE": f * x["loss"] / a,
            "pair": f * x["pair"], "step": f * x["step"], "share": f}

def old_time(c, p, C):
    A = C * ATOMS_PER_CONFIG; Ap = max(A / p, A / C); n = c["n"]; L = math.ceil(math.log2(p)) if p > 1 else 0
    jac = c["cJ"] * Ap + c["cQR"] * RHO * Ap * n * n
    gather = L * ALPHA + (p - 1) * 8 * n * n / BETA
    solve = (c["cQR"] * p * n ** 3 if p > 1 else 0) + c["step"]
    loss = c["cE"] * Ap + L * ALPHA + (p - 1) * (48 * C / p) / BETA
    return jac + gather + solve + K * loss

def new_time(c, p, C):
    A = C * ATOMS_PER_CONFIG; Ap = max(A / p, A / C); n = c["n"]; L = math.ceil(math.log2(p)) if p > 1 else 0
    jac = c["cJ"] * Ap + c["cT"] * (RHO * Ap + (n if p > 1 else 0)) * n * n   # one block of n rows of imbalance
    tree = L * (c["pair"] + 2 * (ALPHA + 4 * n * n / BETA))                  # levels, then the broadcast of R (packed)
    loss = c["cE"] * Ap + 2 * L * (ALPHA + 96 / BETA)
    return jac + tree + c["step"] + K * loss

ROWS_PER_CONFIG = 3 * ATOMS_PER_CONFIG + 7

def memory(n, p, C):   # bytes of the factor work per rank: former path, the tree's bound (FactorTree.memoryBound)
    Ap = C * ATOMS_PER_CONFIG / p
    blocks = max(1, int(RHO * Ap / n))
    m = n + ROWS_PER_CONFIG                      # rows of a block: about n, whole configurations
    leaf = (min(m, 2 * n) + m) / n
    tree = 8 * n * n * (math.floor(math.log2(blocks)) + 1 + m / n + max(leaf, 2.5))
    solve = 8 * n * n * 5                        # after the tree: R, the ridge rows' QR and stack, or the step's two triangles
    return 8 * n * n * (2 * p + 3), max(tree, solve)

lines += ["", "## Model predictions (InfiniBand-class: alpha 2 us, beta 10 GB/s; k = 1.8 trial losses)", "",
          "Constants from the 1-rank points of this run: c_J (derivatives per atom), c_QR (old stream, per row and n^2),",
          "c_T (the tree's QR work per row and n^2), c_E (loss per atom), one pair combination, the damped step.", ""]
ones = {x["level"]: constants(x) for x in rows if x["ranks"] == 1 and x["tree"]}
for level, c in sorted(ones.items()):
    lines.append(f'- level {level} (n = {c["n"]}, CPU share {c["share"]:.2f}): c_J {c["cJ"]*1e6:.1f} us/atom, c_QR {c["cQR"]*1e9:.3f} ns, c_T measured {c["cTmeasured"]*1e9:.3f} ns, '
                 f'c_E {c["cE"]*1e6:.2f} us/atom, pair {c["pair"]*1e3:.2f} ms, step {c["step"]*1e3:.2f} ms')
lines += ["", "| level, set | path | 1 | 16 | 64 | 128 | 256 | 512 | 1024 ranks |", "|---|---|---|---|---|---|---|---|---|"]
model = []
for level, C in [(16, 1000), (16, 100000), (24, 100000)]:
    if level not in ones: continue
    c = ones[level]
    for name, f in [("old (gathered)", old_time), ("new (tree)", new_time)]:
        t1 = f(c, 1, C)
        cells = []
        for p in [1, 16, 64, 128, 256, 512, 1024]:
            t = f(c, p, C); e = t1 / (p * t)
            cells.append(f"{t:.3g} s ({100*e:.0f} %)")
            model.append({"level": level, "configurations": C, "path": name, "ranks": p, "seconds": t, "efficiency": e})
        lines.append(f"| {level}, {C} configs | {name} | " + " | ".join(cells) + " |")
lines += ["", "Per-rank memory of the factor work and the solve, bound (1e5 configurations of 32 atoms; docs/performance-model.md):", ""]
for n in [126, 914, 3000]:
    for p in [16, 256, 1024]:
        o, t = memory(n, p, 100000)
        lines.append(f"- n = {n}, p = {p}: old {o/1e9:.3g} GB, tree {t/1e9:.3g} GB")
trees = []
for path in sorted(glob.glob(os.path.join(out, "T*-np*.json"))):
    with open(path) as f:
        trees.append(json.load(f))
if trees:
    trees.sort(key=lambda r: (r["columns"], r["configurations"], r["ranks"]))
    lines += ["", "## The factor tree alone: time and peak memory per rank (`mtp bench tree`, synthetic rows)", "",
              "Peak: each rank's peak resident memory during the phase above what it held before (VmHWM, reset",
              "before each phase), MB; bound: `FactorTree.memoryBound` for that rank's blocks and head rows;",
              "F = 8 n^2 bytes. Wall seconds of the slowest rank, one run.", "",
              "| n | configs | blocks | ranks | load | tree (s) | former path (s) | per rank: blocks, head rows, tree peak / bound (MB), former peak (MB) | largest peak / F | step + condition after the tree (s, peak MB with R) |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in trees:
        F = 8 * r["columns"] ** 2
        gp = r.get("gatheredPeakBytes")
        per = "; ".join(f'{b}, {h}, {t/1e6:.0f} / {u/1e6:.0f}' + (f', {gp[k]/1e6:.0f}' if gp else '')
                        for k, (b, h, t, u) in enumerate(zip(r["ownedBlocks"], r["headRows"], r["treePeakBytes"], r["treeBoundBytes"])))
        g = r.get("gatheredSeconds")
        lines.append(f'| {r["columns"]} | {r["configurations"]} | {r["blockCount"]} | {r["ranks"]}{" (oversubscribed)" if r["oversubscribed"] else ""} | '
                     f'{r["loadAverage"]} | {r["treeSeconds"]:.1f} | {"%.1f" % g if g is not None else "-"} | {per} | {max(r["treePeakBytes"])/F:.2f} | '
                     + (f'{r["solveSeconds"]:.1f}, {max(r["solvePeakBytes"])/1e6:.0f}' if "solveSeconds" in r else "-") + ' |')
steps = []
for path in sorted(glob.glob(os.path.join(out, "n*-np*.json"))):
    with open(path) as f:
        steps.append(json.load(f))
if steps:
    steps.sort(key=lambda r: (r["n"], r["ranks"]))
    lines += ["", "## The damped step: replicated LAPACK (dtpqrt) against ScaLAPACK (pdgels) on every grid", "",
              "`mtp bench step`, seconds of the slowest rank (best of 2); difference: largest entry of the step's",
              "difference, relative to its largest entry.", "",
              "| n | ranks | replicated | grid: seconds (difference from replicated, from the first grid) |", "|---|---|---|---|"]
    for r in steps:
        grids = "; ".join(f'{g["grid"]}: {g["seconds"]:.4f} ({g["differenceFromReplicated"]:.1e}, {g["differenceFromFirstGrid"]:.1e})' for g in r["grids"])
        lines.append(f'| {r["n"]} | {r["ranks"]}{" (oversubscribed)" if r["ranks"] > 2 else ""} | {r["replicated"]:.4f} | {grids} |')
with open(os.path.join(here, "model.json"), "w") as f:
    json.dump(model, f, indent=1, sort_keys=True)
with open(os.path.join(here, "results.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
