#!/usr/bin/env python3
"""The corpus of past failures (issue 18), kept as regression tests: each case
builds its input from the fixtures by one deterministic edit, runs one `mtp`
command with a timeout, and checks the outcome (a clear error naming the
input file and saying what is wrong, or an output without inf/NaN).

Usage: regressions.py MTP    (exit 1 on the first failing case)
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MTP = os.path.abspath(sys.argv[1])
W = tempfile.mkdtemp(prefix="mtp-regressions-")
CFG = os.path.join(ROOT, "Tests/CLITests/Fixtures/cu-3.cfg")
POT = os.path.join(ROOT, "Tests/CLITests/Fixtures/cu-08.mtp")
XYZ = os.path.join(ROOT, "Tests/AtomisticTests/Fixtures/extxyz/ase-written.extxyz")
JSON = os.path.join(ROOT, "Tests/TrainingStoreTests/Fixtures/mlearn/Mo-10.json")
INF_NAN = re.compile(r"(?<![A-Za-z_])(nan|inf|infinity)(?![A-Za-z_])", re.IGNORECASE)
failures = []


def text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write(name, content):
    path = os.path.join(W, name)
    with open(path, "wb" if isinstance(content, bytes) else "w") as f:
        f.write(content)
    return path


def mtp(*args, timeout=30):
    try:
        p = subprocess.run([MTP] + list(args), capture_output=True, text=True, timeout=timeout, cwd=W)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return None, "", "timeout"


def error_case(name, args, file, *phrases, timeout=30):
    """The command fails within `timeout` with one message naming `file` and holding every phrase."""
    rc, out, err = mtp(*args, timeout=timeout)
    problems = []
    if rc is None:
        problems.append(f"still running after {timeout} s")
    elif rc == 0:
        problems.append("exit 0")
    elif rc >= 128 or rc < 0:
        problems.append(f"crashed (exit {rc})")
    if os.path.basename(file) not in err:
        problems.append(f"the message does not name {os.path.basename(file)}")
    problems += [f"the message lacks '{p}'" for p in phrases if p not in err]
    report(name, problems, err)


def output_case(name, args, outputs, check=None):
    """The command succeeds; its outputs and standard output hold no inf/NaN; `check` passes."""
    rc, out, err = mtp(*args)
    problems = [] if rc == 0 else [f"exit {rc}"]
    for o in outputs:
        if not os.path.exists(o):
            problems.append(f"no {os.path.basename(o)}")
        elif INF_NAN.search(text(o)):
            problems.append(f"inf/nan in {os.path.basename(o)}")
    if INF_NAN.search(out):
        problems.append("inf/nan on standard output")
    if check and not problems:
        problems += check()
    report(name, problems, err)


def report(name, problems, err):
    status = "ok  " if not problems else "FAIL"
    print(f"{status} {name}" + ("" if not problems else f": {'; '.join(problems)}\n     {err.strip()[-300:]}"))
    if problems:
        failures.append(name)


cfg = text(CFG)
pot = text(POT)
out = os.path.join(W, "out.cfg")

# Sizes read from files, checked before allocating.
f = write("size.cfg", cfg.replace("    32\n", " 999999999999\n", 1))
error_case(".cfg Size 999999999999", ["calc-efs", POT, f, out], f, "Size is 999999999999")
for key in ["radial_basis_size", "species_count"]:
    f = write(f"{key}.mtp", re.sub(rf"{key} = \d+", f"{key} = 99999999999", pot))
    error_case(f".mtp {key} = 99999999999", ["calc-efs", f, CFG, out], f, f"{key} is 99999999999")
rc, _, err = mtp("basis", "--level", "6", "--species-count", "1", "--min-dist", "2", "--max-dist", "5",
                 "-o", os.path.join(W, "untrained.mtp"))
untrained = text(os.path.join(W, "untrained.mtp"))
f = write("untrained-species.mtp", re.sub(r"species_count = \d+", "species_count = 99999999999", untrained))
error_case("untrained .mtp with a huge species count, mtp train", ["train", f, CFG, "-o", "t.mtp"], f, "species_count")
f = write("untrained-species-900.mtp", re.sub(r"species_count = \d+", "species_count = 900", untrained))
error_case("untrained .mtp with 900 species, mtp train", ["train", f, CFG, "-o", "t.mtp"], f, "species_count 900")

# Cells and cutoffs checked before a neighbour search.
thin = cfg.replace("7.220000      0.000000      0.000000", "0.001000      0.000000      0.000000", 1)
f = write("thin.cfg", thin)
error_case("a cell 1e-3 A wide", ["calc-efs", POT, f, out], f, "neighbours per atom", timeout=20)
f = write("thin-0.01.cfg", cfg.replace("7.220000      0.000000      0.000000", "0.010000      0.000000      0.000000", 1))
error_case("a cell 0.01 A wide (32,000 neighbours per atom), train", ["train", POT, f, "-o", "t.mtp", "--max-iter", "2"], f,
           "neighbours per atom", timeout=20)
for value in ["1000", "1e308"]:
    f = write(f"max-dist-{value}.mtp", re.sub(r"max_dist = \S+", f"max_dist = {value}", pot))
    error_case(f"max_dist = {value}", ["calc-efs", f, CFG, out], f, "max_dist", timeout=20)

# Numbers whose squares overflow, zero cells, unknown elements, empty files.
lines = cfg.split("\n")
energy_at = next(i for i, l in enumerate(lines) if l.strip() == "Energy") + 1
big_label = "\n".join(lines[:energy_at] + ["  1e308"] + lines[energy_at + 1:])
f = write("label.cfg", big_label)
error_case("check-errors with a label of 1e308", ["check-errors", POT, f], f, "energy")
error_case("train with a label of 1e308", ["train", POT, f, "-o", "t.mtp", "--max-iter", "2"], f, "energy")
f = write("position.cfg", cfg.replace("             2    0       0.000000      1.805000", "             2    0       1e308      1.805000", 1))
error_case("a position of 1e308", ["calc-efs", POT, f, out], f, "position")
zero = re.sub(r"7\.220000", "0.000000", cfg)
f = write("zero-cell.cfg", zero)
error_case("an all-zero cell (.cfg)", ["convert", f, "--species", "Cu", "-o", "z.h5"], f, "cell")
h5 = os.path.join(W, "seed.h5")
mtp("convert", CFG, "--species", "Cu", "-o", h5)
data = open(h5, "rb").read()
f = write("zero-cell.h5", data.replace(struct.pack("<d", 7.22), struct.pack("<d", 0.0)))
error_case("an all-zero cell (.h5) is refused at read time", ["convert", f, "-o", "z.cfg"], f, "cell")


# Damaged variable-length strings: libhdf5 trusts the global heap's object
# sizes and indices (no checksum), so these crashed (H5HG_read) or hung.
def heap_objects(b):
    """(collection offset, [(index, header offset, size, data)]) of the first global heap collection."""
    g = b.index(b"GCOL")
    end = g + struct.unpack_from("<Q", b, g + 8)[0]
    p, objects = g + 16, []
    while p + 16 <= end:
        idx, size = struct.unpack_from("<H", b, p)[0], struct.unpack_from("<Q", b, p + 8)[0]
        objects.append((idx, p, size, b[p + 16:p + 16 + size] if idx else b""))
        if idx == 0:
            break
        p += 16 + (size + 7) // 8 * 8
    return g, objects


g, objects = heap_objects(data)
species = next(o for o in objects if o[3] == b"Cu")
b = bytearray(data)
struct.pack_into("<Q", b, species[1] + 8, 99999999999)  # the fuzz run's crash (run 1468, seed 18)
f = write("heap-size.h5", bytes(b))
error_case("a global heap object size 2 -> 99999999999 (.h5), calc-efs", ["calc-efs", POT, f, out], f,
           "damaged global heap", "runs past the end of the collection")
b = bytearray(data)
struct.pack_into("<Q", b, next(o for o in objects if o[0] == 0)[1] + 8, 0)
f = write("heap-free.h5", bytes(b))
error_case("a global heap free space of size 0 (.h5)", ["data", "info", f], f, "damaged global heap", timeout=20)
mo = os.path.join(W, "mo.h5")
mtp("convert", JSON, "-o", mo)
mo_data = open(mo, "rb").read()
g, objects = heap_objects(mo_data)
name = next(o for o in objects if o[3] == b"Elastic")
at = mo_data.index(struct.pack("<IQI", name[2], g, name[0]))
b = bytearray(mo_data)
struct.pack_into("<I", b, at + 12, 60000)
f = write("heap-index.h5", bytes(b))
error_case("a group name's heap index 60000 (.h5), train", ["train", POT, f, "-o", "t.mtp", "--max-iter", "2"], f,
           "/groups/names", "no object 60000")

xyz = text(XYZ)
f = write("xx.extxyz", re.sub(r"^Si ", "Xx ", xyz, count=1, flags=re.M))
error_case("unknown element symbol Xx in extended XYZ", ["convert", f, "-o", "x.cfg"], f, "Xx")
for name in ["empty.cfg", "empty.extxyz", "empty.json"]:
    f = write(name, "")
    error_case(f"empty input {name}", ["convert", f, "-o", "e.h5"], f, "no configurations")
f = write("empty.h5", b"")
error_case("empty input empty.h5", ["convert", f, "-o", "e.cfg"], f)

# CRLF .mtp, broken JSON with a position, messages naming the input.
f = write("crlf.mtp", pot.replace("\n", "\r\n"))
output_case("CRLF .mtp accepted", ["calc-efs", f, CFG, out], [out])
broken = text(JSON)[:5000]
f = write("broken.json", broken)
error_case("broken JSON gives a position", ["convert", f, "-o", "b.cfg"], f, "column 5001", "unterminated string")
f = write("bad-input.cfg", cfg.replace("BEGIN_CFG", "BEGIN_CFX", 1))
error_case("an error names the input, not the output", ["convert", f, "--species", "Cu", "-o", "named-output.h5"], f)


# calc-efs on an ASE-written extxyz drops stale free_energy= and per-atom energies.
def no_stale():
    t = text(os.path.join(W, "efs.extxyz"))
    return [f"'{k}' passed through" for k in ["free_energy=", "energies:R:1"] if k in t]


xyz_src = write("ase.extxyz", "2\nLattice=\"3.61 0 0 0 3.61 0 0 0 3.61\" "
                "Properties=species:S:1:pos:R:3:energies:R:1:forces:R:3 energy=-7.0 free_energy=-7.01 pbc=\"T T T\"\n"
                "Cu 0 0 0 -3.5 0 0 0\nCu 1.805 1.805 0 -3.5 0 0 0\n")
output_case("calc-efs drops ASE's stale free_energy and energies", ["calc-efs", POT, xyz_src, "efs.extxyz"],
            [os.path.join(W, "efs.extxyz")], no_stale)

shutil.rmtree(W)
print(f"regressions: {len(failures)} failed" if failures else "regressions: all cases passed")
sys.exit(1 if failures else 0)
