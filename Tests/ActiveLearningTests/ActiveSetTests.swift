import XCTest
import Foundation
import Atomistic
import MTP
@testable import ActiveLearning

func fixture(_ name: String) -> String {
    Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")!.path
}

extension Configuration {
    func scaled(_ s: Double) -> Configuration {
        var c = self
        c.cell = cell.map { $0 * s }
        c.positions = positions.map { $0 * s }
        return c
    }
    /// x' = R x + t for cell rows (R only) and positions.
    func moved(rotation r: [Vec3], translation t: Vec3) -> Configuration {
        func apply(_ v: Vec3) -> Vec3 { Vec3(dot(r[0], v), dot(r[1], v), dot(r[2], v)) }
        var c = self
        c.cell = cell.map(apply)
        c.positions = positions.map { apply($0) + t }
        return c
    }
}

/// A rotation from a random unit quaternion.
func randomRotation(_ g: inout SplitMix64) -> [Vec3] {
    var q = SIMD4<Double>(g.uniform(-1, 1), g.uniform(-1, 1), g.uniform(-1, 1), g.uniform(-1, 1))
    q /= (q * q).sum().squareRoot()
    let (w, x, y, z) = (q[0], q[1], q[2], q[3])
    return [Vec3(1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)),
            Vec3(2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)),
            Vec3(2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y))]
}

final class ActiveSetTests: XCTestCase {
    static let potential = try! MTPFile.read(path: fixture("cubic-10.mtp"))
    static let training = try! CFGFormat.read(path: fixture("cubic-60.cfg"))
    static let configurationSet = try! ActiveSet.build(potential: potential, local: training, first: 0,
                                                       totalCount: training.count, options: ActiveSetOptions())
    static let neighbourhoodSet = try! ActiveSet.build(potential: potential, local: training, first: 0, totalCount: training.count,
                                                       options: ActiveSetOptions(rows: .neighbourhood))

    func testTrainingConfigurationsGradeAtMostOne() throws {
        for set in [Self.configurationSet, Self.neighbourhoodSet] {
            XCTAssertGreaterThan(set.rank, 10)
            XCTAssertLessThan(set.rank, Self.potential.parameterCount, "the MTP's exact degeneracies are left out")
            XCTAssertLessThanOrEqual(set.maxTrainingCoefficient, 1 + 1e-6)
            var worst = 0.0
            for c in Self.training {
                let g = try set.grades(of: c)
                worst = max(worst, g.grade)
                if let atoms = g.atoms { XCTAssertEqual(atoms.max()!, g.grade) }
            }
            XCTAssertLessThanOrEqual(worst, 1 + 1e-6)
            XCTAssertGreaterThan(worst, 0.999, "the configurations of the set itself grade 1")
            // Each selected row's configuration grades exactly 1 (it is in the set).
            let c = Self.training[set.selected[0].configuration]
            XCTAssertEqual(try set.grade(of: c), 1, accuracy: 1e-6)
        }
    }

    func testFarConfigurationsGradeFarAboveOne() throws {
        let base = Self.training[3]
        let dimer = Configuration(species: [0, 0], positions: [Vec3(0, 0, 0), Vec3(1.6, 0, 0)])
        for set in [Self.configurationSet, Self.neighbourhoodSet] {
            let compressed = try set.grade(of: base.scaled(0.8))
            let expanded = try set.grade(of: base.scaled(1.25))
            let short = try set.grade(of: dimer)
            XCTAssertGreaterThan(compressed, 10, "compressed by 20 %")
            XCTAssertGreaterThan(expanded, 10, "expanded by 25 %")
            XCTAssertGreaterThan(short, 10, "dimer at 1.6 A")
            // Mildly strained cells extrapolate less than strongly strained ones.
            XCTAssertLessThan(try set.grade(of: base.scaled(0.97)), compressed)
        }
    }

    func testGradeIsInvariantToRotationTranslationAndPermutation() throws {
        var g = SplitMix64(seed: 11)
        for set in [Self.configurationSet, Self.neighbourhoodSet] {
            for k in [0, 7, 21] {
                // A configuration off the training set, so that the grade is not exactly 1.
                var c = Self.training[k].scaled(0.96)
                for a in 0..<c.atomCount { c.positions[a] += Vec3(g.uniform(-0.1, 0.1), g.uniform(-0.1, 0.1), g.uniform(-0.1, 0.1)) }
                let ref = try set.grades(of: c)
                let moved = c.moved(rotation: randomRotation(&g), translation: Vec3(g.uniform(-5, 5), g.uniform(-5, 5), g.uniform(-5, 5)))
                var perm = Array(0..<c.atomCount)
                for i in stride(from: perm.count - 1, to: 0, by: -1) { perm.swapAt(i, Int(g.next() % UInt64(i + 1))) }
                var permuted = c
                permuted.positions = perm.map { c.positions[$0] }
                permuted.species = perm.map { c.species[$0] }
                for (name, other, order) in [("moved", moved, Array(0..<c.atomCount)), ("permuted", permuted, perm)] {
                    let o = try set.grades(of: other)
                    XCTAssertEqual(o.grade, ref.grade, accuracy: 1e-8 * ref.grade, "\(name) configuration \(k)")
                    if let atoms = o.atoms {
                        for (a, src) in order.enumerated() {
                            XCTAssertEqual(atoms[a], ref.atoms![src], accuracy: 1e-8 * max(1, ref.atoms![src]), "\(name) atom \(a)")
                        }
                    }
                }
            }
        }
    }

