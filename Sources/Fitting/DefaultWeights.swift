import Foundation
import Atomistic
import Parallel

/// How a fit's loss weights are chosen when the user gives none: the one
/// place that knows the rules (`mtp train --weights`, `mtp sweep
/// --weights`, `TrainingOptions.weights`). Weights given explicitly
/// (`--energy-weight` etc.) always win over the rule.
public enum WeightRule: String, Codable, Sendable, CaseIterable {
    /// From the labels' statistics (`DefaultWeights.balanced`): the energy
    /// weight grows with how much the energies vary beyond what the forces
    /// say; MLIP's weights where that premise fails. The default.
    case balanced
    /// MLIP's defaults (energy 1, force 0.01, stress 0.001) whatever the data.
    case mlip

    public var summary: String {
        switch self {
        case .balanced: return "energy weight from the labels' variances (docs/training.md, \"Default loss weights\"), MLIP's weights where their premise fails"
        case .mlip: return "MLIP's weights (energy 1, force 0.01, stress 0.001)"
        }
    }
}

/// What the user asked for: a rule and any weights given explicitly.
public struct WeightRequest: Codable, Equatable, Sendable {
    public var rule: WeightRule
    public var energy: Double?
    public var force: Double?
    public var stress: Double?
    public init(rule: WeightRule = .balanced, energy: Double? = nil, force: Double? = nil, stress: Double? = nil) {
        self.rule = rule; self.energy = energy; self.force = force; self.stress = stress
    }
    /// The names of the weights given explicitly.
    public var explicit: [String] {
        [("energy", energy), ("force", force), ("stress", stress)].compactMap { $0.1 == nil ? nil : $0.0 }
    }
}

/// The label statistics the balanced rule reads, over the whole training
/// set (every rank's shard), unweighted: configurations whose energy
/// (force) weight in the data is zero are left out.
public struct LabelStatistics: Codable, Equatable, Sendable {
    /// Configurations with an energy, and the mean and (population)
    /// variance of their energy per atom (eV/atom, eV^2/atom^2).
    public var energies: Int
    public var energyPerAtomMean: Double
    public var energyPerAtomVariance: Double
    /// Force components, and their mean square ((eV/A)^2).
    public var forceComponents: Int
    public var meanSquaredForce: Double

    public init(energies: Int, energyPerAtomMean: Double, energyPerAtomVariance: Double,
                forceComponents: Int, meanSquaredForce: Double) {
        self.energies = energies; self.energyPerAtomMean = energyPerAtomMean
        self.energyPerAtomVariance = energyPerAtomVariance
        self.forceComponents = forceComponents; self.meanSquaredForce = meanSquaredForce
    }

    /// rho = <F^2> / var(E/N) (A^-2): how large the forces are against the
    /// spread of the energies per atom. Nil without both.
    public var forceToEnergyRatio: Double? {
        guard energies >= 2, forceComponents > 0, energyPerAtomVariance > 0, meanSquaredForce > 0 else { return nil }
        let rho = meanSquaredForce / energyPerAtomVariance
        return rho.isFinite ? rho : nil
    }

    /// The statistics of the given configurations (this rank's shard; the
    /// other ranks call it with theirs, collectively). The sums run over a
    /// fixed tree over configuration index in double-double
    /// (`FixedOrderSum`), and the variance is taken about the mean in a
    /// second pass, so the result is the same, bit for bit, under any
    /// number of ranks.
    public static func of(_ configs: [Configuration], communicator comm: Communicator) throws -> LabelStatistics {
        let layout = BlockLayout(localCount: configs.count, blockSize: 1, communicator: comm)
        func perAtom(_ c: Configuration) -> Double? {
            guard let e = c.energy, c.energyWeight > 0 else { return nil }
            return e / c.normalisationCount
        }
        var first = [Double](repeating: 0, count: 4 * configs.count)
        for (k, c) in configs.enumerated() {
            if let e = perAtom(c) { first[4 * k] = 1; first[4 * k + 1] = e }
            if let f = c.forces, c.forceWeight > 0 {
                first[4 * k + 2] = Double(3 * f.count)
                var s = 0.0
                for fi in f { s += dot(fi, fi) }
                first[4 * k + 3] = s
            }
        }
        let t = try FixedOrderSum.sum(first, width: 4, layout: layout, communicator: comm)
        let mean = t[0] > 0 ? t[1] / t[0] : 0
        let second = configs.map { c -> Double in perAtom(c).map { ($0 - mean) * ($0 - mean) } ?? 0 }
        let v = try FixedOrderSum.sum(second, width: 1, layout: layout, communicator: comm)
        return LabelStatistics(energies: Int(t[0]), energyPerAtomMean: mean,
                               energyPerAtomVariance: t[0] > 0 ? v[0] / t[0] : 0,
                               forceComponents: Int(t[2]), meanSquaredForce: t[2] > 0 ? t[3] / t[2] : 0)
    }
}

/// The weights a fit runs with, how they were chosen, and the statistics
/// behind them: printed at the start of `mtp train`, kept in its summary
/// JSON and in every sweep record.
public struct ChosenWeights: Codable, Equatable, Sendable {
    /// The rule (nil: every weight set by a library caller, no rule).
    public var rule: WeightRule?
    public var energy: Double
    public var force: Double
    public var stress: Double
    /// The weights given explicitly (they override the rule).
    public var explicit: [String]
    /// The label statistics (nil under `mlip`, which reads none).
    public var statistics: LabelStatistics?
    /// Why the rule chose what it chose, in a few words.
    public var reason: String

