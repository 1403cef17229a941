import Atomistic
import MTP

/// Which rows a configuration contributes to the active-learning matrix, and
/// their weights (MLIP's `--energy-weight`, `--force-weight`,
/// `--stress-weight`, `--nbh-weight`). A row is a derivative of a predicted
/// quantity with respect to every parameter; the weights only matter when
/// several kinds are mixed, since they decide which kind wins a MaxVol swap.
public struct RowSettings: Equatable, Hashable, Sendable, Codable {
    /// One row per configuration: dE/dtheta / N (MLIP's configuration mode).
    public var energyWeight: Double
    /// 3N rows: dF_(atom, component)/dtheta.
    public var forceWeight: Double
    /// Six rows: dW_v/dtheta / N (virial per atom), periodic configurations only.
    public var stressWeight: Double
    /// N rows: dV_i/dtheta (MLIP's neighbourhood mode, per-atom grades).
    public var nbhWeight: Double

    public init(energyWeight: Double = 1, forceWeight: Double = 0, stressWeight: Double = 0, nbhWeight: Double = 0) {
        self.energyWeight = energyWeight
        self.forceWeight = forceWeight
        self.stressWeight = stressWeight
        self.nbhWeight = nbhWeight
    }

    /// Configuration mode: MLIP's default.
    public static let configuration = RowSettings()
    /// Neighbourhood mode: one row per atom.
    public static let neighbourhood = RowSettings(energyWeight: 0, nbhWeight: 1)

    public var isValid: Bool {
        let w = [energyWeight, forceWeight, stressWeight, nbhWeight]
        return w.allSatisfy { $0 >= 0 && $0.isFinite } && w.contains { $0 > 0 }
    }

    /// Number of rows of a configuration.
    public func rowCount(atoms n: Int, periodic: Bool) -> Int {
        (energyWeight > 0 ? 1 : 0) + (forceWeight > 0 ? 3 * n : 0)
            + (stressWeight > 0 && periodic ? 6 : 0) + (nbhWeight > 0 ? n : 0)
    }

    var needsDerivatives: Bool { forceWeight > 0 || stressWeight > 0 }

    var summary: String {
        "energy \(energyWeight), force \(forceWeight), stress \(stressWeight), nbh \(nbhWeight)"
    }
}

/// What a row is: which quantity of which configuration.
public struct RowLabel: Equatable, Hashable, Sendable {
    public enum Kind: Int, Sendable { case energy = 0, force = 1, stress = 2, neighbourhood = 3 }
    public var configuration: Int
    public var kind: Kind
    /// Atom (force, neighbourhood rows) or -1.
    public var atom: Int
    /// Cartesian component (force) or Voigt index (stress), else -1.
    public var component: Int

    public init(configuration: Int, kind: Kind, atom: Int = -1, component: Int = -1) {
        self.configuration = configuration; self.kind = kind; self.atom = atom; self.component = component
    }

    var text: String {
        switch kind {
        case .energy: return "configuration \(configuration + 1) energy"
        case .force: return "configuration \(configuration + 1) force atom \(atom + 1) \(["x", "y", "z"][component])"
        case .stress: return "configuration \(configuration + 1) stress \(["xx", "yy", "zz", "yz", "xz", "xy"][component])"
        case .neighbourhood: return "configuration \(configuration + 1) atom \(atom + 1)"
        }
    }
}

/// Computes the rows of one configuration, reusing buffers between calls.
/// Not thread-safe: one per thread.
final class RowMaker {
    let evaluator: Evaluator
    let settings: RowSettings
    let workspace = EvaluationWorkspace()
    var site: [Double] = []

    init(evaluator: Evaluator, settings: RowSettings) {
        self.evaluator = evaluator
        self.settings = settings
    }

    /// Appends the rows of `config` (each `parameterCount` long) to `rows`
    /// and their labels to `labels`; returns how many were added.
    @discardableResult
    func append(_ config: Configuration, index: Int, to rows: inout [Double], labels: inout [RowLabel]?) throws -> Int {
        let P = evaluator.parameterCount
        let n = config.atomCount
        let nl = try NeighborList(config, cutoff: evaluator.cutoff)
        let inv = 1 / config.normalisationCount
        let before = rows.count
        if settings.needsDerivatives {
            let (_, d) = try evaluator.derivatives(config, neighbors: nl)
            if settings.energyWeight > 0 {
                let w = settings.energyWeight * inv
                rows.append(contentsOf: d.energy.lazy.map { $0 * w })
                labels?.append(RowLabel(configuration: index, kind: .energy))
            }
            if settings.forceWeight > 0 {
                let w = settings.forceWeight
                rows.append(contentsOf: d.forces.lazy.map { $0 * w })
                for a in 0..<n { for c in 0..<3 { labels?.append(RowLabel(configuration: index, kind: .force, atom: a, component: c)) } }
            }
            if settings.stressWeight > 0 && config.isPeriodic {
                let w = settings.stressWeight * inv
                rows.append(contentsOf: d.virial.lazy.map { $0 * w })
                for v in 0..<6 { labels?.append(RowLabel(configuration: index, kind: .stress, component: v)) }
            }
        } else if settings.energyWeight > 0 {
            let start = rows.count
            rows.append(contentsOf: repeatElement(0, count: P))
            _ = try rows.withUnsafeMutableBufferPointer { buf in
                try evaluator.evaluate(config, neighbors: nl, energyGradient: buf.baseAddress! + start, workspace: workspace)
            }
            let w = settings.energyWeight * inv
            for p in start..<(start + P) { rows[p] *= w }
            labels?.append(RowLabel(configuration: index, kind: .energy))
        }
        if settings.nbhWeight > 0 {
            let start = rows.count
            rows.append(contentsOf: repeatElement(0, count: n * P))
            try rows.withUnsafeMutableBufferPointer { buf in
                try evaluator.siteEnergyGradients(config, neighbors: nl, into: buf.baseAddress! + start, workspace: workspace)
            }
            if settings.nbhWeight != 1 {
                let w = settings.nbhWeight
                for p in start..<rows.count { rows[p] *= w }
            }
            for a in 0..<n { labels?.append(RowLabel(configuration: index, kind: .neighbourhood, atom: a)) }
        }
        return (rows.count - before) / P
    }
}
