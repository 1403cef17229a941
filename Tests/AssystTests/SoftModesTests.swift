import XCTest
import Foundation
import Atomistic
import Reference
import LatticeDynamics
@testable import Assyst

/// PHONON's frozen-in soft modes: the modes are the reference's (checked
/// against its own forces along each pattern), bcc's softest are its six N
/// points, the structures carry them at the two amplitudes, and the hand-off
/// refuses the option before any work.
final class SoftModesTests: XCTestCase {
    var eam: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ReferenceTests/Fixtures/Mg_mm.eam.fs").path
    }

    /// Each mode's pattern p is an eigenvector of the force constants: the
    /// reference's forces at a small displacement eps p are -k eps p, and
    /// the energy rises by k eps^2 |p|^2 / 2.
    func assertHarmonic(_ modes: [SoftModes.Mode], base: Configuration, calculator: Calculator,
                        file: StaticString = #filePath, line: UInt = #line) throws {
        let e0 = try calculator.calculate(base).energy
        let eps = 0.002
        for mode in modes {
            var c = base
            for a in c.positions.indices { c.positions[a] += eps * mode.pattern[a] }
            let labels = try calculator.calculate(c)
            var worst = 0.0, scale = 0.0, squares = 0.0
            for a in c.positions.indices {
                let expected = -mode.stiffness * eps * mode.pattern[a]
                worst = max(worst, norm(labels.forces[a] - expected))
                scale = max(scale, norm(expected))
                squares += dot(mode.pattern[a], mode.pattern[a])
            }
            XCTAssertLessThan(worst, 0.02 * scale + 1e-7, "forces along mode \(mode.wave)", file: file, line: line)
            XCTAssertEqual(labels.energy - e0, 0.5 * mode.stiffness * eps * eps * squares,
                           accuracy: 0.02 * abs(0.5 * mode.stiffness * eps * eps * squares) + 1e-9,
                           "energy along mode \(mode.wave)", file: file, line: line)
            XCTAssertEqual(mode.pattern.map { norm($0) }.max() ?? 0, 1, accuracy: 1e-12, file: file, line: line)
        }
    }

    /// bcc Mg in 2x2x2 primitive cells: seven wave vectors (each its own
    /// partner at the zone boundary), the six N points softest and equal,
    /// H stiffer; the N stiffness is the reference's +1.72 THz mode
    /// (`mtp validate`'s bcc phonons: k = m omega^2 = 0.296 eV/A^2). The mode
    /// is that soft that 0.004 A of lattice constant moves it by 0.02 eV/A^2
    /// (0.311 at 3.5655 A), hence the tolerance.
    func testBccSoftestModesAreTheNPoints() throws {
        let calculator = try EAMCalculator(file: eam)
        let a = 3.5614  // the EAM's relaxed bcc lattice constant (22.585 A^3/atom)
        let h = a / 2
        let primitive = Configuration(cell: [Vec3(-h, h, h), Vec3(h, -h, h), Vec3(h, h, -h)], pbc: .all,
                                      species: [0], positions: [.zero])
        let reps = [2, 2, 2]
        let base = primitive.supercell(2, 2, 2)
        let phi = try ForceConstants.centralDifferences(of: base, displacedAtoms: 1, step: 0.01, calculator: calculator)
        let modes = try SoftModes.modes(primitive: primitive, repetitions: reps, supercell: base, forceConstants: phi)
        XCTAssertEqual(modes.count, 7)
        let n = modes.prefix(6), top = modes[6]
        XCTAssertEqual(top.wave, [1, 1, 1], "H is stiffest")
        for m in n { XCTAssertEqual(m.stiffness, n.first!.stiffness, accuracy: 1e-6 * abs(n.first!.stiffness)) }
        XCTAssertGreaterThan(top.stiffness, 2 * n.first!.stiffness)
        XCTAssertEqual(n.first!.stiffness, 0.294, accuracy: 0.004)
        try assertHarmonic(modes, base: base, calculator: calculator)
    }

    /// hcp (two atoms per primitive cell) in 3x3x1 cells: wave vectors at a
    /// third of the zone carry complex eigenvectors; of each pair q, -q one
    /// is kept (4 of the 8 beyond Gamma), softest first, and every pattern is
    /// a mode of the reference.
    func testHcpModesWithComplexPhases() throws {
        let calculator = try EAMCalculator(file: eam)
        let a = 3.19, c = 5.18
        let primitive = Configuration(cell: [Vec3(a, 0, 0), Vec3(-a / 2, a * 3.0.squareRoot() / 2, 0), Vec3(0, 0, c)],
                                      pbc: .all, species: [0, 0],
                                      positions: [rowTimes(Vec3(1.0 / 3, 2.0 / 3, 0.25), Mat3(Vec3(a, 0, 0), Vec3(-a / 2, a * 3.0.squareRoot() / 2, 0), Vec3(0, 0, c))),
                                                  rowTimes(Vec3(2.0 / 3, 1.0 / 3, 0.75), Mat3(Vec3(a, 0, 0), Vec3(-a / 2, a * 3.0.squareRoot() / 2, 0), Vec3(0, 0, c)))])
        let base = primitive.supercell(3, 3, 1)
        let phi = try ForceConstants.centralDifferences(of: base, displacedAtoms: 2, step: 0.01, calculator: calculator)
        let modes = try SoftModes.modes(primitive: primitive, repetitions: [3, 3, 1], supercell: base, forceConstants: phi)
        XCTAssertEqual(modes.count, 4)
        XCTAssertEqual(modes.map(\.stiffness), modes.map(\.stiffness).sorted())
        try assertHarmonic(modes, base: base, calculator: calculator)
    }

    /// The stage's structures: per crystal its random copies, then the
    /// softest modes at half and all of the amplitude, tagged with the wave
    /// vector and stiffness; the same set for any thread count.
    func testStageFreezesInTheSoftestModes() throws {
        let a = 3.5614
        var bcc = relaxedCrystal("229-2-0", a: a, atoms: 2, energyPerAtom: -1.515, group: "229")
        bcc.positions = [Vec3(0, 0, 0), Vec3(a / 2, a / 2, a / 2)]
        var o = DisplacementSeriesOptions()
        o.structures = 1
        o.copies = 2
        o.softModes = 2
        o.modeAmplitude = 0.1
        let eam = self.eam
        let stage = try DisplacementSeries.stage(from: [bcc], options: o, seed: 1, minDistance: 1.5,
                                                 makeCalculator: { try EAMCalculator(file: eam) }).structures
        XCTAssertEqual(stage.map { $0.feature(AssystFeature.copy)! }, ["0", "1", "mode1-0.050", "mode1-0.100", "mode2-0.050", "mode2-0.100"])
        let base = DisplacementSeries.supercell(of: bcc, options: o)
        for c in stage.suffix(4) {
            XCTAssertEqual(c.group, "PHONON")
            XCTAssertEqual(c.feature(AssystFeature.crystal), "229-2-0")
            let tag = try XCTUnwrap(c.feature(AssystFeature.softMode))
            XCTAssertEqual(Double(tag.split(separator: " ")[1])!, 0.294, accuracy: 0.004, tag)
            // The largest displacement is the amplitude of the copy's name.
            let amplitude = Double(c.feature(AssystFeature.copy)!.split(separator: "-")[1])!
            var largest = 0.0
            for k in 0..<c.atomCount {
                var d = c.positions[k] - base.positions[k]
                let f = rowTimes(d, Mat3(base.cell).inverse!)
                d = rowTimes(Vec3(f.x - f.x.rounded(), f.y - f.y.rounded(), f.z - f.z.rounded()), Mat3(base.cell))
                largest = max(largest, norm(d))
            }
            XCTAssertEqual(largest, amplitude, accuracy: 1e-9)
        }
        let threaded = try DisplacementSeries.stage(from: [bcc, bcc], options: o, seed: 1, minDistance: 1.5,
                                                    makeCalculator: { try EAMCalculator(file: eam) }, threads: 2).structures
        XCTAssertEqual(Array(threaded.prefix(6)), stage)
        // No calculator, no soft modes: one message naming the option.
        XCTAssertThrowsError(try DisplacementSeries.stage(from: [bcc], options: o, seed: 1, minDistance: 1.5)) {
            XCTAssertTrue("\($0)".contains("--phonon-soft-modes"), "\($0)")
        }
        // A calculator that fails: the crystal keeps its random copies, the failure is counted.
        let failed = try DisplacementSeries.stage(from: [bcc], options: o, seed: 1, minDistance: 1.5,
                                                  makeCalculator: { FailingCalculator() })
        XCTAssertEqual(failed.structures, Array(stage.prefix(2)))
        XCTAssertEqual(failed.failures.count, 1)
        XCTAssertTrue(failed.failures[0].contains("soft modes") && failed.failures[0].contains("no forces here"), "\(failed.failures)")
        o.softModes = 0
        XCTAssertEqual(try DisplacementSeries.stage(from: [bcc], options: o, seed: 1, minDistance: 1.5).structures, Array(stage.prefix(2)))
    }

    /// The hand-off cannot give forces while a stage is built: it refuses
    /// --phonon-soft-modes before it exports anything.
    func testHandoffRefusesSoftModes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("softmodes-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = AssystOptions(element: "Mg", atomicVolume: 22.87)
        options.spaceGroups = [229]
        options.atomCounts = 1...1
        options.displacement.structures = 1
        options.displacement.softModes = 3
        XCTAssertEqual(options.needsReferenceToBuild, "--phonon-soft-modes")
        let job = AssystJob(options: options, reference: .vaspHandoff(directory: dir + "/dft"), output: dir + "/dft.h5")
        XCTAssertThrowsError(try job.run()) { XCTAssertTrue("\($0)".contains("--phonon-soft-modes"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/dft"))
        options.displacement.softModes = 0
        XCTAssertNil(options.needsReferenceToBuild)
    }

    func testOptionsAreChecked() {
        for (edit, name) in [({ (o: inout DisplacementSeriesOptions) in o.softModes = -1 }, "--phonon-soft-modes"),
                             ({ $0.modeAmplitude = 0 }, "--phonon-mode-amplitude"), ({ $0.modeAmplitude = .infinity }, "--phonon-mode-amplitude"),
                             ({ $0.forceConstantStep = 0 }, "force-constant step"),
                             ({ $0.softModes = 2 }, "--phonon-soft-modes needs --phonon-structures")] {
            var o = DisplacementSeriesOptions()
            edit(&o)
            XCTAssertThrowsError(try o.check()) { XCTAssertTrue("\($0)".contains(name), "\($0)") }
        }
    }
}

/// A reference that cannot label anything.
struct FailingCalculator: Calculator {
    struct Failure: Error, CustomStringConvertible { var description: String { "no forces here" } }
    var name: String { "failing" }
    var cutoff: Double { 5 }
    func calculate(_ config: Configuration) throws -> Labels { throw Failure() }
}
