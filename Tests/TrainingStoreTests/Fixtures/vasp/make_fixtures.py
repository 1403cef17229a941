#!/usr/bin/env python3
"""Writes the synthetic VASP fixtures of the TrainingStore tests.

    python3 make_fixtures.py        (writes next to this script)

Output, all generated from the values chosen below (no VASP run, no
third-party file):

  vasprun_synthetic.xml  a vasprun.xml of a 2-step ISIF=3 relaxation
  OUTCAR_synthetic       the OUTCAR of the same run
  expected.json          the values a reader should return for both files

The files follow the layout VASP 6 writes (element and attribute names,
block headers, column formats), reduced to the blocks a training-data reader
looks at plus a few neighbours it must skip: per-electronic-step energies,
the initial and final structures, the PSTRESS echo, the enthalpy line.

Conventions the expectations encode (derived here, not taken from the
reader under test):
  * cell rows are the lattice vectors a1, a2, a3 (Angstrom); positions are
    Cartesian, r = f1*a1 + f2*a2 + f3*a3 from the fractional coordinates.
  * energy is the free energy F (OUTCAR "free  energy   TOTEN", vasprun
    e_fr_energy minus P*V: with PSTRESS set VASP adds the enthalpy term
    P*V to the energies of <calculation>/<energy>, not to those of <scstep>
    nor to OUTCAR's TOTEN).
  * stress is printed by VASP in kB with compression positive
    (OUTCAR "in kB" order XX YY ZZ XY YZ ZX; vasprun a 3x3 matrix). In the
    tensile-positive convention (ASE) sigma = -s_kB * 0.1 GPa, and
    1 eV/A^3 = 160.21766208 GPa; MLIP's virial is W = -sigma * V (eV),
    listed in Voigt order xx yy zz yz xz xy.
"""

import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- chosen run

ELEMENTS = ["Mg", "Mg", "Al"]            # ion order, types Mg (2) and Al (1)
TYPES = [("Mg", 2, 24.305, 8.0, "PAW_PBE Mg_pv 06Sep2000"),
         ("Al", 1, 26.982, 3.0, "PAW_PBE Al 04Jan2001")]
PSTRESS = 25.0                           # kB
GPA_PER_KB = 0.1
GPA_PER_EV_PER_A3 = 160.21766208

# Two ionic steps of a variable-cell relaxation (ISIF = 3): triclinic cells.
STEPS = [
    dict(
        cell=[[3.210000, 0.000000, 0.000000],
              [-1.605000, 2.779900, 0.000000],
              [0.150000, -0.080000, 5.210000]],
        frac=[[0.00000000, 0.00000000, 0.00000000],
              [0.33333333, 0.66666667, 0.50000000],
              [0.66666667, 0.33333333, 0.25000000]],
        forces=[[0.123456, -0.234567, 0.045678],
                [-0.310987, 0.087654, -0.150321],
                [0.187531, 0.146913, 0.104643]],
        # xx yy zz xy yz zx, kB
        stress=[-12.34567, 8.76543, 23.45678, 3.21098, -1.98765, 0.54321],
        free_energy=-4.71234567,
        e_wo_entrp=-4.71345678,
        scf=[6.48317120, -3.90214455, -4.70977001, -4.71234567],
    ),
    dict(
        cell=[[3.218500, 0.012000, 0.000000],
              [-1.598700, 2.790300, 0.010500],
              [0.143200, -0.076100, 5.189300]],
        frac=[[0.00210000, 0.99870000, 0.00150000],
              [0.33012345, 0.67123456, 0.49876543],
              [0.66543210, 0.33456789, 0.25432109]],
        forces=[[-0.041234, 0.052345, -0.013456],
                [0.028765, -0.019876, 0.031234],
                [0.012469, -0.032469, -0.017778]],
        stress=[-4.56789, 2.34567, 9.87654, -1.23456, 0.76543, -2.10987],
        free_energy=-4.73456789,
        e_wo_entrp=-4.73512345,
        scf=[-4.72011122, -4.73401234, -4.73456789],
    ),
]
MP_ORDER = 1   # ISMEAR = 1: energy(sigma->0) = E0 + (F - E0) * (N+1)/(N+2)


