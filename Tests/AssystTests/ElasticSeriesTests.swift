import XCTest
import Foundation
import Atomistic
import Reference
@testable import Assyst

/// The ELASTIC stage: which relaxed crystals it strains, the series itself,
/// and the pipeline with it (the stages before it unchanged).
final class ElasticSeriesTests: XCTestCase {
    var eam: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ReferenceTests/Fixtures/Mg_mm.eam.fs").path
    }

    /// Six components x 2 signs x steps; each strains exactly one Voigt
    /// component of the cell (shears as engineering strain), atoms carried
    /// along, labels dropped, identity kept and tagged.
    func testSeriesStrainsOneComponentAtATime() throws {
        let c = relaxedCrystal("x", a: 3.0, atoms: 2, energyPerAtom: -1)
        var options = ElasticSeriesOptions()
        options.maxStrain = 0.03
        options.steps = 3
        let series = ElasticSeries.series(of: c, options: options)
        XCTAssertEqual(series.count, 36)
        XCTAssertEqual(options.count, 0)
        options.structures = 2
        XCTAssertEqual(options.count, 72)
        let tags = series.map { $0.feature(AssystFeature.elastic) ?? "" }
        XCTAssertEqual(Array(tags.prefix(7)), ["xx-0.0300", "xx-0.0200", "xx-0.0100", "xx+0.0100", "xx+0.0200", "xx+0.0300", "yy-0.0300"])
        XCTAssertEqual(tags.last, "xy+0.0300")
        for s in series {
            XCTAssertEqual(s.group, "ELASTIC")
            XCTAssertNil(s.energy)
            XCTAssertEqual(s.feature(AssystFeature.crystal), "x")
            XCTAssertEqual(s.feature(AssystFeature.detectedGroup), "225")
            XCTAssertNil(s.feature(AssystFeature.steps))
        }
        // zz +0.02: only c_z stretched; xz +0.03: the symmetric shear of 0.015.
        let zz = try XCTUnwrap(series.first { $0.feature(AssystFeature.elastic) == "zz+0.0200" })
        func close(_ a: Vec3, _ b: Vec3, _ what: String) {
            let d: Vec3 = a - b
            XCTAssertLessThan(max(abs(d.x), abs(d.y), abs(d.z)), 1e-12, "\(what): \(a) against \(b)")
        }
        close(zz.cell[2], Vec3(0, 0, 3.06), "c under zz")
        close(zz.cell[0], Vec3(3, 0, 0), "a under zz")
        close(zz.cell[1], Vec3(0, 3, 0), "b under zz")
        let xz = try XCTUnwrap(series.first { $0.feature(AssystFeature.elastic) == "xz+0.0300" })
        close(xz.cell[0], Vec3(3, 0, 0.045), "a along x gains z = 0.015 x")
        close(xz.cell[2], Vec3(0.045, 0, 3), "c along z gains x = 0.015 z")
        close(xz.positions[1], Vec3(1.5, 0, 0.0225), "atoms carried along")
    }

    func testOptionsAreChecked() {
        var o = ElasticSeriesOptions()
        XCTAssertNoThrow(try o.check())
        o.structures = -1
        XCTAssertThrowsError(try o.check()) { XCTAssertTrue("\($0)".contains("--elastic-structures")) }
        o = ElasticSeriesOptions(); o.maxStrain = 0.3
        XCTAssertThrowsError(try o.check()) { XCTAssertTrue("\($0)".contains("--elastic-max-strain")) }
        o = ElasticSeriesOptions(); o.steps = 0
        XCTAssertThrowsError(try o.check()) { XCTAssertTrue("\($0)".contains("--elastic-steps")) }
    }

    /// The pipeline with ELASTIC: the stages before it are the same as
    /// without; the series strains the lowest-energy crystal, labelled by
    /// the reference; for a small strain its energy rises quadratically (the
    /// relaxed crystal is a minimum) and symmetric strains agree to first order.
    func testPipelineAddsTheSeriesAndKeepsTheRest() throws {
        var o = AssystOptions(element: "Mg", atomicVolume: 22.87)
        o.spaceGroups = [194, 225, 229]
        o.atomCounts = 1...2
        o.perturbation.counts = [.triax: 1, .shear: 1, .rattle: 1]
        o.threads = 2
        let eam = self.eam
        let without = try AssystPipeline.run(o, makeCalculator: { try EAMCalculator(file: eam) })
        o.elastic.structures = 1
        o.elastic.steps = 2
        o.elastic.maxStrain = 0.01
        let with = try AssystPipeline.run(o, makeCalculator: { try EAMCalculator(file: eam) })
        XCTAssertFalse(without.set.groups.contains("ELASTIC"))
        XCTAssertEqual(with.set.groups.last, "ELASTIC")
        let before = with.set.configurations.filter { $0.group != "ELASTIC" }
        XCTAssertEqual(before, without.set.configurations)
        let series = with.set.configurations.filter { $0.group == "ELASTIC" }
        XCTAssertEqual(series.count, 24)
        let relaxed = without.set.configurations.filter { $0.group == "INTMIN" }
        let lowest = try XCTUnwrap(relaxed.min { $0.energy! / Double($0.atomCount) < $1.energy! / Double($1.atomCount) })
        XCTAssertEqual(series[0].feature(AssystFeature.crystal), lowest.feature(AssystFeature.crystal))
        let e0 = lowest.energy!
        for s in series {
            let e = try XCTUnwrap(s.energy)
            XCTAssertGreaterThanOrEqual(e, e0 - 1e-5, s.feature(AssystFeature.elastic) ?? "")
            XCTAssertNotNil(s.forces)
            XCTAssertNotNil(s.virial)
        }
        // xx at -0.005 and +0.005: equal energies to first order in the strain.
        let m = try XCTUnwrap(series.first { $0.feature(AssystFeature.elastic) == "xx-0.0050" }).energy!
        let p = try XCTUnwrap(series.first { $0.feature(AssystFeature.elastic) == "xx+0.0050" }).energy!
        // (The relaxation leaves up to 0.016 GPa of stress: a first-order term
        // of about 10 % of the quadratic one at this strain.)
        XCTAssertEqual((m - e0) / (p - e0), 1, accuracy: 0.3)
    }
}
