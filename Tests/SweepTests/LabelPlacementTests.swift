import XCTest
import Plotting

final class LabelPlacementTests: XCTestCase {
    typealias Side = LabelPlacement.Side

    func testDistantPointsAllAbove() {
        let sides = LabelPlacement.sides([(1, 10), (10, 5), (100, 1)], logX: true, logY: true)
        XCTAssertEqual(sides, [.above, .above, .above])
    }

    /// The study's case: two level-16 fits at almost the same cost and error.
    /// The lower one's label would cover the upper point: it goes below.
    func testCloseNeighboursSplitAboveAndBelow() {
        let points: [(x: Double, y: Double)] = [(11.0, 12.18), (11.03, 12.43), (95, 7.58), (96, 9.82)]
        let sides = LabelPlacement.sides(points, logX: true, logY: true)
        XCTAssertEqual(sides[0], .below)
        XCTAssertEqual(sides[1], .above)
        // Far apart in error: both fit above.
        XCTAssertEqual(sides[2], .above)
        XCTAssertEqual(sides[3], .above)
    }

    /// Placement goes by x, whatever the input order; a point whose label
    /// box meets no other label or marker stays above.
    func testOrderIndependentAndDeterministic() {
        let a: [(x: Double, y: Double)] = [(1, 1), (1.01, 1.01), (5, 3)]
        let b: [(x: Double, y: Double)] = [(5, 3), (1.01, 1.01), (1, 1)]
        XCTAssertEqual(LabelPlacement.sides(a, logX: false, logY: false), [.below, .above, .above])
        XCTAssertEqual(LabelPlacement.sides(b, logX: false, logY: false), [.above, .above, .below])
    }

    func testPointsNotDrawnAreIgnored() {
        let sides = LabelPlacement.sides([(.nan, 1), (0, 2), (1, 1), (1, 1)], logX: true, logY: false)
        XCTAssertEqual(sides, [.above, .above, .above, .below])
        XCTAssertEqual(LabelPlacement.sides([], logX: false, logY: false), [])
    }

    /// The data columns and the series that read them agree: the label of
    /// a point above is drawn by the first series, of a point below by the second.
    func testColumnsAndSeriesAgree() {
        XCTAssertEqual(LabelPlacement.columns("2.5", .above), "2.5 NaN")
        XCTAssertEqual(LabelPlacement.columns("2.5", .below), "NaN 2.5")
        let series = LabelPlacement.series(xColumn: 1, aboveColumn: 7, labelColumn: 6, fontSize: 9)
        XCTAssertEqual(series.map(\.yColumn), [7, 8])
        XCTAssertEqual(series.map(\.labelColumn), [6, 6])
        XCTAssertTrue(series[0].style.hasPrefix(LabelPlacement.offsetAbove) && series[1].style.hasPrefix(LabelPlacement.offsetBelow))
        XCTAssertTrue(series.allSatisfy { $0.style.hasSuffix("font ',9'") && $0.title.isEmpty })
    }
}
