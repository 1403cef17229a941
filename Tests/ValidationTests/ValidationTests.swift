import XCTest
import CommandLineTesting
import Foundation
import Atomistic
import Reference
import Structures
import Relaxation
@testable import Validation

/// A Lennard-Jones pair calculator: cheap, and a deliberately wrong
/// "potential" for magnesium (no many-body term, wrong energy scale).
final class LennardJones: Calculator {
    let epsilon: Double, sigma: Double
    let cutoff: Double
    /// A negative `epsilon` makes every pair attract without limit (a potential that must blow up).
    init(epsilon: Double = 0.2, sigma: Double = 2.85, cutoff: Double = 7.5) {
        self.epsilon = epsilon; self.sigma = sigma; self.cutoff = cutoff
    }
    var name: String { "lj" }

    func calculate(_ config: Configuration) throws -> Labels {
        let nl = try NeighborList(config, cutoff: cutoff)
        var energy = 0.0
        var forces = [Vec3](repeating: .zero, count: config.atomCount)
        var w = [Double](repeating: 0, count: 6)
        let shift = 4 * epsilon * (pow(sigma / cutoff, 12) - pow(sigma / cutoff, 6))
        for i in 0..<config.atomCount {
            for p in nl.offsets[i]..<nl.offsets[i + 1] {
                let r = nl.distance[p]
                let sr6 = pow(sigma / r, 6)
                energy += 0.5 * (4 * epsilon * (sr6 * sr6 - sr6) - shift)
                // dE/dr of the pair, half per ordered pair.
                let dEdr = 0.5 * 4 * epsilon * (-12 * sr6 * sr6 + 6 * sr6) / r
                let d = Vec3(nl.dx[p], nl.dy[p], nl.dz[p])
                let g = (dEdr / r) * d           // dE/d r_j (half)
                forces[Int(nl.neighbor[p])] -= g
                forces[i] += g
                // W = -dE/deps = -sum g_a d_b
                w[0] -= g.x * d.x; w[1] -= g.y * d.y; w[2] -= g.z * d.z
                w[3] -= g.y * d.z; w[4] -= g.x * d.z; w[5] -= g.x * d.y
            }
        }
        return Labels(energy: energy, forces: forces, virial: Virial(voigt: w))
    }
}

