import XCTest
@testable import Sweep

final class DynamicScheduleTests: XCTestCase {
    /// Groups tile 0..<ranks, largest first; the simulation runs every fit once.
    func assertValid(_ d: DynamicSchedule, fits: Int, ranks: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(d.queue.sorted(), Array(0..<fits), file: file, line: line)
        XCTAssertEqual(d.predictedFits.flatMap { $0 }.sorted(), Array(0..<fits), file: file, line: line)
        XCTAssertEqual(d.sizes.reduce(0, +), ranks, file: file, line: line)
        XCTAssertEqual(d.sizes, d.sizes.sorted(by: >), file: file, line: line)
        XCTAssertTrue(d.sizes.allSatisfy { $0 >= 1 }, file: file, line: line)
        XCTAssertEqual(d.ranks.last?.upperBound ?? 0, ranks, file: file, line: line)
        for r in 0..<ranks { XCTAssertNotNil(d.group(ofRank: r), file: file, line: line) }
    }

    func testQueueIsLongestFirstWithTiesByIndex() {
        XCTAssertEqual(DynamicSchedule.queue([1, 3, 2, 3]), [1, 3, 2, 0])
    }

    func testSimulationTakesFitsAsGroupsFinish() {
        // Two single-rank groups, no serial part: fits 3 (cost 4) and 2
        // (cost 3) start; group 1 is free first (t = 3) and takes fit 1
        // (cost 2); group 0 (free at 4) takes fit 0 (cost 1); both end at 5.
        let d = DynamicSchedule.simulate(costs: [1, 2, 3, 4], queue: [3, 2, 1, 0], sizes: [1, 1], serialFraction: 0)
        XCTAssertEqual(d.predictedFits, [[3, 0], [2, 1]])
        XCTAssertEqual(d.predictedMakespan, 5, accuracy: 1e-12)
        XCTAssertEqual(d.predictedIdleShare, 0, accuracy: 1e-12)
    }

    func testNeverPredictedSlowerThanAllRanksInSeries() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<40 {
            let costs = (0..<Int.random(in: 1...14, using: &rng)).map { _ in Double.random(in: 0.1...10, using: &rng) }
            let ranks = Int.random(in: 1...12, using: &rng)
            let d = DynamicSchedule.make(costs: costs, ranks: ranks)
            assertValid(d, fits: costs.count, ranks: ranks)
            // One group of all ranks is among the candidates.
            let serial = Schedule.time(cost: costs.reduce(0, +), ranks: ranks, serialFraction: 0.05)
            XCTAssertLessThanOrEqual(d.predictedMakespan, serial * (1 + 1e-12))
        }
    }

    func testBenchmarkGridHasSmallPredictedIdle() throws {
        // The sweep benchmark's grid: levels 8-16 x cutoffs 4, 5, one species.
        let costs = try Plan.grid(levels: [8, 10, 12, 14, 16], cutoffs: [4, 5], speciesCount: 1, radialBasisSize: 8,
                                  minDist: 1.8).map(\.estimatedCost)
        for ranks in [2, 4] {
            let d = DynamicSchedule.make(costs: costs, ranks: ranks)
            assertValid(d, fits: costs.count, ranks: ranks)
            XCTAssertLessThan(d.predictedIdleShare, 0.1, "ranks \(ranks): \(d)")
        }
    }

    func testEmptySweep() {
        XCTAssertTrue(DynamicSchedule.make(costs: [], ranks: 3).sizes.isEmpty)
    }
}

final class RankUsageTests: XCTestCase {
    func testIdleShareIsTheRankTimeNotBusy() {
        let groups = [RankUsage.Group(firstRank: 0, ranks: 1, fits: ["L08-c4.00", "L10-c4.00"], busySeconds: 10),
                      RankUsage.Group(firstRank: 1, ranks: 2, fits: ["L16-c5.00"], busySeconds: 8)]
        let u = RankUsage(schedule: .dynamic, groups: groups, wall: 10, busy: [10, 8, 8], cpu: [9, 7, 7],
                          predictedIdleShare: 0.05)
        XCTAssertEqual(u.ranks, 3)
        XCTAssertEqual(u.fitsRun, 3)
        XCTAssertEqual(u.idleShare, 1 - 26.0 / 30.0, accuracy: 1e-12)
        XCTAssertTrue(u.summaryLine.contains("3 fits on 2 groups of 1+2 ranks"), u.summaryLine)
        XCTAssertTrue(u.summaryLine.contains("idle 13.3% of rank time (predicted 5.0%)"), u.summaryLine)
    }
}
