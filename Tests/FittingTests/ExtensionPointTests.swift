import XCTest
import Foundation
import Atomistic
import MTP
import Parallel
import TrainingStore
@testable import Fitting

/// A toy optimizer, registered as a plug-in would be: steepest descent
/// with a step that halves on failure and grows on success. Its memory is
/// the step length.
struct ToyDescent: Optimizer {
    static let name = "toy-descent"
    static let summary = "steepest descent with an adaptive step (a test's optimizer)"
    struct Memory: Codable, Sendable { var step = 1e-6 }

    func run(_ trainer: Trainer, from start: TrainerState, memory: Memory?,
             progress: (IterationReport) -> Void,
             checkpoint: (TrainerState, Memory) throws -> Void) throws -> TrainerState {
        var state = start
        var step = memory?.step ?? Memory().step
        if state.loss == .infinity { state.loss = try trainer.errors(at: state.parameters).loss }
        while state.iteration < trainer.options.maxIterations {
            let (_, g) = try trainer.lossAndGradient(at: state.parameters)
            state.gradientEvaluations += 1
            let trial = zip(state.parameters, g).map { $0 - step * $1 }
            let e = try trainer.errors(at: trial)
            state.lossEvaluations += 1
            if e.loss < state.loss { state.parameters = trial; state.loss = e.loss; step *= 2 } else { step /= 4 }
            state.iteration += 1
            progress(IterationReport(state: state, errors: e, seconds: 0, conditionNumber: .nan, damping: step))
            try checkpoint(state, Memory(step: step))
        }
        return state
    }
}

final class ExtensionPointTests: XCTestCase {
    var fixtures: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }

    override class func setUp() {
        super.setUp()
        if Optimizers.named(ToyDescent.name) == nil { Optimizers.register(ToyDescent.self) }
    }

    /// A fit as the library runs it for `mtp train`: from a file through
    /// `ShardSource` to a written potential and a per-group error table.
    func fit(_ optimizer: String, iterations: Int, checkpointing: Fit.Checkpointing = .none,
             output: String? = nil) throws -> FitResult {
        let comm = Communicator.start()
        var start = try MTPFile.read(path: fixtures.appendingPathComponent("cu-06.mtp").path)
        start.speciesCoeffs = nil
        start.momentCoeffs = nil
        let data = fixtures.appendingPathComponent("cu-4.cfg").path
        let shard = try ShardSource(path: data).read(comm)
        var options = TrainingOptions()
        options.maxIterations = iterations
        options.optimizer = optimizer
        return try Fit(start: start, data: shard, dataPath: data, options: options, communicator: comm)
            .run(output: output, checkpointing: checkpointing)
    }

    /// The registered toy optimizer runs through the same `Fit` as LM and
    /// BFGS, lowers the loss, and the registry lists it.
    func testToyOptimizerRunsThroughFit() throws {
        XCTAssertTrue(Optimizers.names.contains(ToyDescent.name))
        let few = try fit(ToyDescent.name, iterations: 2)
        let more = try fit(ToyDescent.name, iterations: 12)
        XCTAssertLessThan(more.state.loss, few.state.loss)
        XCTAssertEqual(more.state.iteration, 12)
        XCTAssertEqual(more.groups.count, 1)
        XCTAssertTrue(more.groups[0].energyRMSE.isFinite)
    }

    /// An unknown optimizer is a clear error, before any work.
    func testUnknownOptimizerIsAnError() {
        XCTAssertThrowsError(try fit("no-such-optimizer", iterations: 1)) { error in
            XCTAssertTrue("\(error)".contains("unknown optimizer 'no-such-optimizer'"), "\(error)")
        }
    }

    /// A fit stopped at a checkpoint and resumed ends exactly where an
    /// uninterrupted fit ends, for every registered optimizer (each saves
    /// its own memory: LM its damping, BFGS its curvature model, the toy its
    /// step).
    func testResumeEqualsUninterrupted() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fit-resume-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in [LevenbergMarquardt.name, BFGS.name, GaussNewtonCG.name, ToyDescent.name] {
            let path = dir.appendingPathComponent("\(name).checkpoint.json").path
            let whole = try fit(name, iterations: 6)
            _ = try fit(name, iterations: 3, checkpointing: Fit.Checkpointing(path: path, every: 1))
            // The checkpoint holds 3 iterations of a fit limited to 3; resumed
            // with a limit of 6 it goes on (only the limit may differ).
            let saved = try JSONDecoder().decode(Fit.Checkpoint.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            XCTAssertEqual(saved.saved.state.iteration, 3)
            XCTAssertEqual(saved.options.maxIterations, 3)
            XCTAssertNotNil(saved.saved.memory)
            let resumed = try fit(name, iterations: 6, checkpointing: Fit.Checkpointing(path: path, every: 1, resume: .required))
            XCTAssertEqual(resumed.state.parameters, whole.state.parameters, name)
            XCTAssertEqual(resumed.state.loss, whole.state.loss, name)
        }
    }

    /// Only the iteration limit may differ between a checkpoint and the run
    /// that resumes it.
    func testResumeNeedsTheSameSettingsButTheLimit() {
        var a = TrainingOptions()
        var b = a
        b.maxIterations = a.maxIterations + 40
        XCTAssertTrue(a.continues(b) && b.continues(a))
        b.ridge = 1e-6
        XCTAssertFalse(a.continues(b))
        a.optimizer = BFGS.name
        XCTAssertFalse(a.continues(TrainingOptions()))
    }

    /// `.required` without a checkpoint names the file.
    func testResumeWithoutCheckpointIsAnError() {
        XCTAssertThrowsError(try fit(LevenbergMarquardt.name, iterations: 1,
                                     checkpointing: Fit.Checkpointing(path: "/nonexistent/x.checkpoint.json", resume: .required))) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/x.checkpoint.json: no readable checkpoint"), "\(error)")
        }
    }

    /// The group table comes from the trainer's final evaluation and
    /// equals a fresh evaluation of the written potential.
    func testGroupErrorsEqualFreshEvaluation() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("fit-\(getpid()).mtp").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try fit(LevenbergMarquardt.name, iterations: 3, output: out)
        let written = try MTPFile.read(path: out)
        XCTAssertEqual(written.parameters, r.potential.parameters)
        let configs = try CFGFormat.read(path: fixtures.appendingPathComponent("cu-4.cfg").path)
        let predicted = try Evaluator(written).predictions(configs, file: "cu-4.cfg")
        var errors = LabelErrors()
        for (p, c) in zip(predicted, configs) { errors.add(predicted: p, reference: c) }
        XCTAssertEqual(r.groups[0].energyRMSE, errors.energyPerAtom.rmse, accuracy: 1e-12 * max(1, errors.energyPerAtom.rmse))
        XCTAssertEqual(r.groups[0].forceRMSE, errors.forceComponent.rmse, accuracy: 1e-12)
        XCTAssertEqual(r.groups[0].configurations, configs.count)
    }
}
