import Foundation

/// A way of moving the parameters of a `Trainer`: Levenberg-Marquardt,
/// BFGS, or the next one. Each keeps its own memory between iterations
/// (damping, curvature model), Codable so that a checkpoint continues a fit
/// exactly. Adding an optimizer is its file plus one line in
/// `Optimizers.registered`.
public protocol Optimizer {
    associatedtype Memory: Codable & Sendable
    /// The name users pass (`--optimizer NAME`) and records keep.
    static var name: String { get }
    /// One line for `--help`.
    static var summary: String { get }
    init()
    /// Iterates from `state` (with `memory` from a checkpoint, or nil for a
    /// fresh start) until converged or `trainer.options.maxIterations`;
    /// calls `progress` after every iteration and `checkpoint` with what to
    /// save. Every rank runs it alike and takes the same steps.
    func run(_ trainer: Trainer, from state: TrainerState, memory: Memory?,
             progress: (IterationReport) -> Void,
             checkpoint: (TrainerState, Memory) throws -> Void) throws -> TrainerState
}

/// A registered optimizer: its name, its summary and how to run it, held
/// as a value so that the registry is a plain list.
public struct RegisteredOptimizer: Sendable {
    public let name: String
    public let summary: String
    let runner: @Sendable (Trainer, SavedFit?, (IterationReport) -> Void, (SavedFit) throws -> Void) throws -> TrainerState

    public init<O: Optimizer>(_ type: O.Type) {
        name = O.name
        summary = O.summary
        runner = { trainer, saved, progress, checkpoint in
            let state = saved?.state ?? TrainerState(parameters: trainer.potential.parameters)
            let memory = try saved?.memory.map { try JSONDecoder().decode(O.Memory.self, from: Data($0.utf8)) }
            return try O().run(trainer, from: state, memory: memory, progress: progress) { state, memory in
                let text = String(decoding: try JSONEncoder().encode(memory), as: UTF8.self)
                try checkpoint(SavedFit(state: state, memory: text))
            }
        }
    }
}

/// The registered optimizers.
public enum Optimizers {
    /// In the order `--help` lists them; the first is the default.
    nonisolated(unsafe) public private(set) static var registered: [RegisteredOptimizer] = [
        RegisteredOptimizer(LevenbergMarquardt.self), RegisteredOptimizer(BFGS.self),
        RegisteredOptimizer(GaussNewtonCG.self),
    ]

    /// Adds an optimizer (a test's, a plug-in's); the name must be new.
    public static func register<O: Optimizer>(_ optimizer: O.Type) {
        precondition(named(O.name) == nil, "an optimizer named \(O.name) is registered already")
        registered.append(RegisteredOptimizer(optimizer))
    }

    public static func named(_ name: String) -> RegisteredOptimizer? {
        registered.first { $0.name == name }
    }

    public static var names: [String] { registered.map(\.name) }

    /// Runs the optimizer `trainer.options.optimizer` from `saved` (nil: a
    /// fresh start); `checkpoint` receives what to save.
    static func run(_ trainer: Trainer, from saved: SavedFit?, progress: (IterationReport) -> Void,
                    checkpoint: (SavedFit) throws -> Void) throws -> TrainerState {
        guard let optimizer = named(trainer.options.optimizer) else {
            throw UnknownOptimizer(name: trainer.options.optimizer)
        }
        return try withoutActuallyEscaping(progress) { progress in
            try withoutActuallyEscaping(checkpoint) { checkpoint in
                try optimizer.runner(trainer, saved, progress, checkpoint)
            }
        }
    }

    public struct UnknownOptimizer: Error, CustomStringConvertible {
        public var name: String
        public var description: String { "unknown optimizer '\(name)' (known: \(Optimizers.names.joined(separator: ", ")))" }
    }
}

/// A fit's state with its optimizer's memory (as JSON text, opaque to all
/// but that optimizer): what a checkpoint holds.
public struct SavedFit: Codable, Equatable, Sendable {
    public var state: TrainerState
    public var memory: String?
    public init(state: TrainerState, memory: String?) {
        self.state = state
        self.memory = memory
    }
}
