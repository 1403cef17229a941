import XCTest
import Foundation
import Atomistic
import Parallel
import TrainingStore
@testable import Fitting

/// `--energy-weights`: parsing, the factors on a tiny set with known energies,
/// and the species references of several species.
final class EnergyWeightsTests: XCTestCase {
    /// A periodic cell of `species.count` atoms with total energy `perAtom * N`.
    func config(_ perAtom: Double?, species: [Int] = [0], weight: Double = 1) -> Configuration {
        let positions = species.indices.map { Vec3(Double($0), 0, 0) }
        var c = Configuration(cell: [Vec3(4, 0, 0), Vec3(0, 4, 0), Vec3(0, 0, 4)], pbc: .all, species: species, positions: positions)
        c.energy = perAtom.map { $0 * Double(species.count) }
        c.energyWeight = weight; c.forceWeight = weight; c.virialWeight = weight
        return c
    }

    func testParsingAndDescription() throws {
        XCTAssertEqual(try EnergyWeights(parsing: "0.1").form, .rational(e0: 0.1, power: 1))
        XCTAssertEqual(try EnergyWeights(parsing: "E0=0.05, p=2").form, .rational(e0: 0.05, power: 2))
        XCTAssertEqual(try EnergyWeights(parsing: "0.05,p=2").form, .rational(e0: 0.05, power: 2))
        XCTAssertEqual(try EnergyWeights(parsing: "kT=0.1,floor=0.05").form, .boltzmann(kT: 0.1, floor: 0.05))
        XCTAssertEqual(try EnergyWeights(parsing: "kT=0.1").form, .boltzmann(kT: 0.1, floor: 0))
        for text in ["0.1", "0.05,p=2", "kT=0.1,floor=0.05"] {
            let w = try EnergyWeights(parsing: text)
            XCTAssertEqual(try EnergyWeights(parsing: w.description), w, text)
        }
        XCTAssertEqual(try EnergyWeights(parsing: "0.05,p=2").description, "E0=0.05,p=2.0")
    }

    func testBadValuesGiveOneClearError() {
        for bad in ["", "-0.1", "0", "nan", "inf", "abc", "E0=-1", "0.1,p=-1", "0.1,p=nan", "kT=-0.1", "kT=0", "kT=0.1,floor=-0.1",
                    "kT=0.1,floor=2", "kT=0.1,E0=0.1", "p=2", "floor=0.1", "0.1,floor=0.1", "E0=0.1,E0=0.2", "x=1", "0.1,0.2", "kT=0.1=2"] {
            XCTAssertThrowsError(try EnergyWeights(parsing: bad), bad) { e in
                XCTAssertTrue("\(e)".hasPrefix("--energy-weights '\(bad)': "), "\(e)")
            }
        }
    }

    func testFactorFormulas() throws {
        let r = try EnergyWeights(parsing: "0.1,p=2")
        XCTAssertEqual(r.factor(0), 1)
        XCTAssertEqual(r.factor(0.1), 0.25, accuracy: 1e-15)
        XCTAssertEqual(r.factor(-1), 1, "dE below zero counts as zero")
        let b = try EnergyWeights(parsing: "kT=0.1,floor=0.05")
        XCTAssertEqual(b.factor(0.1), exp(-1), accuracy: 1e-15)
        XCTAssertEqual(b.factor(0.5), 0.05, "exp(-5) is below the floor")
    }

