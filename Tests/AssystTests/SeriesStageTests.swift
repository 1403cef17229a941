import XCTest
import Atomistic
@testable import Assyst

/// The series stages' registry: `AssystOptions.seriesStages` holds one
/// entry per series stage, in pipeline order, and every question the
/// pipeline asks of a stage goes to its entry.
final class SeriesStageTests: XCTestCase {
    func testRegistryHoldsEverySeriesStageInOrder() throws {
        var o = AssystOptions(element: "Mg", atomicVolume: 22.87)
        XCTAssertEqual(o.seriesStages.map { type(of: $0).stage }, AssystStage.series)
        XCTAssertTrue(AssystStage.series.allSatisfy { o.seriesCrystals($0) == 0 && !o.includes($0) })
        o.elastic.structures = 1; o.volume.structures = 2; o.displacement.structures = 3
        XCTAssertEqual(AssystStage.series.map(o.seriesCrystals), [1, 2, 3])
        XCTAssertEqual(o.seriesCrystals(.triax), 0)
        XCTAssertEqual(try o.series(.triax, from: [relaxedCrystal("a", a: 3, energyPerAtom: -1)]), SeriesOutput([]))
        // Each stage's check runs: the message names that stage's option.
        o.volume.steps = 1
        XCTAssertThrowsError(try o.checkSeries()) { XCTAssertTrue("\($0)".contains("--eos-steps"), "\($0)") }
        o.volume.steps = 24
        XCTAssertNoThrow(try o.checkSeries())
        // Only a stage that runs can need the reference while it is built.
        XCTAssertNil(o.needsReferenceToBuild)
        o.displacement.softModes = 2
        XCTAssertEqual(o.needsReferenceToBuild, "--phonon-soft-modes")
        o.stopAfter = .intmin
        XCTAssertNil(o.needsReferenceToBuild)
    }
}
