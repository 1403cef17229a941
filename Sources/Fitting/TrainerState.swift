/// Where a fit stands, whatever the optimizer: with the optimizer's own
/// memory (`Optimizer.Memory`) it is everything needed to continue exactly.
public struct TrainerState: Codable, Equatable, Sendable {
    public var iteration = 0
    public var parameters: [Double]
    public var loss = Double.infinity
    public var jacobianPasses = 0
    public var lossEvaluations = 0
    /// Evaluations of loss and gradient together (BFGS).
    public var gradientEvaluations = 0
    public var converged = false
    public init(parameters: [Double]) { self.parameters = parameters }
}

/// Errors of the current potential on the whole training set.
public struct TrainingErrors: Sendable {
    public var loss: Double
    public var energyRMSE: Double      // meV/atom
    public var forceRMSE: Double       // eV/A per component
    public var stressRMSE: Double      // GPa
}

/// What an optimizer reports after each iteration.
public struct IterationReport: Sendable {
    public var state: TrainerState
    public var errors: TrainingErrors
    public var seconds: Double
    /// Condition number of the linear block when this iteration computed it.
    public var conditionNumber: Double
    /// The damping of this iteration's step, for optimizers that damp.
    public var damping: Double?
}
