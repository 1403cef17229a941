import XCTest
import CommandLineTesting
import Foundation
import Atomistic
import MTP
import Parallel
import TrainingStore
@testable import Fitting

/// A validation set during training (`--valid`, `--stop-on-valid`): its
/// errors after every iteration from any input format, stopping on it and
/// keeping the best potential, and resuming with its record.
///
/// The training set is the fixture's four Cu configurations with energies
/// moved by 50 meV per configuration step; the validation set is the
/// fixture as labelled. The starting potential was trained by MLIP on the
/// labelled configurations, so fitting the moved energies takes it away
/// from the validation labels: the validation loss rises after the first
/// iterations, as it does when a fit overfits.
final class ValidationSetTests: TemporaryDirectoryTestCase {
    var fixtures: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }
    var cfg: String { fixtures.appendingPathComponent("cu-4.cfg").path }

    /// The fixture converted to another format (`mtp convert`'s library).
    func converted(_ ext: String) throws -> String {
        let out = tmpURL.appendingPathComponent("valid.\(ext)").path
        _ = try Conversion(inputs: [cfg], output: out, options: FormatOptions(symbols: ["Cu"])).run()
        return out
    }

    func makeFit(valid: String, iterations: Int, stopAfter: Int?) throws -> Fit {
        let comm = Communicator.start()
        let start = try MTPFile.read(path: fixtures.appendingPathComponent("cu-06.mtp").path)
        var shard = try ShardSource(path: cfg).read(comm)
        for c in shard.configurations.indices { shard.configurations[c].energy! += 0.05 * Double(c + 1) }
        var options = TrainingOptions()
        options.maxIterations = iterations
        options.tolerance = 0
        let fit = try Fit(start: start, data: shard, dataPath: cfg, options: options, communicator: comm)
        let v = try ShardSource(path: valid, options: FormatOptions(symbols: ["Cu"])).read(comm)
        try fit.validate(on: v, path: valid, stopAfter: stopAfter)
        return fit
    }

    /// The validation loss of `theta` on `valid`, from a validation set built afresh.
    func freshLoss(_ theta: [Double], valid: String) throws -> Double {
        try makeFit(valid: valid, iterations: 0, stopAfter: nil).validation!.errors(at: theta).loss
    }

    /// Every iteration prints and records its validation errors; the record
    /// is the same whether the set is .cfg, extended XYZ or a .h5 store, and
    /// each point is the set's errors of that iteration's potential.
    func testValidationErrorsEveryIterationInEveryFormat() throws {
        var records: [ValidationSummary] = []
        for path in [cfg, try converted("extxyz"), try converted("h5")] {
            var lines: [String] = []
            let current = tmpURL.appendingPathComponent("current.mtp").path
            let r = try makeFit(valid: path, iterations: 3, stopAfter: nil)
                .run(output: nil, checkpointing: Fit.Checkpointing(path: nil, every: 0, currentPotential: current),
                     log: { lines.append($0) })
            let v = try XCTUnwrap(r.validation, path)
            XCTAssertEqual(v.history.map(\.iteration), [1, 2, 3], path)
            XCTAssertEqual(v.configurations, 4)
            XCTAssertNil(v.stopOnValid)
            XCTAssertFalse(v.stopped)
            // Without --stop-on-valid the last potential is kept.
            XCTAssertEqual(v.keptIteration, 3)
            XCTAssertTrue(v.history.allSatisfy { $0.loss.isFinite && $0.energyRMSE.isFinite && $0.forceRMSE.isFinite }, path)
            XCTAssertEqual(v.history.last!.loss, try freshLoss(r.potential.parameters, valid: path), path)
            XCTAssertTrue(lines.contains { $0.contains("valid loss") && $0.contains("E meV/atom") }, lines.joined(separator: "\n"))
            XCTAssertEqual(lines.filter { $0.contains("  |  ") }.count, 1 + 3, lines.joined(separator: "\n"))
            XCTAssertTrue(lines.contains { $0.hasPrefix("errors on the validation set \(path)") })
            XCTAssertEqual(r.validationGroups?.last?.configurations, 4)
            records.append(v)
        }
        for r in records.dropFirst() {
            for (a, b) in zip(records[0].history, r.history) {
                XCTAssertEqual(a.loss, b.loss, accuracy: 1e-10 * abs(a.loss))
                XCTAssertEqual(a.energyRMSE, b.energyRMSE, accuracy: 1e-8 * abs(a.energyRMSE))
                XCTAssertEqual(a.forceRMSE, b.forceRMSE, accuracy: 1e-8 * abs(a.forceRMSE))
            }
        }
        // The store holds the cfg's numbers exactly.
        XCTAssertEqual(records[0].history, records[2].history)
    }

    /// `stopAfter`: the fit ends once that many iterations passed without a
    /// lower validation loss, and the potential kept is the best one.
    func testStopOnValidKeepsTheBest() throws {
        let current = tmpURL.appendingPathComponent("current.mtp").path
        var lines: [String] = []
        let r = try makeFit(valid: cfg, iterations: 30, stopAfter: 2)
            .run(output: nil, checkpointing: Fit.Checkpointing(path: nil, every: 0, currentPotential: current),
                 log: { lines.append($0) })
        let v = try XCTUnwrap(r.validation)
        XCTAssertTrue(v.stopped, lines.joined(separator: "\n"))
        XCTAssertEqual(v.stopOnValid, 2)
        XCTAssertLessThan(r.state.iteration, 30)
        XCTAssertEqual(v.history.count, r.state.iteration)
        let best = try XCTUnwrap(v.history.min { $0.loss < $1.loss })
        XCTAssertEqual(v.best, best)
        XCTAssertEqual(v.keptIteration, best.iteration)
        // Stopped exactly 2 iterations after the best, none of them lower.
        XCTAssertEqual(v.history.last!.iteration, best.iteration + 2)
        XCTAssertTrue(v.history.suffix(2).allSatisfy { $0.loss >= best.loss })
        // The kept potential is the best one, not the last iteration's.
        XCTAssertEqual(try freshLoss(r.potential.parameters, valid: cfg), best.loss)
        let last = try MTPFile.read(path: current).parameters
        XCTAssertNotEqual(last, r.potential.parameters)
        XCTAssertTrue(lines.contains { $0.hasPrefix("keeping the potential of iteration \(best.iteration)") }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.hasSuffix("  *") })
    }

    /// The record's logic alone: strict improvement, the count since the
    /// best, and the stop.
    func testProgressCountsIterationsWithoutImprovement() {
        var p = ValidationProgress(path: "v.cfg", configurations: 3)
        func point(_ i: Int, _ loss: Double) -> ValidationPoint {
            ValidationPoint(iteration: i, TrainingErrors(loss: loss, energyRMSE: 1, forceRMSE: 0.1, stressRMSE: .nan))
        }
        XCTAssertTrue(p.record(point(1, 5), parameters: [1], trainingLoss: 9, stopAfter: 2))
        XCTAssertFalse(p.record(point(2, 5), parameters: [2], trainingLoss: 8, stopAfter: 2))
        XCTAssertFalse(p.stopped)
        XCTAssertTrue(p.record(point(3, 4), parameters: [3], trainingLoss: 7, stopAfter: 2))
        XCTAssertEqual(p.sinceBest, 0)
        XCTAssertFalse(p.record(point(4, .nan), parameters: [4], trainingLoss: 6, stopAfter: 2))
        XCTAssertFalse(p.record(point(5, 4.5), parameters: [5], trainingLoss: 5, stopAfter: 2))
        XCTAssertTrue(p.stopped)
        XCTAssertEqual(p.best?.iteration, 3)
        XCTAssertEqual(p.bestParameters, [3])
        XCTAssertEqual(p.bestTrainingLoss, 7)
        let s = p.summary(stopAfter: 2)
        XCTAssertEqual(s.keptIteration, 3)
        XCTAssertEqual(p.summary(stopAfter: nil).keptIteration, 5)
    }

    /// A fit resumed from a checkpoint continues the validation record (the
    /// count without improvement and the best so far) and ends exactly as
    /// the uninterrupted fit; resuming a fit that stopped runs nothing more.
    func testResumeContinuesTheValidationRecord() throws {
        let path = tmpURL.appendingPathComponent("fit.checkpoint.json").path
        let whole = try makeFit(valid: cfg, iterations: 30, stopAfter: 2)
            .run(output: nil, checkpointing: Fit.Checkpointing(path: path, every: 1))
        let stoppedAt = whole.state.iteration
        XCTAssertTrue(whole.validation!.stopped)
        XCTAssertGreaterThan(stoppedAt, 1)
        // The stopped fit's checkpoint: resuming it runs no iteration.
        var lines: [String] = []
        let again = try makeFit(valid: cfg, iterations: 30, stopAfter: 2)
            .run(output: nil, checkpointing: Fit.Checkpointing(path: path, every: 1, resume: .required), log: { lines.append($0) })
        XCTAssertEqual(again.potential.parameters, whole.potential.parameters)
        XCTAssertEqual(again.validation, whole.validation)
        XCTAssertFalse(lines.contains { $0.contains("  |  ") && !$0.contains("valid loss") }, lines.joined(separator: "\n"))

        // Interrupted one iteration before the stop, then resumed.
        try FileManager.default.removeItem(atPath: path)
        _ = try makeFit(valid: cfg, iterations: stoppedAt - 1, stopAfter: 2)
            .run(output: nil, checkpointing: Fit.Checkpointing(path: path, every: 1))
        var saved = try JSONFile.decoder.decode(Fit.Checkpoint.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(saved.validation?.history.count, stoppedAt - 1)
        XCTAssertEqual(saved.validation?.stopped, false)
        saved.options.maxIterations = 30
        try JSONFile.write(saved, to: path)
        let resumed = try makeFit(valid: cfg, iterations: 30, stopAfter: 2)
            .run(output: nil, checkpointing: Fit.Checkpointing(path: path, every: 1, resume: .required))
        XCTAssertEqual(resumed.state.iteration, stoppedAt)
        XCTAssertEqual(resumed.validation, whole.validation)
        XCTAssertEqual(resumed.potential.parameters, whole.potential.parameters)

        // Resumed with a larger --stop-on-valid, the stopped fit goes on.
        let longer = try makeFit(valid: cfg, iterations: stoppedAt + 1, stopAfter: 5)
        let more = try longer.run(output: nil, checkpointing: Fit.Checkpointing(path: path, every: 1, resume: .required))
        XCTAssertEqual(more.state.iteration, stoppedAt + 1)
        XCTAssertEqual(more.validation?.history.count, stoppedAt + 1)
    }
}