final class ValidationTests: XCTestCase {
    /// The EAM fixture of the Reference tests (with its licence note there).
    static var eamFile: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ReferenceTests/Fixtures/Mg_mm.eam.fs").path
    }
    static let mgMass = 24.305

    func eamSource(_ name: String = "eam") -> CalculatorSource {
        let f = Self.eamFile
        return CalculatorSource(name: name, make: { try EAMCalculator(file: f) })
    }

    func validate(_ potential: CalculatorSource, settings: ValidationSettings = .quick) throws -> ValidationReport {
        try Validator(reference: eamSource(), potentials: [potential], mass: Self.mgMass,
                      startLattice: (3.18, 1.62), settings: settings).run()
    }

    // MARK: Comparison

    /// The EAM reference validated against itself: every property computed,
    /// every error exactly zero, every run stable.
    func testEAMAgainstItselfGivesZeroErrorOnEveryProperty() throws {
        let report = try validate(eamSource("eam copy"))
        XCTAssertEqual(Set(report.rows.map(\.property)), Set(ValidationProperties.all.map(\.identifier)))
        XCTAssertGreaterThan(report.rows.count, 50)
        for row in report.rows {
            switch row.kind {
            case .value:
                if row.name.contains("grade") {
                    XCTAssertNil(row.values[0], row.name)   // an EAM has no active set
                    continue
                }
                XCTAssertNotNil(row.reference, "\(row.name): \(row.referenceNote ?? "")")
                XCTAssertEqual(row.errors[0]!, 0, "\(row.name)")
            case .curve:
                XCTAssertEqual(row.errors[0]!, 0, "\(row.name)")
            case .flag:
                XCTAssertEqual(row.reference, 1, "\(row.name): \(row.referenceNote ?? "")")
                XCTAssertEqual(row.values[0]!, 1, "\(row.name)")
            }
        }
        XCTAssertFalse(report.markdownTable.isEmpty)
    }

    /// A Lennard-Jones "magnesium" is wrong on everything that matters.
    func testWrongPotentialGivesLargeErrors() throws {
        let report = try validate(CalculatorSource(name: "lj", make: { LennardJones() }))
        func error(_ prefix: String) -> Double {
            guard let row = report.rows.first(where: { $0.name.hasPrefix(prefix) }), let e = row.errors[0] else {
                XCTFail("no error for \(prefix)"); return 0
            }
            return abs(e)
        }
        XCTAssertGreaterThan(error("E-V hcp +-10%"), 20)                    // meV/atom
        XCTAssertGreaterThan(error("vacancy formation energy hcp"), 0.2)    // eV
        XCTAssertGreaterThan(error("surface energy hcp (0001)"), 3)         // meV/A^2
        XCTAssertGreaterThan(error("hcp C11"), 5)                           // GPa
        XCTAssertGreaterThan(error("force constants hcp"), 0.02)            // eV/A^2
        XCTAssertGreaterThan(error("hcp strains, all six"), 100)            // meV/atom
    }

    /// A potential whose lattices cannot even be relaxed still gets every
    /// row: the properties on the reference's cells are compared, the others
    /// say why they are missing.
    func testAPotentialThatCollapsesIsReportedNotFatal() throws {
        let report = try validate(CalculatorSource(name: "collapsing", make: { LennardJones(epsilon: -0.3) }))
        let ev = report.rows.first { $0.name == "E-V hcp +-10%" }!
        XCTAssertNotNil(ev.errors[0] ?? nil)
        for prefix in ["hcp a", "vacancy formation energy hcp", "surface energy hcp (0001)", "hcp C11", "MD 300 K stable"] {
            let row = report.rows.first { $0.name.hasPrefix(prefix) }!
            XCTAssertNil(row.errors[0] ?? nil, prefix)
            XCTAssertNotNil(row.notes[0], prefix)
        }
        XCTAssertTrue(report.notes.contains { $0.contains("collapsing") && $0.contains("relaxation") }, "\(report.notes)")
    }

    /// An unbounded attraction collapses under dynamics; the run says so
    /// instead of producing numbers.
    func testDynamicsDetectsABlowUp() throws {
        var s = ValidationSettings.quick
        s.mdDuration = 0.5
        let eq = try Equilibrium.find(with: try EAMCalculator(file: Self.eamFile), start: (3.18, 1.62), settings: s)
        let collapsing = LennardJones(epsilon: -0.3, sigma: 2.85)
        let md = MolecularDynamics.compute(with: collapsing, own: eq, mass: Self.mgMass, settings: s, grader: nil, gradeNote: "-")
        XCTAssertTrue(md.runs.allSatisfy { !$0.stable }, "\(md.runs.map(\.reason))")
        let ok = MolecularDynamics.compute(with: try EAMCalculator(file: Self.eamFile), own: eq, mass: Self.mgMass, settings: s,
                                           grader: { _ in 0.5 }, gradeNote: "-")
        XCTAssertTrue(ok.runs.allSatisfy(\.stable), "\(ok.runs.map(\.reason))")
        XCTAssertEqual(ok.runs[0].maxGrade, 0.5)
        // 800 K runs hotter than 300 K, and potential energy rises with temperature.
        XCTAssertGreaterThan(ok.runs[1].meanPotentialEnergy, ok.runs[0].meanPotentialEnergy)
    }

    // MARK: Relaxations against the reference's known results (data/README.md)

    func testEquilibriumOfTheEAMMatchesLAMMPS() throws {
        let eam = try EAMCalculator(file: Self.eamFile)
        // From a scan, without a hint, as `mtp validate` does without --lattice.
        let start = try Equilibrium.scanStart(with: eam)
        let eq = try Equilibrium.find(with: eam, start: start, settings: ValidationSettings())
        XCTAssertEqual(eq.hcpA, 3.1842, accuracy: 0.002)
        XCTAssertEqual(eq.hcpC / eq.hcpA, 1.6282, accuracy: 0.002)
        XCTAssertEqual(eq.volumePerAtom(.hcp), 22.762, accuracy: 0.01)
        XCTAssertEqual(eq.energyPerAtom[.hcp]!, -1.5287, accuracy: 0.0005)
        // hcp is the ground state of this potential.
        for k in [LatticeKind.fcc, .dhcp, .bcc] { XCTAssertGreaterThan(eq.energyPerAtom[k]!, eq.energyPerAtom[.hcp]!) }
    }

    /// LAMMPS: 0.875 eV in a 288-atom cell, volume fixed, ions relaxed.
    func testVacancyOfTheEAMMatchesLAMMPS() throws {
        let eam = try EAMCalculator(file: Self.eamFile)
        let eq = try Equilibrium.find(with: eam, start: (3.18, 1.62), settings: ValidationSettings())
        let perfect = eq.cell(.hcp).supercell(6, 6, 4)
        XCTAssertEqual(perfect.atomCount, 288)
        let r = try relax(perfect.removingAtom(at: 0), with: eam, options: RelaxationOptions(mode: .positions, forceTolerance: 1e-4))
        XCTAssertTrue(r.converged)
        let ef = r.labels.energy - 287 * eq.energyPerAtom[.hcp]!
        XCTAssertEqual(ef, 0.875, accuracy: 0.003)
        // The validation's own setting (54 sites, volume relaxed) is close to it.
        var s = ValidationSettings()
        s.vacancyRepeat = 3
        let v = Vacancies.compute(with: eam, own: eq, settings: s)
        let hcp = v.entries.first { $0.lattice == .hcp }!
        XCTAssertNil(hcp.note)
        XCTAssertEqual(hcp.formationEnergy, 0.875, accuracy: 0.03)
        XCTAssertGreaterThan(hcp.maxDisplacement, 0.005)
        XCTAssertLessThan(hcp.maxDisplacement, 0.2)
    }

    // MARK: Property pieces

    /// Slabs are whole periods of the bulk: without vacuum a slab is the
    /// perfect crystal, so its energy is N E0; with vacuum the (10-10)
    /// termination cut at the wide gap costs less than the narrow one.
    func testSlabsArePerfectCrystalCutsAndTerminationsDiffer() throws {
        let eam = try EAMCalculator(file: Self.eamFile)
        let eq = try Equilibrium.find(with: eam, start: (3.18, 1.62), settings: .quick)
        for (name, normal, cut) in Surfaces.surfaces {
            let bulk = Surfaces.slab(a: eq.hcpA, c: eq.hcpC, normal: normal, cut: cut, thickness: 17, vacuum: 0, species: 0)
            XCTAssertGreaterThanOrEqual(bulk.cell[2].z, 17, name)
            let e = try eam.calculate(bulk).energy
            XCTAssertEqual(e, Double(bulk.atomCount) * eq.energyPerAtom[.hcp]!, accuracy: 1e-6, name)
        }
        var s = ValidationSettings()
        s.slabThickness = 17
        let surfaces = Surfaces.compute(with: eam, own: eq, settings: s)
        let gamma = Dictionary(uniqueKeysWithValues: surfaces.entries.map { ($0.name, $0.energy) })
        XCTAssertEqual(surfaces.entries.count, 4)
        for e in surfaces.entries {
            XCTAssertNil(e.note, e.name)
            XCTAssertGreaterThanOrEqual(e.thickness, 17 - 1e-9, e.name)
            XCTAssertGreaterThan(e.energy, 5, e.name)
            XCTAssertLessThan(e.energy, 60, e.name)
        }
        XCTAssertLessThan(gamma[Surfaces.surfaces[1].0]!, gamma[Surfaces.surfaces[2].0]!)
        // Basal is the closest-packed plane: the lowest energy.
        XCTAssertEqual(gamma.values.min(), gamma["(0001)"])
    }

    /// Acoustic modes vanish at Gamma, the DOS holds 3 states per atom, and
    /// the supercells reach the requested width.
    func testPhononsSumRulesAndSupercells() throws {
        let eam = try EAMCalculator(file: Self.eamFile)
        let eq = try Equilibrium.find(with: eam, start: (3.18, 1.62), settings: .quick)
        var s = ValidationSettings.quick
        s.phononMinimumLength = 10
        s.dosMesh = 6
        let ph = Phonons.compute(with: eam, reference: eq, mass: Self.mgMass, settings: s)
        XCTAssertTrue(ph.failures.isEmpty, "\(ph.failures)")
        for r in ph.results {
            let atoms = r.lattice == .hcp ? 2 : 1
            XCTAssertEqual(r.pathFrequencies[0].count, 3 * atoms)
            // Gamma is the first point: three acoustic zeros.
            XCTAssertEqual(r.pathFrequencies[0].filter { abs($0) < 0.05 }.count, 3, "\(r.lattice)")
            XCTAssertGreaterThan(r.pathFrequencies.flatMap { $0 }.min()!, -0.05, "\(r.lattice): no imaginary modes in the ground state")
            let step = r.dosFrequencies[1] - r.dosFrequencies[0]
            XCTAssertEqual(r.dos.reduce(0, +) * step, Double(3 * atoms), accuracy: 0.05, "\(r.lattice)")
            XCTAssertGreaterThanOrEqual(r.supercellAtoms, r.lattice == .hcp ? 64 : 64)
        }
        // Gamma independently: displacing an atom of the 2-atom hcp cell moves
        // every periodic image with it, so the forces in that cell are the
        // Gamma-point dynamical matrix itself, with no supercell or images.
        let cell = eq.cell(.hcp), h = 0.005
        var d = [Double](repeating: 0, count: 36)
        for b in 0..<2 {
            for alpha in 0..<3 {
                var p = cell, m = cell
                p.positions[b][alpha] += h
                m.positions[b][alpha] -= h
                let fp = try eam.calculate(p).forces, fm = try eam.calculate(m).forces
                for k in 0..<2 { for beta in 0..<3 {
                    d[(3 * b + alpha) * 6 + 3 * k + beta] = -(fp[k][beta] - fm[k][beta]) / (2 * h) / Self.mgMass
                }}
            }
        }
        // Optical modes move the two atoms against each other, (e, -e)/sqrt(2):
        // eigenvalues of D_self - D_cross.
        var rel = [Double](repeating: 0, count: 9)
        for a in 0..<3 { for b in 0..<3 { rel[3 * a + b] = d[a * 6 + b] - d[a * 6 + 3 + b] } }
        // hcp's relative-motion matrix is diagonal (x, y in-plane degenerate, z apart).
        let optical = [rel[0], rel[4], rel[8]].map { $0.squareRoot() * Units.terahertzPerRootEVPerSquareAngstromAmu }.sorted()
        let gamma = ph.results.first { $0.lattice == .hcp }!.pathFrequencies[0]
        let fromBands = Array(gamma.sorted().suffix(3))
        for (x, y) in zip(optical, fromBands) { XCTAssertEqual(x, y, accuracy: 0.02) }
    }

    /// The elastic constants agree with the bulk modulus from relaxations
    /// under pressure (Reuss bound, the hydrostatic response with c/a free).
    func testElasticConstantsAgreeWithPressureRelaxations() throws {
        let eam = try EAMCalculator(file: Self.eamFile)
        let eq = try Equilibrium.find(with: eam, start: (3.18, 1.62), settings: ValidationSettings())
        let el = Elastic.compute(with: eam, own: eq, settings: ValidationSettings())
        XCTAssertNil(el.note)
        let c = Dictionary(uniqueKeysWithValues: el.constants.map { ($0.name, $0.value) })
        let (c11, c12, c13, c33) = (c["C11"]!, c["C12"]!, c["C13"]!, c["C33"]!)
        let reuss = ((c11 + c12) * c33 - 2 * c13 * c13) / (c11 + c12 + 2 * c33 - 4 * c13)
        let p = 0.3 / Units.gigapascalPerEVPerCubicAngstrom
        func volume(_ pressure: Double) throws -> Double {
            let r = try relax(eq.cell(.hcp), with: eam, options: RelaxationOptions(mode: .cellShape, stressTolerance: 1e-6, pressure: pressure))
            XCTAssertTrue(r.converged)
            return r.configuration.volume
        }
        let vp = try volume(p), vm = try volume(-p), v0 = eq.cell(.hcp).volume
        let bulk = -v0 * (2 * p) / (vp - vm) * Units.gigapascalPerEVPerCubicAngstrom
        XCTAssertEqual(reuss, bulk, accuracy: 0.02 * bulk)
        XCTAssertGreaterThan(c["C44"]!, 0)
    }

    // MARK: Report

    func testReportFilesAndMultiplePotentials() throws {
        let report = try Validator(reference: eamSource(), potentials: [eamSource("same"), CalculatorSource(name: "lj", make: { LennardJones() })],
                                   mass: Self.mgMass, startLattice: (3.18, 1.62), settings: .quick).run()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mtp-validate-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = try report.write(to: dir, title: "test")
        let md = try String(contentsOfFile: dir + "/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("| # | property | unit | reference | same | error | lj | error |"), md)
        XCTAssertTrue(md.contains("vacancy formation energy hcp"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report.json"))) as! [String: Any]
        XCTAssertEqual((json["rows"] as! [Any]).count, report.rows.count)
        XCTAssertEqual(json["potentials"] as! [String], ["same", "lj"])
        // Plotted numbers are written beside every plot, with or without gnuplot.
        for name in ["ev-hcp-near.dat", "ev-bcc-far.dat", "ev-relative.dat", "phonons-hcp.dat", "phonons-bcc.dat", "dos-hcp.dat", "errors.dat"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/" + name), name)
        }
        XCTAssertTrue(files.contains(dir + "/report.md"))
    }
}

/// `mtp validate` as users run it.
final class ValidateCommandTests: TemporaryDirectoryTestCase {
    typealias Run = MTPExecutable.Run

    func mtp(_ args: String...) throws -> Run { try MTPExecutable.run(args) }

    func testValidateTheReferenceAgainstItself() throws {
        let eam = "eam:" + ValidationTests.eamFile
        let out = tmp + "/report"
        let r = try mtp("validate", eam, "--reference", eam, "--quick", "--lattice", "hcp:3.18,1.62", "--out", out)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("vacancies"), r.out)                  // progress, one line per property
        XCTAssertTrue(r.out.contains("vacancy formation energy hcp"), r.out) // summary
        let md = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("| vacancy formation energy hcp"), md)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/report.json"))
        // The element comes from the EAM file: Mg.
        XCTAssertTrue(r.out.contains("Mg, 24.305 amu"), r.out)
    }

    func testBadInputsFailWithOneClearLine() throws {
        let eam = "eam:" + ValidationTests.eamFile
        var r = try mtp("validate", eam, "--reference", "eam:" + tmp + "/missing.eam.fs", "--out", tmp + "/x")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("missing.eam.fs"), r.err)
        r = try mtp("validate", tmp + "/missing.mtp", "--reference", eam, "--out", tmp + "/x")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("missing.mtp"), r.err)
        r = try mtp("validate", eam, "--reference", eam, "--lattice", "fcc:4.5", "--out", tmp + "/x")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("--lattice"), r.err)
        r = try mtp("validate", eam, "--reference", eam, "--element", "Xx", "--out", tmp + "/x")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("Xx"), r.err)
        r = try mtp("validate", eam, "--reference", eam, "--md-temperatures", "300,hot", "--out", tmp + "/x")
        XCTAssertNotEqual(r.status, 0)
        for bad in ["0", "-0.01", "0.2", "nan"] {
            r = try mtp("validate", eam, "--reference", eam, "--elastic-strain", bad, "--out", tmp + "/x")
            XCTAssertNotEqual(r.status, 0, bad)
            XCTAssertTrue(r.err.contains("--elastic-strain"), bad + ": " + r.err)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp + "/x"))
    }

    /// `--elastic-strain` reaches the stress-strain differences: the Mg EAM's
    /// hcp C33 grows with the strain (its c-axis stress is strongly
    /// non-linear: 70 GPa at +-0.5 %, about 77 at +-2 %), while C11 barely moves.
    func testElasticStrainSetsTheDifferenceStep() throws {
        let eam = "eam:" + ValidationTests.eamFile
        func constants(_ strain: String?) throws -> [String: Double] {
            let out = tmp + "/elastic-" + (strain ?? "default")
            var args = ["validate", eam, "--reference", eam, "--quick", "--lattice", "hcp:3.18,1.62", "--properties", "elastic", "--out", out]
            if let strain { args += ["--elastic-strain", strain] }
            let r = try MTPExecutable.run(args)
            XCTAssertEqual(r.status, 0, r.err)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as! [String: Any]
            var values: [String: Double] = [:]
            for row in json["rows"] as! [[String: Any]] where (row["property"] as? String) == "elastic" {
                values[row["name"] as! String] = row["reference"] as? Double
            }
            return values
        }
        let small = try constants(nil), large = try constants("0.02")
        let c33 = "hcp C33 (relaxed ions)", c11 = "hcp C11 (relaxed ions)"
        let s33 = try XCTUnwrap(small[c33], "\(small)"), l33 = try XCTUnwrap(large[c33], "\(large)")
        XCTAssertEqual(s33, 70, accuracy: 2)
        XCTAssertEqual(l33 / s33, 1.10, accuracy: 0.03)
        XCTAssertEqual(try XCTUnwrap(large[c11]) / XCTUnwrap(small[c11]), 1, accuracy: 0.04)
    }
}
