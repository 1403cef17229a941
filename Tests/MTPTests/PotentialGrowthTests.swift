import XCTest
import Atomistic
@testable import MTP

/// `PotentialGrowth`: a trained potential carried into a larger basis
/// predicts exactly what it predicted, on real configurations (not only on
/// the probe clusters the matching used), for MLIP's templates and ours,
/// one and three species; what cannot be grown is refused with a reason.
final class PotentialGrowthTests: XCTestCase {
    func potential(_ path: String) throws -> Potential { try MTPFile.read(path: ExactnessTests.fixture(path)) }

    /// Largest difference of energy (per atom), force component and virial
    /// component between the two potentials over `configs`, relative to the
    /// largest force of the source.
    func worstDifference(_ a: Potential, _ b: Potential, on configs: [Configuration]) throws -> (e: Double, f: Double, w: Double) {
        let ea = try Evaluator(a), eb = try Evaluator(b)
        var worst = (e: 0.0, f: 0.0, w: 0.0)
        for c in configs {
            let nl = try NeighborList(c, cutoff: a.maxDist)
            let x = try ea.evaluate(c, neighbors: nl), y = try eb.evaluate(c, neighbors: nl)
            worst.e = max(worst.e, abs(x.energy - y.energy) / Double(c.atomCount))
            for (p, q) in zip(x.forces, y.forces) { let d: Vec3 = p - q; worst.f = max(worst.f, abs(d.x), abs(d.y), abs(d.z)) }
            for (p, q) in zip(x.virial.voigt, y.virial.voigt) { worst.w = max(worst.w, abs(p - q)) }
        }
        return worst
    }

    func assertSamePredictions(_ a: Potential, _ b: Potential, on configs: [Configuration],
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let d = try worstDifference(a, b, on: configs)
        XCTAssertLessThan(d.e, 1e-9, "energy per atom (eV)", file: file, line: line)
        XCTAssertLessThan(d.f, 1e-9, "force component (eV/A)", file: file, line: line)
        XCTAssertLessThan(d.w, 1e-8, "virial component (eV)", file: file, line: line)
    }

    func testMLIPLevel16GrowsIntoOurLevel24AndMLIPsLevel20() throws {
        let source = try potential("cubic/16/pot.mtp")
        let configs = Array(try CFGFormat.read(path: ExactnessTests.fixture("cubic/16/calc-efs.first100.cfg")).prefix(12))

        let g24 = try PotentialGrowth.grow(source, toLevel: 24)
        XCTAssertEqual(g24.basis.scalarCount, 864)
        XCTAssertEqual(g24.parameterCount, 913)
        XCTAssertEqual(g24.radialFuncsCount, 6)
        // Every source function found, none twice: as many non-zero moment coefficients.
        XCTAssertEqual(g24.momentCoeffs!.filter { $0 != 0 }.count, source.momentCoeffs!.filter { $0 != 0 }.count)
        XCTAssertEqual(g24.speciesCoeffs, source.speciesCoeffs)
        try assertSamePredictions(source, g24, on: configs)

        // MLIP's own level-20 template (generated differently from ours).
        let template20 = try MTPFile.read(path: Self.template("initial-20.mtp"))
        let g20 = try PotentialGrowth.grow(source, into: template20)
        XCTAssertEqual(g20.basis, template20.basis)
        try assertSamePredictions(source, g20, on: configs)

        // In steps: 16 -> 20 -> 24 gives the same potential as 16 -> 24.
        let stepped = try PotentialGrowth.grow(g20, toLevel: 24)
        try assertSamePredictions(g24, stepped, on: configs)
    }

    func testThreeSpecies() throws {
        let source = try potential("multi/10/pot.mtp")
        let configs = Array(try CFGFormat.read(path: ExactnessTests.fixture("multi/10/calc-efs.first100.cfg")).prefix(12))
        XCTAssertGreaterThan(Set(configs.flatMap(\.species)).count, 1)
        let grown = try PotentialGrowth.grow(source, toLevel: 16)
        XCTAssertEqual(grown.speciesCount, 3)
        XCTAssertEqual(grown.scaling, source.scaling)
        try assertSamePredictions(source, grown, on: configs)
        // The grown potential is a different one: its extra coefficients change what it predicts.
        var moved = grown
        moved.momentCoeffs = grown.momentCoeffs!.map { $0 == 0 ? 1e-3 : $0 }
        XCTAssertGreaterThan(try worstDifference(source, moved, on: configs).f, 1e-6)
    }

    func testRefusals() throws {
        let source = try potential("cubic/16/pot.mtp")
        // An untrained potential.
        var untrained = source
        untrained.momentCoeffs = nil
        XCTAssertThrowsError(try PotentialGrowth.grow(untrained, toLevel: 20)) {
            XCTAssertEqual($0 as? PotentialGrowth.GrowthError, .untrainedSource)
        }
        // Another radial basis.
        var other = try Potential.untrained(level: 20, speciesCount: 1, minDist: source.minDist + 0.1, maxDist: source.maxDist)
        XCTAssertThrowsError(try PotentialGrowth.grow(source, into: other)) {
            guard case .mismatch(let what, _, _)? = $0 as? PotentialGrowth.GrowthError else { return XCTFail("\($0)") }
            XCTAssertEqual(what, "min_dist")
        }
        other = try Potential.untrained(level: 20, speciesCount: 2, minDist: source.minDist, maxDist: source.maxDist)
        XCTAssertThrowsError(try PotentialGrowth.grow(source, into: other)) {
            guard case .mismatch(let what, _, _)? = $0 as? PotentialGrowth.GrowthError else { return XCTFail("\($0)") }
            XCTAssertEqual(what, "species count")
        }
        // Down, not up: level 24 into level 16 (fewer radial functions), and
        // into level 16 with as many radial functions (functions missing).
        let g24 = try PotentialGrowth.grow(source, toLevel: 24)
        var withNew = g24
        withNew.momentCoeffs = g24.momentCoeffs!.map { $0 == 0 ? 1e-3 : $0 }
        XCTAssertThrowsError(try PotentialGrowth.grow(withNew, toLevel: 16)) {
            XCTAssertEqual($0 as? PotentialGrowth.GrowthError, .fewerRadialFunctions(source: 6, target: 4))
        }
        XCTAssertThrowsError(try PotentialGrowth.grow(withNew, toLevel: 16, radialFuncsCount: 6)) {
            guard case .unmatched(let count, let first)? = $0 as? PotentialGrowth.GrowthError else { return XCTFail("\($0)") }
            XCTAssertEqual(count, 864 - 92)
            XCTAssertEqual(first.count, 8)
            XCTAssertTrue($0.localizedDescription.isEmpty == false)
        }
        // A level-24 potential whose extra coefficients are zero is a level-16
        // one: it grows back down exactly.
        let back = try PotentialGrowth.grow(g24, toLevel: 16, radialFuncsCount: 6)
        let configs = Array(try CFGFormat.read(path: ExactnessTests.fixture("cubic/16/calc-efs.first100.cfg")).prefix(4))
        try assertSamePredictions(source, back, on: configs)
    }

    static func template(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/templates") else {
            throw MissingFixture(path: "Fixtures/templates/\(name)")
        }
        return url.path
    }
}