# ---------------------------------------------------------------- helpers

def det(m):
    return (m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]))


def clean(x, digits):
    """x rounded as printed, without a negative zero."""
    return round(x, digits) + 0.0


def reciprocal(m):
    """Rows b_i with a_i . b_j = delta_ij (VASP's reciprocal lattice, no 2 pi)."""
    v = det(m)
    def cross(a, b):
        return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    return [[clean(x / v, 9) for x in cross(m[1], m[2])],
            [clean(x / v, 9) for x in cross(m[2], m[0])],
            [clean(x / v, 9) for x in cross(m[0], m[1])]]


def cartesian(frac, cell):
    return [[sum(f[k] * cell[k][j] for k in range(3)) for j in range(3)] for f in frac]


def norm(v):
    return sum(x * x for x in v) ** 0.5


def volume(cell):
    return abs(det(cell))


def pv(cell):
    """P*V in eV for PSTRESS in kB."""
    return PSTRESS * GPA_PER_KB / GPA_PER_EV_PER_A3 * volume(cell)


def sigma0(f, e):
    return e + (f - e) * (MP_ORDER + 1) / (MP_ORDER + 2)


def matrix(s):
    xx, yy, zz, xy, yz, zx = s
    return [[xx, xy, zx], [xy, yy, yz], [zx, yz, zz]]


def virial_voigt(s, cell):
    """W = -sigma * V in eV, Voigt order xx yy zz yz xz xy."""
    xx, yy, zz, xy, yz, zx = s
    sigma = [-x * GPA_PER_KB / GPA_PER_EV_PER_A3 for x in (xx, yy, zz, yz, zx, xy)]
    return [-x * volume(cell) for x in sigma]


# ---------------------------------------------------------------- vasprun.xml

