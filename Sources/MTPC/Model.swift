import Atomistic
import MTP
import ActiveLearning

/// What a C handle points at: a compiled potential, the buffers its
/// evaluations reuse, and optionally the active set that grades
/// configurations. One handle is not thread-safe (its workspace is shared
/// between calls); use one handle per thread.
final class Model {
    let path: String
    let evaluator: Evaluator
    let workspace = EvaluationWorkspace()
    var activeSet: ActiveSet?

    init(path: String) throws {
        self.path = path
        evaluator = try Evaluator(contentsOf: path)
    }

    /// Loads the active set saved at `setPath` (as `mtp grade` writes it);
    /// refuses a set that belongs to another potential.
    func loadActiveSet(_ setPath: String) throws {
        activeSet = try ActiveSet.load(path: setPath, potential: evaluator.potential)
    }

    func evaluate(_ config: Configuration) throws -> EFS {
        let nl = try NeighborList(config, cutoff: evaluator.cutoff)
        return try evaluator.evaluate(config, neighbors: nl, workspace: workspace)
    }

    func grades(_ config: Configuration) throws -> ActiveSet.Grades {
        guard let set = activeSet else {
            throw ABIError("no active set is loaded: call mtpc_load_active_set with the file `mtp grade` saves (POT.activeset)")
        }
        return try set.grades(of: config)
    }
}

/// A misuse of the C interface (null pointers, bad sizes), reported as text.
struct ABIError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
