import XCTest
import Foundation
import Atomistic
import Reference
@testable import Assyst

/// The EOS stage: its grid, the scaled structures, and the pipeline with it
/// (the stages before it unchanged, the energies an equation of state).
final class VolumeSeriesTests: XCTestCase {
    var eam: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ReferenceTests/Fixtures/Mg_mm.eam.fs").path
    }

    /// Evenly spaced in the distance scale s = (V/V0)^(1/3), from the
    /// smallest to the largest ratio; the relaxed volume itself left out.
    func testScalesAreEvenInDistanceAndSkipTheRelaxedVolume() {
        var o = VolumeSeriesOptions()
        XCTAssertEqual(o.scales.count, 24)
        XCTAssertEqual(pow(o.scales.first!, 3), 0.18, accuracy: 1e-12)
        XCTAssertEqual(pow(o.scales.last!, 3), 1.85, accuracy: 1e-12)
        let steps = zip(o.scales.dropFirst(), o.scales).map { $0 - $1 }
        XCTAssertEqual(steps.max()! - steps.min()!, 0, accuracy: 1e-12)
        // A grid through 1: that point is the INTMIN crystal and is dropped.
        o.minRatio = 0.5; o.maxRatio = 1.5; o.steps = 3
        XCTAssertEqual(o.scales.count, 3)
        o.minRatio = 0.729; o.maxRatio = 1.331
        XCTAssertEqual(o.scales.map { ($0 * 1000).rounded() / 1000 }, [0.9, 1.1])
        XCTAssertEqual(o.count, 0)
        o.structures = 2
        XCTAssertEqual(o.count, 6)
    }

    func testOptionsAreChecked() {
        var o = VolumeSeriesOptions()
        XCTAssertNoThrow(try o.check())
        o.structures = -1
        XCTAssertThrowsError(try o.check()) { XCTAssertTrue("\($0)".contains("--eos-structures")) }
        for (lo, hi) in [(0.01, 1.8), (1.2, 1.1), (0.2, 9.0), (Double.nan, 1.8)] {
            o = VolumeSeriesOptions(); o.minRatio = lo; o.maxRatio = hi
            XCTAssertThrowsError(try o.check(), "\(lo) \(hi)") { XCTAssertTrue("\($0)".contains("--eos-min-volume")) }
        }
        o = VolumeSeriesOptions(); o.steps = 1
        XCTAssertThrowsError(try o.check()) { XCTAssertTrue("\($0)".contains("--eos-steps")) }
    }

    /// Every vector and position times s, labels dropped, identity kept and
    /// the volume ratio recorded.
    func testSeriesScalesCellAndAtoms() throws {
        var c = Configuration(cell: [Vec3(3, 0, 0), Vec3(-1.5, 2.6, 0), Vec3(0, 0, 5.2)], pbc: Periodicity(true, true, true),
                              species: [0, 0], positions: [Vec3(0, 0, 0), Vec3(0, 1.7, 2.6)])
        c.energy = -3; c.forces = [Vec3(0, 0, 0), Vec3(0, 0, 0)]
        c.group = "INTMIN"
        c.setFeature(AssystFeature.crystal, "194-2-0")
        c.setFeature(AssystFeature.detectedGroup, "194")
        c.setFeature(AssystFeature.steps, "40")
        var o = VolumeSeriesOptions()
        o.minRatio = 0.5; o.maxRatio = 2; o.steps = 4
        let series = VolumeSeries.series(of: c, options: o)
        XCTAssertEqual(series.count, 4)
        for (s, x) in zip(series, o.scales) {
            XCTAssertEqual(s.group, "EOS")
            XCTAssertNil(s.energy); XCTAssertNil(s.forces); XCTAssertNil(s.virial)
            XCTAssertEqual(s.feature(AssystFeature.crystal), "194-2-0")
            XCTAssertEqual(s.feature(AssystFeature.detectedGroup), "194")
            XCTAssertNil(s.feature(AssystFeature.steps))
            XCTAssertEqual(s.feature(AssystFeature.volumeRatio), String(format: "%.4f", x * x * x))
            XCTAssertEqual(s.volume, c.volume * x * x * x, accuracy: 1e-9 * c.volume)
            for (a, b) in zip(s.cell + s.positions, c.cell + c.positions) {
                let d: Vec3 = a - b * x
                XCTAssertLessThan(max(abs(d.x), abs(d.y), abs(d.z)), 1e-12)
            }
        }
    }

    /// The pipeline with EOS: every stage before it as without; the series
    /// scales the lowest-energy crystal, labelled by the reference, whose
    /// energy is lowest near the relaxed volume and rises steeply under
    /// compression (the repulsive wall the stage is for).
    func testPipelineAddsTheEquationOfStateAndKeepsTheRest() throws {
        var o = AssystOptions(element: "Mg", atomicVolume: 22.87)
        o.spaceGroups = [194, 225, 229]
        o.atomCounts = 1...2
        o.perturbation.counts = [.triax: 1, .shear: 1, .rattle: 1]
        o.elastic.structures = 1
        o.elastic.steps = 1
        o.threads = 2
        let eam = self.eam
        let without = try AssystPipeline.run(o, makeCalculator: { try EAMCalculator(file: eam) })
        o.volume.structures = 2
        o.volume.steps = 9
        let with = try AssystPipeline.run(o, makeCalculator: { try EAMCalculator(file: eam) })
        XCTAssertFalse(without.set.groups.contains("EOS"))
        XCTAssertEqual(Array(with.set.groups.suffix(2)), ["ELASTIC", "EOS"])
        XCTAssertEqual(with.set.configurations.filter { $0.group != "EOS" }, without.set.configurations)
        let series = with.set.configurations.filter { $0.group == "EOS" }
        XCTAssertEqual(series.count, 18)
        let relaxed = without.set.configurations.filter { $0.group == "INTMIN" }
        let chosen = LowestCrystals.distinct(relaxed, count: 2)
        XCTAssertEqual(chosen.count, 2)
        for (k, crystal) in chosen.enumerated() {
            let curve = Array(series[(9 * k)..<(9 * k + 9)])
            XCTAssertTrue(curve.allSatisfy { $0.feature(AssystFeature.crystal) == crystal.feature(AssystFeature.crystal) })
            let perAtom = curve.map { $0.energy! / Double($0.atomCount) }
            let e0 = crystal.energy! / Double(crystal.atomCount)
            XCTAssertTrue(perAtom.allSatisfy { $0 > e0 - 1e-6 }, "\(perAtom) against \(e0)")
            XCTAssertGreaterThan(perAtom[0], e0 + 10, "V/V0 = 0.18 lies on the repulsive wall: \(perAtom[0])")
            XCTAssertTrue(zip(perAtom, perAtom.dropFirst()).prefix(4).allSatisfy { $0 > $1 }, "falls toward V0: \(perAtom)")
            XCTAssertTrue(curve.allSatisfy { $0.virial != nil && $0.forces != nil })
            // The stress of the most compressed cell dwarfs that near V0.
            func trace(_ c: Configuration) -> Double { abs(c.virial!.xx + c.virial!.yy + c.virial!.zz) / c.volume }
            XCTAssertGreaterThan(trace(curve[0]), 100 * trace(curve[5]))
        }
    }
}