    /// One species: dE = E/N - min(E/N) over configurations with an energy and a
    /// non-zero energy weight; the three stored weights are multiplied; the
    /// others are left alone and do not set the minimum.
    func testKnownWeightsOnATinySet() throws {
        var configs = [config(-1.5), config(-1.45, species: [0, 0]), config(-1.0, species: [0, 0, 0, 0], weight: 2),
                       config(nil), config(-5.0, weight: 0)]
        let report = try EnergyWeights(parsing: "0.1").apply(to: &configs, communicator: Communicator.start())
        XCTAssertEqual(report.reference.lowest, -1.5)
        XCTAssertEqual(report.reference.speciesEnergies, [])
        let want = [1, 2.0 / 3, 2.0 / 6, 1, 0]
        for (k, c) in configs.enumerated() {
            XCTAssertEqual(c.energyWeight, want[k], accuracy: 1e-12, "\(k)")
            XCTAssertEqual(c.forceWeight, want[k], accuracy: 1e-12, "\(k)")
            XCTAssertEqual(c.virialWeight, want[k], accuracy: 1e-12, "\(k)")
        }
        XCTAssertEqual(report.weighted, 3)
        XCTAssertEqual(report.meanFactor, (1 + 2.0 / 3 + 1.0 / 6) / 3, accuracy: 1e-12)
        XCTAssertEqual(report.smallestFactor, 1.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(report.atLeastHalf, 2)
        XCTAssertTrue(report.line.hasPrefix("energy weights E0=0.1,p=1.0: lowest energy -1.5 eV/atom; factors over 3 configurations"), report.line)
    }

    /// Several species: energies exactly linear in composition leave every
    /// configuration at dE = 0 and the references at the species energies.
    func testSpeciesReferencesOfLinearEnergies() throws {
        let mu = [-1.0, -3.0]
        let compositions: [[Int]] = [[0], [1], [0, 1], [0, 0, 1], [1, 1, 1, 0]]
        var configs = compositions.map { s in config(s.map { mu[$0] }.reduce(0, +) / Double(s.count), species: s) }
        let report = try EnergyWeights(parsing: "kT=0.01").apply(to: &configs, communicator: Communicator.start())
        XCTAssertEqual(report.reference.speciesEnergies[0], -1, accuracy: 1e-12)
        XCTAssertEqual(report.reference.speciesEnergies[1], -3, accuracy: 1e-12)
        for c in configs { XCTAssertEqual(c.energyWeight, 1, accuracy: 1e-9) }
    }

    /// Several species with excess energies: the references are the least-
    /// squares solution of E/N ~ x_A mu_A + x_B mu_B (the normal equations
    /// solved here by hand) and dE the remainder above the lowest.
    func testSpeciesReferencesAreTheLeastSquaresFit() throws {
        let data: [([Int], Double)] = [([0], -1.0), ([1], -3.0), ([0, 1], -2.3), ([0, 0, 1], -1.6), ([0, 1, 1, 1], -2.4)]
        var configs = data.map { config($0.1, species: $0.0) }
        var a = 0.0, b = 0.0, d = 0.0, ya = 0.0, yb = 0.0
        for (s, y) in data {
            let xa = Double(s.filter { $0 == 0 }.count) / Double(s.count), xb = 1 - xa
            a += xa * xa; b += xa * xb; d += xb * xb; ya += xa * y; yb += xb * y
        }
        let det = a * d - b * b
        let muA = (d * ya - b * yb) / det, muB = (a * yb - b * ya) / det
        let reference = try EnergyReference.of(configs, communicator: Communicator.start())
        XCTAssertEqual(reference.speciesEnergies[0], muA, accuracy: 1e-12)
        XCTAssertEqual(reference.speciesEnergies[1], muB, accuracy: 1e-12)
        let remainders = data.map { s, y -> Double in
            let xa = Double(s.filter { $0 == 0 }.count) / Double(s.count)
            return y - xa * muA - (1 - xa) * muB
        }
        XCTAssertEqual(reference.lowest, remainders.min()!, accuracy: 1e-12)
        XCTAssertLessThan(reference.lowest, 0, "a least-squares remainder has both signs")
        try EnergyWeights(parsing: "0.05").apply(to: &configs, communicator: Communicator.start())
        for (k, c) in configs.enumerated() {
            XCTAssertEqual(c.energyWeight, 1 / (1 + (remainders[k] - remainders.min()!) / 0.05), accuracy: 1e-9, "\(k)")
        }
    }

    /// `mtp train --resume` takes a checkpoint only of the same factors:
    /// the tag is nil without any (checkpoints of before match) and the same
    /// for equal settings however written.
    func testCheckpointTagOfTheFactors() throws {
        func tag(_ g: String?, _ e: String?) throws -> String? {
            WeightFactors.tag(groupWeights: try g.map { try GroupWeights(parsing: $0) }, energyWeights: try e.map { try EnergyWeights(parsing: $0) })
        }
        XCTAssertNil(try tag(nil, nil))
        XCTAssertEqual(try tag(nil, "0.1"), try tag(nil, "E0=0.1,p=1"))
        XCTAssertNotEqual(try tag(nil, "0.1"), try tag(nil, "kT=0.1"))
        XCTAssertNotEqual(try tag("TRIAX=0.5", "0.1"), try tag(nil, "0.1"))
    }

    /// A species that no configuration has (a zero pivot) gets reference 0
    /// instead of a failed solve.
    func testAbsentSpeciesGetsZeroReference() throws {
        let mu = try EnergyReference.solveNormalEquations([1, 0, 0, 0, 0, 0, 0, 0, 2], [-2, 0, -6], size: 3)
        XCTAssertEqual(mu, [-2, 0, -3])
    }
}
