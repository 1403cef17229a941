#!/usr/bin/env python3
"""Tables, performance model and plot of the scaling study.

Reads the JSON records of run.sh (OUT: strong-N.json, weak-N.json,
mpi-N.json, level-L.json, machine.json) and writes into DEST:
results.md (measured phases, the model against them, predictions for 1 to
1024 ranks, memory limits), results.json (the model's inputs and outputs)
and scaling.svg with its data (scaling-*.dat) and gnuplot script beside it.

The model (docs/performance-model.md) has only measured inputs: per-atom
costs of the Jacobian pass and of a loss evaluation, the QR cost per row and
column^2, the step time, read and neighbour-list costs (all from the
1-rank runs), latency and bandwidth from the ping-pong, and the message
sizes the trainer sends (8 n^2 bytes per rank for the triangular factor,
48 bytes per configuration for a loss).

Usage: analyse.py OUT DEST
"""
import json
import math
import os
import shutil
import subprocess
import sys

OUT, DEST = sys.argv[1], sys.argv[2]


def load(name):
    path = os.path.join(OUT, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


machine = load("machine.json")
if machine is None:
    sys.exit(f"analyse.py: {OUT}/machine.json missing: run run.sh first")
cores = machine["cores"]
ranks = machine["ranks"]
strong = {n: load(f"strong-{n}.json") for n in ranks}
weak = {n: load(f"weak-{n}.json") for n in ranks}
mpi = {n: load(f"mpi-{n}.json") for n in ranks if n >= 2}
levels = {l: load(f"level-{l:02d}.json") for l in machine.get("modelLevels", [])}
missing = [k for k, v in list(strong.items()) + list(weak.items()) if v is None]
if missing:
    sys.exit(f"analyse.py: records missing for ranks {missing}")


def phases(r):
    """Measured per-iteration pieces of one record (slowest rank, seconds)."""
    return {
        "input": r["read"] + r["neighbourLists"],
        "jacobian": r["jacobian"]["compute"] + r["localQR"],
        "gather": r["factorGather"]["communication"],
        "wait": r["factorGather"]["wait"] + r["loss"]["wait"],
        "solve": r["combine"] + r["step"],
        "loss_compute": r["loss"]["compute"],
        "loss_comm": r["loss"]["communication"],
        "trainer": r["trainerIteration"],
        "trainer_cpu": r.get("trainerIterationCPU", r["trainerIteration"]),
        "k": max(r["trainerLossEvaluations"], 1),
        # BFGS's loss+gradient evaluation, when the engine has it.
        "lg": (r["lossGradient"]["compute"] + r["lossGradient"]["communication"]) if "lossGradient" in r else None,
        "lg_comm": r["lossGradient"]["communication"] if "lossGradient" in r else None,
        "lg_cpu": r.get("lossGradientCPU"),
    }


# ---- model inputs, measured -------------------------------------------------
one = strong[1]
n_cols = one["parameters"] + 1


def costs(r):
    """Per-atom and per-row costs of one 1-rank record, on a dedicated core
    (the rank's measured CPU share taken off)."""
    n = r["parameters"] + 1
    cpu = min(r.get("cpuShare", [1.0]))
    return {
        "cpuShare": cpu,
        "parameters": r["parameters"],
        "cJ": cpu * r["jacobian"]["compute"] / r["atoms"],     # s per atom, derivatives
        "cQR": cpu * r["localQR"] / (r["rows"] * n * n),       # s per row x column^2, Householder QR
        # s per atom, energies+forces+stresses: the trainer's own loss
        # evaluation, CPU seconds (one rank: no communication to wait in)
        "cE": (r["lossCPU"] if "lossCPU" in r else cpu * r["loss"]["compute"]) / r["atoms"],
        "step": r["step"],
        "rowsPerAtom": r["rows"] / r["atoms"],
        # One rank: no communication, its CPU time is the dedicated-core time.
        "cG": r["lossGradientCPU"] / r["atoms"] if "lossGradientCPU" in r else None,
    }


base = costs(one)
# The per-atom costs of the trainer's own passes, in CPU seconds on one rank
# (no communication): the smaller of the two 1-rank runs (strong, weak), as
# contention on a shared machine only ever adds time.
ones = [r for r in (strong[1], weak[1]) if "trainerJacobianCPU" in r]
if ones:
    base["cJpass"] = min(r["trainerJacobianCPU"] / r["atoms"] for r in ones)
    base["cE"] = min(r["lossCPU"] / r["atoms"] for r in ones)
    if all("lossGradientCPU" in r for r in ones):
        base["cG"] = min(r["lossGradientCPU"] / r["atoms"] for r in ones)
atoms_per_config = one["atoms"] / one["configurations"]
# Input: read = r0 + r1 * atoms on one rank (two set sizes: weak-1 and strong-1);
# neighbour lists in proportion to the atoms.
w1 = weak[1]
if one["atoms"] != w1["atoms"]:
    r1 = (one["read"] - w1["read"]) / (one["atoms"] - w1["atoms"])
    r1 = max(r1, 0.0)
    r0 = max(one["read"] - r1 * one["atoms"], 0.0)
else:
    r0, r1 = 0.0, one["read"] / one["atoms"]
cNL = one["neighbourLists"] / one["atoms"]

# Latency: the fastest small message (<= 512 B) of the 2-rank run (not
# oversubscribed); bandwidth: the best of the messages of 32 KiB and more,
# latency taken off. Best, not typical: on a shared machine the slow
# transfers are the ones during which a rank was descheduled.
pp = mpi.get(2) or next((m for m in mpi.values() if m), None)
if pp is None:
    sys.exit("analyse.py: no ping-pong record (mpi-N.json)")
alpha = min(t for p in pp["pairs"] for m, t in zip(p["sizes"], p["oneWaySeconds"]) if m <= 512)
beta = max(m / max(t - alpha, 1e-12) for p in pp["pairs"] for m, t in zip(p["sizes"], p["oneWaySeconds"]) if m >= 32768)
# An interconnect for extrapolation to many nodes (assumed, not measured here):
# InfiniBand HDR-class latency and per-process bandwidth.
alpha_ib, beta_ib = 2e-6, 10e9

# Memory per atom: least squares over every rank of every record of the bytes
# added by a rank's data (and by its neighbour lists) against its atoms.
def slope(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    b = sxy / sxx if sxx > 0 else (my / mx if mx else 0)
    return b, my - b * mx


xs, yd, yn, peaks = [], [], [], []
for r in list(strong.values()) + list(weak.values()):
    for a, d, nb, pk in zip(r["localAtoms"], r["residentDataBytes"], r["residentNeighbourBytes"], r["peakResidentBytes"]):
        if a > 0:
            xs.append(a); yd.append(d); yn.append(nb); peaks.append((a, pk))
b_data, _ = slope(xs, yd)
b_nl, _ = slope(xs, yn)
# The trainer's neighbourhood caches (kept between evaluations, at most its
# budget per rank, 2 GiB by default).
yc = [c for r in list(strong.values()) + list(weak.values()) if "cacheBytes" in r
      for a, c in zip(r["localAtoms"], r["cacheBytes"]) if a > 0]
b_cache = slope(xs, yc)[0] if len(yc) == len(xs) else 0.0
# mtp train --cache-memory (GB), default 0: rows rebuilt per configuration.
cache_budget = 0.0 if b_cache == 0 else 2e9
b_peak, m0 = slope([a for a, _ in peaks], [p for _, p in peaks])


# ---- the model ---------------------------------------------------------------
def allgather(p, m, a=None, b=None):
    """MPI_Allgatherv of m bytes per rank to every rank: log2(p) latencies
    (recursive doubling) and (p - 1) m bytes through each rank's link."""
    a = alpha if a is None else a
    b = beta if b is None else b
    if p <= 1:
        return 0.0
    return math.ceil(math.log2(p)) * a + (p - 1) * m / b


def model(p, atoms, configs, c=base, k=1.0, a=None, b=None, cpu=1.0):
    """Time of one iteration on p ranks, by phase; `cpu` is the fraction of
    a core each rank gets (1: dedicated cores)."""
    n = c["parameters"] + 1
    local = max(atoms / p, min(atoms, atoms_per_config))     # contiguous shards, whole configurations
    share = 1.0 / cpu
    rows = local * c["rowsPerAtom"]
    t = {
        # The trainer's Jacobian pass (derivatives and the rank's QR) when
        # measured whole, else the two measured parts.
        "jacobian": share * (c["cJpass"] * local if c.get("cJpass") else c["cJ"] * local + c["cQR"] * rows * n * n),
        "gather": allgather(p, 8 * n * n, a, b),
        "solve": (c["cQR"] * p * n * n * n if p > 1 else 0.0) + c["step"],
        "loss_compute": share * c["cE"] * local,
        "loss_comm": allgather(p, 48 * configs / p, a, b),
        "input": r0 + share * (r1 + cNL) * local,
    }
    t["iteration"] = t["jacobian"] + t["gather"] + t["solve"] + k * (t["loss_compute"] + t["loss_comm"])
    if c.get("cG") is not None:
        t["lossgrad"] = share * c["cG"] * local + allgather(p, 48 * configs / p, a, b) + allgather(p, 16 * (n - 1), a, b)
    return t


def measured_iteration(m):
    return m["jacobian"] + m["gather"] + m["wait"] + m["solve"] + m["k"] * (m["loss_compute"] + m["loss_comm"])


rows_out = {"strong": [], "weak": []}
for kind, recs in (("strong", strong), ("weak", weak)):
    for n in ranks:
        r = recs[n]
        m = phases(r)
        cpu = min(r["cpuShare"])
        over = r["oversubscribed"] or n > cores
        pred = model(n, r["atoms"], r["configurations"], k=m["k"])
        pred_over = model(n, r["atoms"], r["configurations"], k=m["k"], cpu=cpu)
        rows_out[kind].append({
            "ranks": n, "oversubscribed": over, "configurations": r["configurations"], "atoms": r["atoms"],
            "atomsPerRankMax": max(r["localAtoms"]), "cpuShare": cpu, "measured": m, "harness": measured_iteration(m),
            "model": pred, "modelOversubscribed": pred_over,
            # Against the trainer's CPU time (dedicated cores); the model at
            # the measured CPU share against its wall time.
            "error": pred["iteration"] / m["trainer_cpu"] - 1,
            "errorOversubscribed": pred_over["iteration"] / m["trainer"] - 1,
            "errorLossGradient": (pred["lossgrad"] / m["lg_cpu"] - 1) if m["lg_cpu"] and "lossgrad" in pred else None,
        })

# Allgather: measured against the model's formula.
ag_check = []
for n, m in sorted(mpi.items()):
    if not m:
        continue
    for g in m["allgather"]:
        ag_check.append((n, g["bytesPerRank"], g["seconds"], allgather(n, g["bytesPerRank"]), m["oversubscribed"]))


# Predictions for 1..1024 ranks.
P = [2 ** i for i in range(11)]
strong_atoms, strong_configs = one["atoms"], one["configurations"]
big_configs = 100000
big_atoms = big_configs * atoms_per_config
level_costs = {machine["level"]: base}
for l, r in levels.items():
    if r:
        level_costs[f"{l:02d}"] = costs(r)
k_typical = 1.8   # trial losses per iteration over a whole fit (docs/training.md: ~205 per 116 iterations)

predictions = []
for lvl, c in level_costs.items():
    for label, A, C in (("strong set", strong_atoms, strong_configs), (f"{big_configs} configurations", big_atoms, big_configs)):
        t1 = model(1, A, C, c, k_typical)["iteration"]
        for net, a, b in (("this machine", alpha, beta), ("InfiniBand (assumed)", alpha_ib, beta_ib)):
            for p in P:
                t = model(p, A, C, c, k_typical, a, b)
                predictions.append({"level": lvl, "set": label, "atoms": A, "configurations": C, "network": net,
                                    "ranks": p, **t, "efficiency": t1 / (p * t["iteration"])})


def memory_limit(node_bytes, ranks_per_node, c, p_total):
    """Largest number of atoms one node holds (its ranks' shards), .h5 input.
    The caches take b_cache per atom until each rank's budget is full."""
    n = c["parameters"] + 1
    fixed = ranks_per_node * (m0 + 8 * n * n * (2 * p_total + 3))
    free = max(node_bytes - fixed, 0)
    with_cache = free / (b_data + b_nl + b_cache)
    if b_cache * with_cache / ranks_per_node <= cache_budget:
        return with_cache
    return max(free - ranks_per_node * cache_budget, 0) / (b_data + b_nl)


def memory_limit_cfg(node_bytes, ranks_per_node, c, p_total):
    """.cfg/.extxyz input: every rank parses the whole file before keeping its shard."""
    n = c["parameters"] + 1
    fixed = ranks_per_node * (m0 + 8 * n * n * (2 * p_total + 3))
    at_read = max(node_bytes - fixed, 0) / (ranks_per_node * b_data + b_nl)
    return min(at_read, memory_limit(node_bytes, ranks_per_node, c, p_total))


nodes = [("this machine", machine["memoryBytes"], cores), ("256 GB, 64 cores (typical node)", 256e9, 64)]
mem_rows = []
for lvl, c in level_costs.items():
    for name, mem, rpn in nodes:
        a = memory_limit(mem, rpn, c, rpn)
        acfg = memory_limit_cfg(mem, rpn, c, rpn)
        mem_rows.append({"level": lvl, "node": name, "memoryBytes": mem, "ranksPerNode": rpn,
                         "atomsH5": a, "configurationsH5": a / atoms_per_config,
                         "atomsCfg": acfg, "configurationsCfg": acfg / atoms_per_config})


# ---- output -------------------------------------------------------------------
def ms(x):
    return f"{x * 1e3:.1f}" if x < 10 else f"{x:.1f} s"


def pct(x):
    return f"{x * 100:+.0f}%"


lines = []
w = lines.append
w("# Scaling study: results")
w("")
w(f"Generated by `benchmarks/scaling/run.sh` on {machine['date']}: {machine['cpu']}, {cores} cores, "
  f"{machine['memoryBytes'] / 2**30:.0f} GiB; load average at start {machine['loadAverage']} (the machine is shared); "
  f"{machine['mtp']}, commit {machine['commit']}. Data: the first {strong_configs} (strong) and {machine['weak']} per rank (weak) "
  f"configurations of the cubic Cu set, level {machine['level']} ({base['parameters']} parameters, n = {n_cols} columns of [J | r]). "
  f"Points marked * are **oversubscribed** (more ranks than the {cores} cores). The machine is shared with other jobs, "
  f"so a rank may get only part of its core even below that: the *CPU share* (CPU time over wall time of a rank's "
  f"Jacobian pass, smallest over the ranks) says how much, and *trainer CPU* is the trainer iteration in CPU seconds "
  f"of the busiest rank, i.e. its time on dedicated cores.")
w("")
w("Times in ms, slowest rank, best of the repetitions. *Jacobian* is the loss+gradient evaluation: derivatives of every "
  "labelled quantity and the rank's streaming QR of its rows (compute). *Gather*: allgather of the ranks' triangular "
  f"factors ({8 * n_cols * n_cols} B per rank; communication). *Wait*: at the barriers before communication (imbalance and, "
  "when oversubscribed, descheduling). *Solve*: TSQR of the gathered factors and the damped step, replicated on every rank "
  "(compute). *Loss*: a trial loss evaluation, compute + allgather of 48 B per configuration. *Input*: reading the "
  "rank's shard of the .h5 store and its neighbour lists (once per fit). *Trainer*: one real `mtp train` iteration "
  "(Jacobian pass, step and its trial losses) timed by the trainer itself. *Model*: docs/performance-model.md with the "
  "inputs below, for dedicated cores, against *trainer CPU*; *model at CPU share*: the same with each rank's compute "
  "slowed by the measured CPU share, against the trainer's wall time.")
for kind in ("strong", "weak"):
    w("")
    w(f"## {'Strong' if kind == 'strong' else 'Weak'} scaling")
    w("")
    w("| ranks | configs | atoms/rank (max) | Jacobian | gather | wait | solve | loss compute | loss comm | input | harness sum | trainer wall | CPU share | trainer CPU | model | error | model at CPU share | error |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows_out[kind]:
        m, p, po = row["measured"], row["model"], row["modelOversubscribed"]
        star = "*" if row["oversubscribed"] else ""
        w(f"| {row['ranks']}{star} | {row['configurations']} | {row['atomsPerRankMax']} | {ms(m['jacobian'])} | {ms(m['gather'])} | "
          f"{ms(m['wait'])} | {ms(m['solve'])} | {ms(m['loss_compute'])} | {ms(m['loss_comm'])} | {ms(m['input'])} | "
          f"{ms(row['harness'])} | {ms(m['trainer'])} | {row['cpuShare']:.2f} | {ms(m['trainer_cpu'])} | {ms(p['iteration'])} | "
          f"{pct(row['error'])} | {ms(po['iteration'])} | {pct(row['errorOversubscribed'])} |")
    t1 = rows_out[kind][0]["measured"]["trainer"]
    eff = ", ".join(f"{r['ranks']}{'*' if r['oversubscribed'] else ''}: {t1 / r['measured']['trainer'] / (r['ranks'] if kind == 'strong' else 1) * 100:.0f}%"
                    for r in rows_out[kind])
    w("")
    effc = ", ".join(f"{r['ranks']}{'*' if r['oversubscribed'] else ''}: {rows_out[kind][0]['measured']['trainer_cpu'] / r['measured']['trainer_cpu'] / (r['ranks'] if kind == 'strong' else 1) * 100:.0f}%"
                     for r in rows_out[kind])
    w(f"Parallel efficiency of the trainer iteration ({'T1 / (p Tp)' if kind == 'strong' else 'T1 / Tp'}), wall time: {eff}; CPU time: {effc}.")

if base.get("cG") is not None:
    w("")
    w("## Loss+gradient evaluation (BFGS optimiser)")
    w("")
    w("`Trainer.lossAndGradient`: one evaluation and one directional derivative per configuration, then allgathers of "
      f"48 B per configuration and of the gradient as double-double sums ({16 * base['parameters']} B per rank). "
      "Wall time of the slowest rank, its communication (the same allgathers timed alone), CPU seconds of the busiest "
      "rank, and the model against the CPU time.")
    w("")
    w("| scaling | ranks | configs | wall | communication | CPU | model | error |")
    w("|---|---|---|---|---|---|---|---|")
    for kind in ("strong", "weak"):
        for row in rows_out[kind]:
            m = row["measured"]
            star = "*" if row["oversubscribed"] else ""
            w(f"| {kind} | {row['ranks']}{star} | {row['configurations']} | {ms(m['lg'])} | {ms(m['lg_comm'])} | "
              f"{ms(m['lg_cpu'])} | {ms(row['model']['lossgrad'])} | {pct(row['errorLossGradient'])} |")
    lg_clean = [abs(r["errorLossGradient"]) for k in rows_out for r in rows_out[k] if not r["oversubscribed"]]
    if lg_clean:
        w("")
        w(f"Largest deviation where not oversubscribed: {max(lg_clean) * 100:.0f}%.")

clean = [r for k in rows_out for r in rows_out[k] if not r["oversubscribed"]]
worst = max((abs(r["error"]) for r in clean), default=float("nan"))
w("")
w(f"Model against the trainer's CPU time where not oversubscribed: largest deviation {worst * 100:.0f}% "
  f"({'within' if worst <= 0.25 else 'OUTSIDE'} the 25% target; {len(clean)} points)." if clean else
  "No point was free of oversubscription: every run shared its cores with other jobs (see the CPU share).")
every = max(abs(r["errorOversubscribed"]) for k in rows_out for r in rows_out[k])
w("")
w(f"Model at the measured CPU share against the trainer, all points: largest deviation {every * 100:.0f}%.")

w("")
w("## Model inputs (measured)")
w("")
w("| quantity | value | from |")
w("|---|---|---|")
w(f"| Jacobian pass, derivatives | {base['cJ'] * 1e6:.2f} us per atom | strong, 1 rank |")
w(f"| streaming QR | {base['cQR'] * 1e9:.3f} ns per row x column^2 ({base['rowsPerAtom']:.2f} rows per atom) | strong, 1 rank |")
w(f"| loss evaluation | {base['cE'] * 1e6:.2f} us per atom | 1 rank, CPU time, smaller of strong and weak |")
w(f"| damped step | {base['step'] * 1e3:.3f} ms | strong, 1 rank |")
if base.get("cG") is not None:
    w(f"| loss+gradient (BFGS) | {base['cG'] * 1e6:.2f} us per atom | 1 rank, CPU time, smaller of strong and weak |")
if base.get("cJpass"):
    w(f"| Jacobian pass of the trainer (derivatives, rows, QR) | {base['cJpass'] * 1e6:.2f} us per atom | 1 rank, CPU time, smaller of strong and weak |")
if "trainerJacobianCPU" in one:
    w(f"| check: the trainer's own Jacobian pass | {one['trainerJacobianCPU'] * 1e3:.1f} ms CPU, against "
      f"{(base['cJ'] + base['cQR'] * base['rowsPerAtom'] * n_cols ** 2) * one['atoms'] * 1e3:.1f} ms from the two lines above | strong, 1 rank |")
w(f"| read | {r0 * 1e3:.1f} ms + {r1 * 1e9:.1f} ns per atom | weak-1 and strong-1 |")
w(f"| neighbour lists | {cNL * 1e6:.2f} us per atom | strong, 1 rank |")
w(f"| latency alpha | {alpha * 1e6:.2f} us | ping-pong, 2 ranks |")
w(f"| bandwidth beta | {beta / 1e9:.2f} GB/s | ping-pong, 2 ranks |")
w(f"| memory: configurations | {b_data:.0f} B per atom | fit over all ranks of all runs |")
w(f"| memory: neighbour lists | {b_nl:.0f} B per atom | same |")
w(f"| memory: trainer's neighbourhood caches | {b_cache:.0f} B per atom (at most {cache_budget / 1e9:.0f} GB per rank; default --cache-memory 0) | same |")
w(f"| memory: process baseline | {m0 / 2**20:.0f} MiB (peak resident at 0 atoms) | same |")
for lvl, c in level_costs.items():
    if lvl == machine["level"]:
        continue
    w(f"| level {lvl} ({c['parameters']} parameters) | derivatives {c['cJ'] * 1e6:.2f} us/atom, loss {c['cE'] * 1e6:.2f} us/atom, "
      f"QR {c['cQR'] * 1e9:.3f} ns, step {c['step'] * 1e3:.2f} ms | 1 rank, {machine['weak']} configurations |")

w("")
w("Allgather (MPI_Allgatherv), measured against the model's log2(p) alpha + (p - 1) m / beta:")
w("")
w("| ranks | bytes per rank | measured us | model us |")
w("|---|---|---|---|")
for n, m, t, mod, over in ag_check:
    w(f"| {n}{'*' if over else ''} | {m} | {t * 1e6:.1f} | {mod * 1e6:.1f} |")

w("")
w(f"## Predictions, 1 to 1024 ranks (k = {k_typical} trial losses per iteration, dedicated cores)")
w("")
w("Time per iteration in ms and parallel efficiency; 'InfiniBand (assumed)': alpha = 2 us, beta = 10 GB/s "
  "(not measured here: rerun `mtp bench mpi` across two nodes of the target cluster and put its numbers in).")
for lvl in level_costs:
    for label in ("strong set", f"{big_configs} configurations"):
        for net in ("this machine", "InfiniBand (assumed)"):
            sel = [x for x in predictions if x["level"] == lvl and x["set"] == label and x["network"] == net]
            if not sel:
                continue
            w("")
            w(f"Level {lvl}, {label} ({sel[0]['configurations']} configurations, {sel[0]['atoms']:.0f} atoms), {net}:")
            w("")
            w("| ranks | " + " | ".join(str(x["ranks"]) for x in sel) + " |")
            w("|---|" + "---|" * len(sel))
            w("| iteration | " + " | ".join(ms(x["iteration"]) for x in sel) + " |")
            w("| compute (Jacobian + loss) | " + " | ".join(ms(x["jacobian"] + k_typical * x["loss_compute"]) for x in sel) + " |")
            w("| communication | " + " | ".join(ms(x["gather"] + k_typical * x["loss_comm"]) for x in sel) + " |")
            w("| replicated solve | " + " | ".join(ms(x["solve"]) for x in sel) + " |")
            w("| efficiency | " + " | ".join(f"{x['efficiency'] * 100:.0f}%" for x in sel) + " |")
            if "lossgrad" in sel[0]:
                w("| loss+gradient (BFGS) | " + " | ".join(ms(x["lossgrad"]) for x in sel) + " |")
                w("| its efficiency | " + " | ".join(f"{sel[0]['lossgrad'] / (x['ranks'] * x['lossgrad']) * 100:.0f}%" for x in sel) + " |")

w("")
w("## Memory: largest training set one node holds")
w("")
w("| level | node | ranks on it | .h5 input (sharded): atoms | configurations | .cfg input (read whole by every rank): atoms | configurations |")
w("|---|---|---|---|---|---|---|")
for m in mem_rows:
    w(f"| {m['level']} | {m['node']} | {m['ranksPerNode']} | {m['atomsH5']:.3g} | {m['configurationsH5']:.3g} | "
      f"{m['atomsCfg']:.3g} | {m['configurationsCfg']:.3g} |")

os.makedirs(DEST, exist_ok=True)
with open(os.path.join(DEST, "results.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
with open(os.path.join(DEST, "results.json"), "w") as f:
    json.dump({"machine": machine, "inputs": {"costs": level_costs, "read0": r0, "read1": r1, "neighbourLists": cNL,
                                                "alpha": alpha, "beta": beta, "bytesPerAtomData": b_data,
                                                "bytesPerAtomNeighbours": b_nl, "baselineBytes": m0},
               "measured": rows_out, "allgather": ag_check, "predictions": predictions, "memory": mem_rows},
              f, indent=1, sort_keys=True)

# ---- plot: data beside it -----------------------------------------------------
def write_dat(name, header, rows):
    with open(os.path.join(DEST, name), "w") as f:
        f.write("# " + header + "\n")
        for r in rows:
            f.write(" ".join(f"{x:.6g}" if isinstance(x, float) else str(x) for x in r) + "\n")


for kind in ("strong", "weak"):
    write_dat(f"scaling-{kind}.dat",
              "ranks oversubscribed(0/1) trainer_wall_s trainer_cpu_s compute_s communication_s wait_s input_s "
              "model_s model_at_cpu_share_s",
              [(r["ranks"], int(r["oversubscribed"]), r["measured"]["trainer"], r["measured"]["trainer_cpu"],
                r["measured"]["jacobian"] + r["measured"]["solve"] + r["measured"]["k"] * r["measured"]["loss_compute"],
                r["measured"]["gather"] + r["measured"]["k"] * r["measured"]["loss_comm"],
                r["measured"]["wait"], r["measured"]["input"],
                r["model"]["iteration"], r["modelOversubscribed"]["iteration"]) for r in rows_out[kind]])
pred_sel = [x for x in predictions if x["level"] == machine["level"] and x["network"] == "InfiniBand (assumed)"]
write_dat("scaling-model.dat", "ranks iteration_s(strong set) iteration_s(100000 configurations) [level %s, InfiniBand assumed]" % machine["level"],
          [(p, next(x["iteration"] for x in pred_sel if x["ranks"] == p and x["set"] == "strong set"),
            next(x["iteration"] for x in pred_sel if x["ranks"] == p and x["set"] != "strong set")) for p in P])
panel = """plot '{data}' u 1:4 w p pt 7 ps 1.2 lc rgb '#000000' t 'trainer iteration, CPU time', \\
     '' u 1:3 w p pt 6 ps 1.2 lc rgb '#888888' t 'trainer iteration, wall time', \\
     '' u 1:9 w l lw 2 lc rgb '#000000' t 'model (dedicated cores)', \\
     '' u 1:10 w l dt 2 lc rgb '#888888' t 'model at measured CPU share', \\
     '' u 1:5 w lp pt 4 lc rgb '#1f77b4' t 'compute (wall)', '' u 1:6 w lp pt 8 lc rgb '#d62728' t 'communication', \\
     '' u 1:7 w lp pt 10 lc rgb '#ff7f0e' t 'wait', '' u 1:8 w lp pt 12 lc rgb '#2ca02c' t 'input (once per fit)'
"""
gp = f"""# gnuplot script of scaling.svg; data in scaling-strong.dat, scaling-weak.dat, scaling-model.dat
set terminal svg size 1400,560 font 'sans,11'
set output 'scaling.svg'
set multiplot layout 1,3
set logscale x 2
set logscale y 10
set format y '%g'
set xlabel 'ranks'
set ylabel 'seconds'
set key below font 'sans,9' maxrows 4
set grid
set xrange [0.8:{max(ranks) * 1.25}]
set yrange [1e-4:*]
set arrow from {cores + 0.5}, graph 0 to {cores + 0.5}, graph 1 nohead dt 3
set label 'more ranks than cores' at {cores + 0.6}, graph 0.05 font 'sans,9'
set title 'strong scaling ({strong_configs} configurations, level {machine['level']})'
{panel.format(data='scaling-strong.dat')}
set title 'weak scaling ({machine['weak']} configurations per rank)'
{panel.format(data='scaling-weak.dat')}
unset arrow
unset label
set xrange [1:1024]
set yrange [*:*]
set title 'model per iteration (level {machine['level']}, InfiniBand assumed)'
plot 'scaling-model.dat' u 1:2 w lp t '{strong_configs} configurations', '' u 1:3 w lp t '{big_configs} configurations'
unset multiplot
"""
with open(os.path.join(DEST, "scaling.gp"), "w") as f:
    f.write(gp)
if shutil.which("gnuplot"):
    subprocess.run(["gnuplot", "scaling.gp"], cwd=DEST, check=True)
else:
    print("analyse.py: gnuplot not found; scaling.gp and its data are written, the plot is not")
print("\n".join(lines))
