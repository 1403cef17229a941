import XCTest
@testable import Sweep

final class ScheduleTests: XCTestCase {
    /// Every fit runs exactly once, and the groups' ranks tile 0..<ranks.
    func assertValid(_ s: Schedule, fits: Int, ranks: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(s.groups.flatMap(\.fits).sorted(), Array(0..<fits), file: file, line: line)
        var next = 0
        for g in s.groups {
            XCTAssertEqual(g.ranks.lowerBound, next, file: file, line: line)
            XCTAssertFalse(g.ranks.isEmpty, file: file, line: line)
            next = g.ranks.upperBound
        }
        XCTAssertEqual(next, ranks, "every rank has a group", file: file, line: line)
        for r in 0..<ranks { XCTAssertNotNil(s.group(ofRank: r), file: file, line: line) }
    }

    func testEqualFitsSpreadEvenly() {
        let s = Schedule.make(costs: [1, 1, 1, 1], ranks: 2)
        assertValid(s, fits: 4, ranks: 2)
        XCTAssertEqual(s.groups.count, 2)
        XCTAssertEqual(s.groups.map(\.fits.count), [2, 2])
    }

    func testLargeFitGetsMoreRanks() {
        // One fit as costly as the ten others together.
        let costs = [10.0] + [Double](repeating: 1, count: 10)
        let s = Schedule.make(costs: costs, ranks: 8)
        assertValid(s, fits: costs.count, ranks: 8)
        let big = s.groups.first { $0.fits.contains(0) }!
        let others = s.groups.filter { !$0.fits.contains(0) }
        XCTAssertFalse(others.isEmpty)
        for g in others { XCTAssertGreaterThan(big.ranks.count, g.ranks.count) }
        XCTAssertEqual(big.fits, [0], "the large fit runs alone")
    }

    func testFewerFitsThanRanksUsesEveryRank() {
        let s = Schedule.make(costs: [1, 1], ranks: 4)
        assertValid(s, fits: 2, ranks: 4)
        XCTAssertEqual(s.groups.map(\.ranks.count), [2, 2], "two equal fits side by side on half the ranks each")
        let uneven = Schedule.make(costs: [3, 1], ranks: 5)
        assertValid(uneven, fits: 2, ranks: 5)
    }

    func testGroupsRunLargestFirstAndBeatOneGroup() {
        let costs = [1.0, 5, 2, 8, 3, 3, 7, 1]
        for ranks in 1...6 {
            let s = Schedule.make(costs: costs, ranks: ranks)
            assertValid(s, fits: costs.count, ranks: ranks)
            for g in s.groups {
                XCTAssertEqual(g.fits.map { costs[$0] }, g.fits.map { costs[$0] }.sorted(by: >))
                XCTAssertEqual(g.cost, g.fits.reduce(0) { $0 + costs[$1] }, accuracy: 1e-12)
            }
            // Never worse than running everything on all ranks in one group.
            let single = Schedule.time(cost: costs.reduce(0, +), ranks: ranks, serialFraction: 0.05)
            XCTAssertLessThanOrEqual(s.predictedMakespan, single * (1 + 1e-12))
        }
        // On one rank the makespan is the total cost.
        XCTAssertEqual(Schedule.make(costs: costs, ranks: 1).predictedMakespan, costs.reduce(0, +), accuracy: 1e-9)
    }

    func testEmptyAndDeterministic() {
        XCTAssertTrue(Schedule.make(costs: [], ranks: 3).groups.isEmpty)
        let costs = [2.0, 2, 2, 1, 1]
        XCTAssertEqual(Schedule.make(costs: costs, ranks: 3), Schedule.make(costs: costs, ranks: 3))
    }
}
