import Atomistic
import MTP

/// A fitted Moment Tensor Potential as a calculator, so that validation and
/// relaxation treat it exactly like the reference.
public final class MTPCalculator: Calculator {
    public let name: String
    public let evaluator: Evaluator
    private let workspace = EvaluationWorkspace()

    public init(_ potential: Potential, name: String = "mtp") throws {
        self.evaluator = try Evaluator(potential)
        self.name = name
    }

    public var cutoff: Double { evaluator.cutoff }

    public func calculate(_ config: Configuration) throws -> Labels {
        let nl = try NeighborList(config, cutoff: evaluator.cutoff)
        let efs = try evaluator.evaluate(config, neighbors: nl, workspace: workspace)
        return Labels(energy: efs.energy, forces: efs.forces, virial: efs.virial)
    }
}