    func testSaveLoadRoundTripAndStaleDetection() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mtp-al-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("pot.activeset").path
        let set = Self.neighbourhoodSet
        try set.write(to: path)
        let loaded = try ActiveSet.load(path: path, potential: Self.potential)
        XCTAssertEqual(loaded.selected, set.selected)
        XCTAssertEqual(loaded.options, set.options)
        let probe = Self.training[5].scaled(1.1)
        XCTAssertEqual(try loaded.grades(of: probe).atoms!, try set.grades(of: probe).atoms!, "bit for bit")

        let digest = ActiveSet.trainingDigest(local: Self.training, communicator: nil)
        XCTAssertTrue(ActiveSet.isCurrent(path: path, potential: Self.potential, trainingDigest: digest, options: set.options))
        XCTAssertFalse(ActiveSet.isCurrent(path: path, potential: Self.potential, trainingDigest: digest, options: ActiveSetOptions()),
                       "other rows")
        var changed = Self.training
        changed[10].positions[0].x += 1e-9
        XCTAssertFalse(ActiveSet.isCurrent(path: path, potential: Self.potential,
                                           trainingDigest: ActiveSet.trainingDigest(local: changed, communicator: nil), options: set.options),
                       "another training set")
        var other = Self.potential
        other.momentCoeffs![0] *= 1 + 1e-12
        XCTAssertFalse(ActiveSet.isCurrent(path: path, potential: other, trainingDigest: digest, options: set.options), "another potential")
        XCTAssertThrowsError(try ActiveSet.load(path: path, potential: other)) { e in
            XCTAssertTrue("\(e)".contains("another potential"), "\(e)")
        }
        // A damaged file is refused with its place.
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\nactive\n", with: "\nactive\n1 2 x\n")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ActiveSet.load(path: path, potential: Self.potential)) { e in
            XCTAssertTrue("\(e)".contains(path), "\(e)")
        }
    }

    func testForceAndStressRows() throws {
        let local = Array(Self.training.prefix(20))
        let rows = RowSettings(energyWeight: 1, forceWeight: 0.1, stressWeight: 0.01)
        let set = try ActiveSet.build(potential: Self.potential, local: local, first: 0, totalCount: local.count,
                                      options: ActiveSetOptions(rows: rows))
        XCTAssertEqual(rows.rowCount(atoms: 32, periodic: true), 1 + 96 + 6)
        XCTAssertTrue(set.selected.contains { $0.kind == .force }, "force rows outnumber the others and win places")
        for c in local { XCTAssertLessThanOrEqual(try set.grade(of: c), 1 + 1e-6) }
        XCTAssertGreaterThan(try set.grade(of: local[0].scaled(0.9)), 10)
        // Force rows see atomic displacements that leave the energy row inside the training span.
        let energyOnly = try ActiveSet.build(potential: Self.potential, local: local, first: 0, totalCount: local.count,
                                             options: ActiveSetOptions())
        XCTAssertGreaterThan(set.rank, energyOnly.rank)
    }

    func testSpeciesUnseenInTrainingGradeInfinity() throws {
        // A three-species potential trained... here only Cu (type 0) configurations make the set.
        let pot = try MTPFile.read(path: fixture("multi-04.mtp"))
        let local = Array(Self.training.prefix(30))
        let set = try ActiveSet.build(potential: pot, local: local, first: 0, totalCount: local.count, options: ActiveSetOptions())
        XCTAssertFalse(set.zeroParameters.isEmpty)
        XCTAssertLessThanOrEqual(try set.grade(of: local[4]), 1 + 1e-6)
        var mixed = local[4]
        mixed.species[0] = 2
        XCTAssertEqual(try set.grade(of: mixed), .infinity)
    }

    func testSelectionPrefersNewAndDistinctConfigurations() throws {
        let set = Self.configurationSet
        // Training configurations add nothing; strained ones do, but two
        // copies of one strained configuration add one direction, not two.
        let strained = Self.training[2].scaled(0.85)
        let twin = strained
        let candidates = [Self.training[0], strained, Self.training[1], twin, Self.training[9].scaled(1.2)]
        let s = try set.select(candidates: candidates, first: 0, threshold: 1.001)
        XCTAssertLessThanOrEqual(s.grades[0], 1 + 1e-6)
        XCTAssertGreaterThan(s.grades[1], 10)
        XCTAssertFalse(s.configurations.contains(0))
        XCTAssertFalse(s.configurations.contains(2))
        XCTAssertTrue(s.configurations.contains(4))
        XCTAssertTrue(s.configurations.contains(1) != s.configurations.contains(3), "one of the twins: \(s.configurations)")
        let limited = try set.select(candidates: candidates, first: 0, threshold: 1.001, limit: 1)
        XCTAssertEqual(limited.configurations.count, 1)
        let none = try set.select(candidates: Array(Self.training.prefix(5)), first: 0, threshold: 1.001)
        XCTAssertEqual(none.configurations, [])
    }
}
