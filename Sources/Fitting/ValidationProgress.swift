import Foundation

/// The validation errors of one iteration's potential (meV/atom, eV/A, GPa;
/// NaN where the set has no such labels).
public struct ValidationPoint: Codable, Equatable, Sendable {
    public var iteration: Int
    /// The training loss's formula on the validation set, without the ridge penalty.
    public var loss: Double
    public var energyRMSE: Double
    public var forceRMSE: Double
    public var stressRMSE: Double

    init(iteration: Int, _ e: TrainingErrors) {
        self.iteration = iteration
        loss = e.loss
        energyRMSE = e.energyRMSE
        forceRMSE = e.forceRMSE
        stressRMSE = e.stressRMSE
    }

    /// The columns `Fit` appends to an iteration's line (a "*" marks a new best).
    static let header = "  |  valid loss          E meV/atom      F eV/A       S GPa"

    func columns(best: Bool) -> String {
        func f(_ x: Double, _ format: String, _ width: Int) -> String {
            x.isFinite ? String(format: format, x) : String(repeating: " ", count: width - 1) + "-"
        }
        return "  |  " + f(loss, "%.12e", 18) + "  " + f(energyRMSE, "%10.4f", 10) + "  " + f(forceRMSE, "%10.5f", 10)
            + "  " + f(stressRMSE, "%10.5f", 10) + (best ? "  *" : "")
    }
}

/// Where a fit stands on its validation set: every iteration's errors, the
/// best (lowest validation loss) so far with its parameters, and how many
/// iterations have passed without improvement. A checkpoint holds it, so a
/// resumed fit continues the count and keeps the best of all its runs.
public struct ValidationProgress: Codable, Equatable, Sendable {
    /// The set's file and size, to recognise it when resuming.
    public var path: String
    public var configurations: Int
    public var history: [ValidationPoint] = []
    public var best: ValidationPoint?
    var bestParameters: [Double]?
    /// The training loss at the best iteration.
    var bestTrainingLoss: Double?
    /// Iterations since the best one.
    public var sinceBest = 0
    /// Whether the fit stopped because the validation loss stopped improving.
    public var stopped = false

    public init(path: String, configurations: Int) {
        self.path = path
        self.configurations = configurations
    }

    /// Records an iteration; returns whether it is the best so far (a
    /// strictly lower, finite validation loss). With `stopAfter`, marks the
    /// progress stopped once that many iterations passed without one.
    mutating func record(_ point: ValidationPoint, parameters: [Double], trainingLoss: Double, stopAfter: Int?) -> Bool {
        history.append(point)
        let improved = point.loss.isFinite && point.loss < (best?.loss ?? .infinity)
        if improved {
            best = point
            bestParameters = parameters
            bestTrainingLoss = trainingLoss
            sinceBest = 0
        } else {
            sinceBest += 1
        }
        if let n = stopAfter, sinceBest >= n { stopped = true }
        return improved
    }

    /// What the summaries keep (no parameters).
    func summary(stopAfter: Int?) -> ValidationSummary {
        ValidationSummary(file: path, configurations: configurations, stopOnValid: stopAfter, stopped: stopped,
                          keptIteration: stopAfter == nil ? history.last?.iteration : best?.iteration,
                          best: best, history: history)
    }
}

/// A fit's validation record in `mtp train`'s summary and a sweep's
/// records: every iteration's validation errors, the best one, and which
/// iteration's potential was kept (the best with `--stop-on-valid`, else
/// the last).
public struct ValidationSummary: Codable, Equatable, Sendable {
    public var file: String
    public var configurations: Int
    public var criterion = "validation loss (the training loss's weights, no ridge penalty)"
    public var stopOnValid: Int?
    public var stopped: Bool
    public var keptIteration: Int?
    public var best: ValidationPoint?
    public var history: [ValidationPoint]
}