def vasprun():
    out = []
    w = out.append

    def vec(x, fmt="%16.8f"):
        return " ".join(fmt % c for c in x)

    def structure(indent, name, cell, frac):
        p = " " * indent
        w(p + ("<structure name=\"%s\" >" % name if name else "<structure>"))
        w(p + " <crystal>")
        w(p + "  <varray name=\"basis\" >")
        for row in cell:
            w(p + "   <v> %s </v>" % vec(row))
        w(p + "  </varray>")
        w(p + "  <i name=\"volume\"> %16.8f </i>" % volume(cell))
        w(p + "  <varray name=\"rec_basis\" >")
        for row in reciprocal(cell):
            w(p + "   <v> %s </v>" % vec(row))
        w(p + "  </varray>")
        w(p + " </crystal>")
        w(p + " <varray name=\"positions\" >")
        for f in frac:
            w(p + "  <v> %s </v>" % vec(f))
        w(p + " </varray>")
        w(p + "</structure>")

    w('<?xml version="1.0" encoding="ISO-8859-1"?>')
    w("<modeling>")
    w(" <generator>")
    w('  <i name="program" type="string">vasp </i>')
    w('  <i name="version" type="string">6.4.2  </i>')
    w('  <i name="platform" type="string">LinuxGNU </i>')
    w('  <i name="date" type="string">2025 11 24 </i>')
    w('  <i name="time" type="string">10:00:00 </i>')
    w(" </generator>")
    w(" <incar>")
    w('  <i type="string" name="SYSTEM">synthetic Mg2Al fixture</i>')
    w('  <i name="ENCUT">    350.00000000</i>')
    w('  <i type="int" name="ISMEAR">     %d</i>' % MP_ORDER)
    w('  <i name="SIGMA">      0.20000000</i>')
    w('  <i type="int" name="IBRION">     2</i>')
    w('  <i type="int" name="ISIF">     3</i>')
    w('  <i type="int" name="NSW">     %d</i>' % len(STEPS))
    w('  <i name="PSTRESS">  %14.8f</i>' % PSTRESS)
    w(" </incar>")
    w(" <kpoints>")
    w('  <generation param="Gamma">')
    w('   <v type="int" name="divisions">       6        6        4 </v>')
    w('   <v name="usershift">      0.00000000       0.00000000       0.00000000 </v>')
    w("  </generation>")
    w('  <varray name="kpointlist" >')
    w("   <v>       0.00000000       0.00000000       0.00000000 </v>")
    w("  </varray>")
    w('  <varray name="weights" >')
    w("   <v>       1.00000000 </v>")
    w("  </varray>")
    w(" </kpoints>")
    w(" <parameters>")
    w('  <separator name="general" >')
    w('   <i type="string" name="SYSTEM">synthetic Mg2Al fixture</i>')
    w("  </separator>")
    w('  <separator name="electronic" >')
    w('   <i name="ENMAX">    350.00000000</i>')
    w('   <i name="NELECT">     %12.8f</i>' % sum(t[1] * t[3] for t in TYPES))
    w('   <separator name="electronic smearing" >')
    w('    <i type="int" name="ISMEAR">     %d</i>' % MP_ORDER)
    w('    <i name="SIGMA">      0.20000000</i>')
    w("   </separator>")
    w("  </separator>")
    w('  <separator name="ionic" >')
    w('   <i type="int" name="NSW">     %d</i>' % len(STEPS))
    w('   <i type="int" name="IBRION">     2</i>')
    w('   <i type="int" name="ISIF">     3</i>')
    w('   <i name="PSTRESS">  %14.8f</i>' % PSTRESS)
    w('   <i name="EDIFFG">      0.00100000</i>')
    w('   <i name="POTIM">      0.50000000</i>')
    w("  </separator>")
    w(" </parameters>")
    w(" <atominfo>")
    w("  <atoms>       %d </atoms>" % len(ELEMENTS))
    w("  <types>       %d </types>" % len(TYPES))
    w('  <array name="atoms" >')
    w('   <dimension dim="1">ion</dimension>')
    w('   <field type="string">element</field>')
    w('   <field type="int">atomtype</field>')
    w("   <set>")
    names = [t[0] for t in TYPES]
    for e in ELEMENTS:
        w("    <rc><c>%-2s</c><c>%4d</c></rc>" % (e, names.index(e) + 1))
    w("   </set>")
    w("  </array>")
    w('  <array name="atomtypes" >')
    w('   <dimension dim="1">type</dimension>')
    w('   <field type="int">atomspertype</field>')
    w('   <field type="string">element</field>')
    w("   <field>mass</field>")
    w("   <field>valence</field>")
    w('   <field type="string">pseudopotential</field>')
    w("   <set>")
    for name, count, mass, zval, titel in TYPES:
        w("    <rc><c>%4d</c><c>%-2s</c><c>%16.8f</c><c>%16.8f</c><c>  %-38s</c></rc>"
          % (count, name, mass, zval, titel.replace("_PBE", "")))
    w("   </set>")
    w("  </array>")
    w(" </atominfo>")
    structure(1, "initialpos", STEPS[0]["cell"], STEPS[0]["frac"])
    for step in STEPS:
        cell = step["cell"]
        extra = pv(cell)
        w(" <calculation>")
        # Electronic steps: energies without the P*V term.
        wo_shift = step["e_wo_entrp"] - step["free_energy"]
        for e in step["scf"]:
            w("  <scstep>")
            w('   <time name="dav">    0.02    0.02</time>')
            w('   <time name="total">    0.03    0.03</time>')
            w("   <energy>")
            w('    <i name="e_fr_energy"> %16.8f </i>' % e)
            w('    <i name="e_wo_entrp"> %16.8f </i>' % (e + wo_shift))
            w('    <i name="e_0_energy"> %16.8f </i>' % sigma0(e, e + wo_shift))
            w("   </energy>")
            w("  </scstep>")
        structure(2, None, cell, step["frac"])
        w('  <varray name="forces" >')
        for f in step["forces"]:
            w("   <v> %s </v>" % vec(f))
        w("  </varray>")
        w('  <varray name="stress" >')
        for row in matrix(step["stress"]):
            w("   <v> %s </v>" % vec(row))
        w("  </varray>")
        # Ionic step: energies with the enthalpy term P*V.
        w("  <energy>")
        w('   <i name="e_fr_energy"> %16.8f </i>' % (step["free_energy"] + extra))
        w('   <i name="e_wo_entrp"> %16.8f </i>' % (step["e_wo_entrp"] + extra))
        w('   <i name="e_0_energy"> %16.8f </i>' % (sigma0(step["free_energy"], step["e_wo_entrp"]) + extra))
        w("  </energy>")
        w('  <time name="totalsc">    0.12    0.13</time>')
        w(" </calculation>")
    structure(1, "finalpos", STEPS[-1]["cell"], STEPS[-1]["frac"])
    w("</modeling>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- OUTCAR

DASHES = "-" * 104


def outcar():
    out = []
    w = out.append

    def lattice(cell):
        w("  volume of cell : %11.2f" % volume(cell))
        w("      direct lattice vectors                 reciprocal lattice vectors")
        for a, b in zip(cell, reciprocal(cell)):
            w("   " + "".join("%13.9f" % x for x in a) + "   " + "".join("%13.9f" % x for x in b))
        w("")
        w("  length of vectors")
        w("   " + "".join("%13.9f" % norm(a) for a in cell) + "   "
          + "".join("%13.9f" % norm(b) for b in reciprocal(cell)))
        w("")

    first = STEPS[0]
    w(" vasp.6.4.2 20Jul23 (build Nov 24 2025 10:00:00) complex")
    w(" ")
    w(" executed on             LinuxGNU date 2025.11.24  10:00:00")
    w(" running    4 mpi-ranks, with    1 threads/rank")
    w("")
    w("")
    w(" " + DASHES)
    w("")
    w("")
    w(" INCAR:")
    for t in TYPES:
        w(" POTCAR:    " + t[4])
    w("")
    w(" POSCAR: synthetic Mg2Al fixture")
    w("")
    for name, count, mass, zval, titel in TYPES:
        w(" POTCAR:    " + titel)
        w("   VRHFIN =%s: synthetic" % name)
        w("   LEXCH  = PE")
        w("   POMASS =   %7.3f; ZVAL   =    %7.3f    mass and valenz" % (mass, zval))
        w("   TITEL  = " + titel)
        w("")
    w(" Dimension of arrays:")
    w("   k-points           NKPTS =      1   k-points in BZ     NKDIM =      1   number of bands    NBANDS=     16")
    w("   number of dos      NEDOS =    301   number of ions     NIONS =  %5d" % len(ELEMENTS))
    w("   ions per type =  " + "".join("%5d" % t[1] for t in TYPES))
    w("")
    w(" SYSTEM =  synthetic Mg2Al fixture")
    w(" POSCAR =  synthetic Mg2Al fixture")
    w("")
    w(" Ionic relaxation")
    w("   NSW    =  %5d    number of steps for IOM" % len(STEPS))
    w("   IBRION =      2    ionic relax: 0-MD 1-quasi-New 2-CG")
    w("   ISIF   =      3    stress and relaxation")
    w("   PSTRESS= %6.1f pullay stress" % PSTRESS)
    w("")
    w(" " + DASHES)
    w("")
    w("")
    w("  energy-cutoff  :      350.00")
    lattice(first["cell"])
    w(" position of ions in fractional coordinates (direct lattice)")
    for f in first["frac"]:
        w("  " + "".join("%12.8f" % x for x in f))
    w("")
    w(" position of ions in cartesian coordinates  (Angst):")
    for r in cartesian(first["frac"], first["cell"]):
        w("  " + "".join("%12.8f" % x for x in r))
    w("")
    w("")
    w(" " + DASHES)
    for n, step in enumerate(STEPS, start=1):
        cell = step["cell"]
        wo_shift = step["e_wo_entrp"] - step["free_energy"]
        for k, e in enumerate(step["scf"], start=1):
            w("")
            w("")
            w("----------------------------------------- Iteration %4d(%4d)  ---------------------------------------"
              % (n, k))
            w("")
            w("")
            w("    POTLOK:  cpu time      0.0100: real time      0.0100")
            w("    SETDIJ:  cpu time      0.0010: real time      0.0010")
            w("    EDDAV:  cpu time      0.0200: real time      0.0200")
            w("")
            w("")
            w("  Free energy of the ion-electron system (eV)")
            w("  ---------------------------------------------------")
            w("  free energy    TOTEN  = %18.8f eV" % e)
            w("")
            w("  energy without entropy = %17.8f  energy(sigma->0) = %17.8f"
              % (e + wo_shift, sigma0(e, e + wo_shift)))
            w("")
            w("")
            w(" " + DASHES)
        w("")
        w("")
        w("  FORCE on cell =-STRESS in cart. coord.  units (eV):")
        w("  Direction    XX          YY          ZZ          XY          YZ          ZX")
        w("  " + "-" * 86)
        w("  " + "-" * 85)
        eV = [x * volume(cell) * GPA_PER_KB / GPA_PER_EV_PER_A3 for x in step["stress"]]
        w("  Total  " + "".join("%12.5f" % x for x in eV))
        w("  in kB  " + "".join("%12.5f" % x for x in step["stress"]))
        w("  external pressure = %11.2f kB  Pullay stress = %11.2f kB"
          % (sum(step["stress"][:3]) / 3 - PSTRESS, PSTRESS))
        w("")
        w("")
        w(" VOLUME and BASIS-vectors are now :")
        w(" " + "-" * 77)
        w("  energy-cutoff  :      350.00")
        lattice(cell)
        w("")
        w(" POSITION                                       TOTAL-FORCE (eV/Angst)")
        w(" " + "-" * 83)
        for r, f in zip(cartesian(step["frac"], cell), step["forces"]):
            w("".join("%13.5f" % x for x in r) + "   " + "".join("%14.6f" % x for x in f))
        w(" " + "-" * 83)
        drift = [clean(sum(f[j] for f in step["forces"]), 6) for j in range(3)]
        w("    total drift:" + " " * 26 + "".join("%14.6f" % x for x in drift))
        w("")
        w("")
        w(DASHES)
        w("")
        w("")
        w("")
        w("  FREE ENERGIE OF THE ION-ELECTRON SYSTEM (eV)")
        w("  ---------------------------------------------------")
        w("  free  energy   TOTEN  = %18.8f eV" % step["free_energy"])
        w("")
        w("  energy  without entropy= %17.8f  energy(sigma->0) = %17.8f"
          % (step["e_wo_entrp"], sigma0(step["free_energy"], step["e_wo_entrp"])))
        w("  enthalpy is  TOTEN    = %18.8f eV   P V= %16.8f" % (step["free_energy"] + pv(cell), pv(cell)))
        w("")
        w("")
        w(" " + DASHES)
    w("")
    w("")
    w(" General timing and accounting informations for this job:")
    w(" ========================================================")
    w("")
    w("                   Total CPU time used (sec):        1.234")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- expected

def expected():
    symbols = []
    for e in ELEMENTS:
        if e not in symbols:
            symbols.append(e)
    return {
        "comment": "Written by make_fixtures.py; the values both vasprun_synthetic.xml and "
                   "OUTCAR_synthetic describe. energy: free energy without P*V (eV); virial: "
                   "W = -sigma*V (eV), Voigt xx yy zz yz xz xy; positions Cartesian (Angstrom).",
        "species": symbols,
        "speciesIndices": [symbols.index(e) for e in ELEMENTS],
        "pstressKB": PSTRESS,
        "steps": [{
            "cell": s["cell"],
            "volume": volume(s["cell"]),
            "positions": cartesian(s["frac"], s["cell"]),
            "forces": s["forces"],
            "energy": s["free_energy"],
            "enthalpyPV": pv(s["cell"]),
            "stressKB": s["stress"],
            "virial": virial_voigt(s["stress"], s["cell"]),
        } for s in STEPS],
    }


def main():
    for s in STEPS:   # the last electronic step is the ionic step's energy; no net force
        assert s["scf"][-1] == s["free_energy"]
        assert all(abs(sum(f[j] for f in s["forces"])) < 1e-12 for j in range(3))
    with open(os.path.join(HERE, "vasprun_synthetic.xml"), "w") as f:
        f.write(vasprun())
    with open(os.path.join(HERE, "OUTCAR_synthetic"), "w") as f:
        f.write(outcar())
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        text = json.dumps(expected(), indent=1)
        # one line per innermost list (a vector or a short list)
        text = re.sub(r"\[\s*([^\[\]{}]*?)\s*\]",
                      lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)
        f.write(text + "\n")


if __name__ == "__main__":
    main()
