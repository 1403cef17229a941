import ArgumentParser
import Fitting

/// The options of a fit, declared once for `mtp train` and `mtp sweep`;
/// their defaults are `TrainingOptions`'s.
struct TrainingArguments: ParsableArguments {
    static let defaults = TrainingOptions()

    @Option(help: ArgumentHelp("How the loss weights not given below are chosen: " + WeightRule.allCases.map { "\($0.rawValue): \($0.summary)" }.joined(separator: "; ") + ". The weights chosen are printed at the start.",
                               valueName: WeightRule.allCases.map(\.rawValue).joined(separator: "|")))
    var weights: String = (defaults.weights ?? WeightRequest()).rule.rawValue
    @Option(help: "Weight of energies (per atom); default: from --weights.") var energyWeight: Double?
    @Option(help: "Weight of forces; default: from --weights (MLIP's 0.01).") var forceWeight: Double?
    @Option(help: "Weight of stresses (virials per atom); default: from --weights (MLIP's 0.001).") var stressWeight: Double?
    @Option(help: "Scale force weights by eps/(|F|^2+eps) with this eps (A^2/eV^2... as MLIP's --scale-by-force).")
    var scaleByForce: Double?
    @Option(name: .customLong("max-iter"), help: "Maximum number of iterations.") var maxIterations: Int = defaults.maxIterations
    @Option(name: [.customLong("tolerance"), .customLong("bfgs-conv-tol")],
            help: "Stop when an iteration lowers the loss by less than this fraction (MLIP: --bfgs-conv-tol, there over 50 BFGS iterations).")
    var tolerance: Double = defaults.tolerance
    @Option(help: "Ridge penalty on species and moment coefficients.") var ridge: Double = defaults.ridge
    @Flag(inversion: .prefixedNo, help: ArgumentHelp("Levenberg-Marquardt: geodesic acceleration of every step (a second-order correction along the residuals' curvature, about four loss evaluations per trial; default on)."))
    var geodesicAcceleration: Bool?
    @Option(help: ArgumentHelp("The optimizer: " + Optimizers.registered.map { "\($0.name): \($0.summary)" }.joined(separator: "; ") + "."))
    var optimizer: String = defaults.optimizer
    @Option(help: ArgumentHelp("How configurations of different sizes weigh (MLIP's --weighting): vibrations (energy and stress errors / N; MLIP's default), molecules (not divided by N), structures (energy and stress / N^2, forces / N).",
                               valueName: "vibrations|molecules|structures"))
    var weighting: String = defaults.loss.weighting.rawValue
    @Option(help: "Element symbols of species 0, 1, ... (for formats that store species indices, such as .cfg).")
    var species: String?
    @Option(name: [.customLong("valid"), .customLong("valid-cfgs")],
            help: "A validation set (any format DATA may have, read in shards like it): its errors are printed after every iteration (meV/atom, eV/A, GPa), per group at the end, and kept in the summary (MLIP: --valid-cfgs).")
    var valid: String?
    @Option(help: "With --valid: stop after N iterations without a lower validation loss and keep the potential of the lowest one.")
    var stopOnValid: Int?

    func validate() throws {
        guard [energyWeight, forceWeight, stressWeight].allSatisfy({ ($0 ?? 0) >= 0 && ($0 ?? 0).isFinite }) else {
            throw ValidationError("weights must be non-negative")
        }
        guard WeightRule(rawValue: weights) != nil else {
            throw ValidationError("--weights must be one of \(WeightRule.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard maxIterations >= 0 else { throw ValidationError("--max-iter must be non-negative") }
        guard LossSettings.Weighting(rawValue: weighting) != nil else {
            throw ValidationError("--weighting must be one of \(LossSettings.Weighting.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let n = stopOnValid {
            guard n >= 1 else { throw ValidationError("--stop-on-valid must be at least 1") }
            guard valid != nil else { throw ValidationError("--stop-on-valid needs a validation set (--valid FILE)") }
        }
        guard Optimizers.named(optimizer) != nil else {
            throw ValidationError("--optimizer must be one of \(Optimizers.names.joined(separator: ", "))")
        }
    }

    var symbols: [String]? { species.map { $0.split(separator: ",").map(String.init) } }

    var options: TrainingOptions {
        // The three weights in `loss` are placeholders until `Fit` resolves `weights` on the data.
        var o = TrainingOptions(loss: LossSettings(forceScalingEpsilon: scaleByForce,
                                           weighting: LossSettings.Weighting(rawValue: weighting) ?? .vibrations),
                        maxIterations: maxIterations, tolerance: tolerance, ridge: ridge, optimizer: optimizer,
                        weights: WeightRequest(rule: WeightRule(rawValue: weights) ?? .balanced,
                                               energy: energyWeight, force: forceWeight, stress: stressWeight))
        o.geodesicAcceleration = geodesicAcceleration
        return o
    }
}
