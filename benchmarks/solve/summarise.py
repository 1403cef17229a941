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
        "gatheredBytesPerRank": 8 * n * n * r["ranks"] * 2,
        "treeBytesPerRank": 8 * n * n * (r.get("treeFactorsHeld") or 0),
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
lines += ["", "Factor memory per rank (bytes): old p n x n received plus the stack, new at most levels + 2 factors:", ""]
for x in rows:
    lines.append(f'- level {x["level"]}, {x["ranks"]} ranks: old {x["gatheredBytesPerRank"]:.3g}, new {x["treeBytesPerRank"]:.3g}')
with open(os.path.join(here, "results.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
