import XCTest
import Fitting
@testable import Sweep

final class ParetoTests: XCTestCase {
    func testFront() {
        let points: [(cost: Double, error: Double)] = [
            (1, 10), (2, 8), (2, 9), (3, 8), (4, 3), (5, 4), (0.5, 20), (6, .nan), (4, 3),
        ]
        // (2,9) and (3,8) are dominated by (2,8); (5,4) by (4,3); the second
        // (4,3) duplicates the first; NaN takes no part.
        XCTAssertEqual(Pareto.front(points), [6, 0, 1, 4])
        XCTAssertEqual(Pareto.front([]), [])
        XCTAssertEqual(Pareto.front([(1, 1)]), [0])
    }

    func testEveryPointOffTheFrontIsDominated() {
        var rng = SystemRandomNumberGenerator()
        let points = (0..<60).map { _ in (cost: Double.random(in: 0...10, using: &rng), error: Double.random(in: 0...10, using: &rng)) }
        let front = Set(Pareto.front(points))
        for (i, p) in points.enumerated() {
            let dominated = points.contains { q in q.cost <= p.cost && q.error <= p.error && (q.cost < p.cost || q.error < p.error) }
            XCTAssertEqual(front.contains(i), !dominated, "point \(i)")
        }
    }

    func record(level: Int, cutoff: Double, cost: Double?, rmse: Double) -> FitRecord {
        let settings = FitSettings(level: level, cutoff: cutoff, minDist: 0.5, radialBasisSize: 8, speciesCount: 1,
                                   options: TrainingOptions(), data: "/d.cfg", dataBytes: 10, groups: nil, species: nil,
                                   costStructure: CostMeter.structureDescription)
        let row = GroupErrorRow(group: "all", configurations: 3, energyRMSE: rmse, energyMAE: 0, energyMax: 0,
                                forceRMSE: 0, forceMAE: 0, forceMax: 0, stressRMSE: 0, stressMAE: 0, stressMax: 0)
        return FitRecord(settings: settings, name: settings.spec.name, potential: "p.mtp", log: "p.log", parameterCount: 10,
                         basisSize: 2, radialFuncsCount: 1, configurations: 3, ranks: 1, iterations: 2, jacobianPasses: 2,
                         lossEvaluations: 3, loss: 1, converged: false, wallSeconds: 1, conditionNumber: 10, errors: [row],
                         cost: cost.map { CostMeasurement(structure: "s", atoms: 4, neighboursPerAtom: 1, calls: 3, microsecondsPerAtom: $0) })
    }

    func testRecordsRoundTripAndSettingsMatch() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-records-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = record(level: 4, cutoff: 5, cost: 2, rmse: 3)
        let json = dir + "/r.json", pot = dir + "/p.mtp"
        try Records.write(r, to: json)
        XCTAssertEqual(Records.read(json), r)
        XCTAssertNil(Records.finished(r.settings, json: json, potential: pot), "no potential: not finished")
        try "x".write(toFile: pot, atomically: true, encoding: .utf8)
        XCTAssertEqual(Records.finished(r.settings, json: json, potential: pot), r)
        var other = r.settings
        other.minDist += 0.1
        XCTAssertNil(Records.finished(other, json: json, potential: pot), "other settings: redo")
        // Only the limit differs: the record (2 iterations, at its limit of 2,
        // not converged) is unfinished under a higher limit; a converged one is
        // finished under any limit that allows its iterations.
        var higher = r.settings
        higher.options.maxIterations = 2 + 10
        XCTAssertTrue(higher.continues(r.settings) && higher.checkpointTag == r.settings.checkpointTag)
        XCTAssertNotEqual(other.checkpointTag, r.settings.checkpointTag)
        var limited = r
        limited.settings.options.maxIterations = 2
        try Records.write(limited, to: json)
        XCTAssertTrue(limited.hitIterationLimit)
        XCTAssertNil(Records.finished(higher, json: json, potential: pot), "stopped at its limit: continue")
        var converged = limited
        converged.converged = true
        try Records.write(converged, to: json)
        XCTAssertEqual(Records.finished(higher, json: json, potential: pot), converged)
        var lower = r.settings
        lower.options.maxIterations = 1
        XCTAssertNil(Records.finished(lower, json: json, potential: pot), "more iterations than the limit allows: redo")
        try Records.write(r, to: json)
        try "{ truncated".write(toFile: json, atomically: true, encoding: .utf8)
        XCTAssertNil(Records.read(json))
    }

    func testSummaryMarksTheFront() {
        let records = [record(level: 2, cutoff: 4, cost: 1, rmse: 10), record(level: 4, cutoff: 4, cost: 2, rmse: 12),
                       record(level: 4, cutoff: 5, cost: 3, rmse: 5), record(level: 6, cutoff: 5, cost: nil, rmse: 1)]
        let lines = Records.csv(records).split(separator: "\n")
        XCTAssertEqual(lines.count, 5)
        XCTAssertEqual(lines.map { $0.split(separator: ",").last! }, ["pareto", "1", "0", "1", "0"])
        let md = Records.markdown(records, missing: [FitSpec(level: 8, cutoff: 5)], title: "t")
        XCTAssertTrue(md.contains("Not finished: L08-c5.00"))
        XCTAssertEqual(md.components(separatedBy: "**yes**").count - 1, 2)
    }
}