    /// The line `mtp train` prints.
    public var line: String {
        let w = String(format: "loss weights: energy %.6g, force %.6g, stress %.6g", energy, force, stress)
        return w + " (\(rule?.rawValue ?? "given"): \(reason)" + (explicit.isEmpty ? "" : "; given: \(explicit.joined(separator: ", "))") + ")"
    }
}

/// The rules, and the choice of a fit's weights from a request and the data.
///
/// Why the balanced rule is what it is (measurements in docs/training.md,
/// "Default loss weights"): MLIP's weights (1, 0.01, 0.001) say that an
/// energy error of 1 meV/atom costs as much as a force error of 10 meV/A on
/// every atom (w_E / w_F = 100 A^-2). Fitting codes that normalise each term by the
/// variance of its labels (w_E ~ 1/var(E/N), w_F ~ 1/<F^2>) make that
/// ratio rho = <F^2>/var(E/N) instead. The balanced rule keeps MLIP's
/// force and stress weights and scales the energy weight by rho:
///
///     w_E = w_E,MLIP * rho * 1 A^2,   w_F = w_F,MLIP,   w_S = w_S,MLIP,
///
/// that is, MLIP's weights are the variance-normalised ones of a set whose
/// energy spread per atom (eV) equals its RMS force component (eV/A) times
/// 1 A. On the mlearn DFT sets (surfaces, vacancies, strained cells and
/// AIMD snapshots of one element) rho is 8-26 A^-2, and MLIP's weights
/// leave the energies behind qSNAP's while the forces beat it.
///
/// The premise is that the energies per atom vary because the structures
/// differ (volumes, surfaces, defects), which the forces do not tell: the
/// forces vanish at every relaxed structure. Where the energies vary only
/// as much as the thermal vibrations of one structure make them, the
/// energies are (up to a constant) the integral of the forces, and weighing
/// them up adds no information but pulls the fit off the forces: for
/// harmonic vibrations of amplitude s per component in cells of N atoms,
/// var(E/N) = 1.5 k^2 s^4 / N and <F^2> = k^2 s^2, so rho = N / (1.5 s^2),
/// above 100 A^-2 for any cell of two or more atoms at s <= 0.1 A. The
/// rule therefore applies for 1 <= rho <= 100 A^-2 (an energy weight 1-100
/// times MLIP's) and falls back to MLIP's weights outside: rho > 100 (a
/// vibrational set such as the EMT Cu set, rho = 6656, where an energy
/// weight of 100 measured clearly worse than MLIP's), rho < 1 (energies
/// already weigh more than MLIP's weights make them), or no statistics
/// (fewer than two energies, no forces, all energies per atom equal).
public enum DefaultWeights {
    /// MLIP's default weights.
    public static let mlipEnergy = 1.0, mlipForce = 0.01, mlipStress = 0.001
    /// The range of rho (A^-2) over which the balanced rule applies.
    public static let applicableRatio: ClosedRange<Double> = 1...100

    /// The energy weight the balanced rule gives for these statistics, and
    /// why; MLIP's where its premise fails.
    public static func balancedEnergyWeight(_ s: LabelStatistics) -> (weight: Double, reason: String) {
        guard let rho = s.forceToEnergyRatio else {
            let why = s.energies < 2 ? "fewer than two energies" : s.forceComponents == 0 || s.meanSquaredForce == 0 ? "no forces"
                : "the energies per atom do not vary"
            return (mlipEnergy, "\(why): MLIP's weights")
        }
        let r = String(format: "<F^2>/var(E/N) = %.4g A^-2", rho)
        if rho > applicableRatio.upperBound {
            return (mlipEnergy, r + " > \(Int(applicableRatio.upperBound)): energies spread no more than vibrations make them, MLIP's weights")
        }
        if rho < applicableRatio.lowerBound {
            return (mlipEnergy, r + " < \(Int(applicableRatio.lowerBound)): MLIP's weights")
        }
        return (mlipEnergy * rho, r + ", energy weight MLIP's x \(String(format: "%.4g", rho))")
    }

    /// The weights of a fit: explicit ones as given, the others by the rule.
    /// The statistics are read only when the rule needs them.
    public static func choose(_ request: WeightRequest, statistics: () throws -> LabelStatistics) rethrows -> ChosenWeights {
        var energy = mlipEnergy, reason = "MLIP's weights"
        var stats: LabelStatistics? = nil
        if request.rule == .balanced && request.energy == nil {
            let s = try statistics()
            stats = s
            (energy, reason) = balancedEnergyWeight(s)
        } else if request.rule == .balanced {
            reason = "energy weight given"
        }
        return ChosenWeights(rule: request.rule, energy: request.energy ?? energy, force: request.force ?? mlipForce,
                             stress: request.stress ?? mlipStress, explicit: request.explicit,
                             statistics: stats, reason: reason)
    }

    /// The weights of a fit on `configs` (this rank's shard; collective).
    public static func choose(_ request: WeightRequest, configurations configs: [Configuration],
                              communicator comm: Communicator) throws -> ChosenWeights {
        try choose(request) { try LabelStatistics.of(configs, communicator: comm) }
    }
}

extension ChosenWeights {
    /// The weights of `loss` as a library caller set them (no rule).
    public static func given(_ loss: LossSettings) -> ChosenWeights {
        ChosenWeights(rule: nil, energy: loss.energyWeight, force: loss.forceWeight, stress: loss.stressWeight,
                      explicit: ["energy", "force", "stress"], statistics: nil, reason: "set by the caller")
    }
}
