import Atomistic
import MTP

/// The loss users of `mlp train` know:
///
///     L = (1/K) sum_k [ w_E (E - E_ref)^2 / N_k + sum_i w_F,i |F_i - F_i,ref|^2
///                       + w_S ||W - W_ref||_F^2 / N_k ]
///
/// with per-configuration weights from the data multiplying each term.
/// That is MLIP's default `--weighting=vibrations`; `weighting` selects its
/// other normalisations by the atom count N_k (`Weighting`).
/// The engine works with residuals r such that L = sum r^2, so that
/// Gauss-Newton sees the problem's structure.
public struct LossSettings: Codable, Equatable, Sendable {
    public var energyWeight = 1.0
    public var forceWeight = 0.01
    public var stressWeight = 0.001
    /// Force scaling: w_F,i = w_F * eps / (|F_i,ref|^2 + eps); nil = off.
    public var forceScalingEpsilon: Double? = nil
    /// How configurations of different sizes weigh against each other.
    public var weighting = Weighting.vibrations

    /// MLIP's `--weighting`: the powers of the atom count N that divide
    /// each configuration's squared errors.
    ///
    /// | weighting | energy | forces (per atom) | virial |
    /// |---|---|---|---|
    /// | `vibrations` (MLIP's default) | 1/N | 1 | 1/N |
    /// | `molecules` | 1 | 1 | 1 |
    /// | `structures` | 1/N^2 | 1/N | 1/N^2 |
    ///
    /// `vibrations` suits sets of one material in different sizes (energy
    /// errors of thermal vibrations grow like sqrt(N)); `molecules` counts
    /// each configuration's total energy error fully; `structures` weighs
    /// every configuration alike whatever its size (errors per atom).
    public enum Weighting: String, Codable, Sendable, CaseIterable {
        case vibrations, molecules, structures

        /// The divisors (energy, force, virial) for a configuration of
        /// normalisation count `n`.
        public func divisors(atoms n: Double) -> (energy: Double, force: Double, virial: Double) {
            switch self {
            case .vibrations: return (n, 1, n)
            case .molecules: return (1, 1, 1)
            case .structures: return (n * n, n, n * n)
            }
        }
    }

    public init(energyWeight: Double = 1, forceWeight: Double = 0.01, stressWeight: Double = 0.001,
                forceScalingEpsilon: Double? = nil, weighting: Weighting = .vibrations) {
        self.energyWeight = energyWeight
        self.forceWeight = forceWeight
        self.stressWeight = stressWeight
        self.forceScalingEpsilon = forceScalingEpsilon
        self.weighting = weighting
    }

    // `weighting` is written only when it is not the default, and may be
    // absent, so that checkpoints and summaries of default fits stay as
    // they were.
    enum CodingKeys: String, CodingKey { case energyWeight, forceWeight, stressWeight, forceScalingEpsilon, weighting }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        energyWeight = try c.decode(Double.self, forKey: .energyWeight)
        forceWeight = try c.decode(Double.self, forKey: .forceWeight)
        stressWeight = try c.decode(Double.self, forKey: .stressWeight)
        forceScalingEpsilon = try c.decodeIfPresent(Double.self, forKey: .forceScalingEpsilon)
        weighting = try c.decodeIfPresent(Weighting.self, forKey: .weighting) ?? .vibrations
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(energyWeight, forKey: .energyWeight)
        try c.encode(forceWeight, forKey: .forceWeight)
        try c.encode(stressWeight, forKey: .stressWeight)
        try c.encodeIfPresent(forceScalingEpsilon, forKey: .forceScalingEpsilon)
        if weighting != .vibrations { try c.encode(weighting, forKey: .weighting) }
    }
}

/// Which residual rows a configuration has and their scales. Rows come in a
/// fixed order: energy, forces (atom by atom, x y z), virial (xx yy zz yz
/// xz xy; off-diagonal rows carry sqrt(2) because ||W||_F counts them twice).
struct ResidualRows {
    var energyScale: Double?
    var forceScales: [Double]?      // per atom
    var virialScales: [Double]?     // six
    var count: Int {
        (energyScale == nil ? 0 : 1) + 3 * (forceScales?.count ?? 0) + (virialScales?.count ?? 0)
    }

    init(_ c: Configuration, settings s: LossSettings, totalConfigurations k: Int) {
        let kk = Double(k)
        let per = s.weighting.divisors(atoms: c.normalisationCount)
        if c.energy != nil, s.energyWeight > 0, c.energyWeight > 0 {
            energyScale = (s.energyWeight * c.energyWeight / (per.energy * kk)).squareRoot()
        }
        if let f = c.forces, s.forceWeight > 0, c.forceWeight > 0 {
            forceScales = f.map { fi in
                var w = s.forceWeight * c.forceWeight / (per.force * kk)
                if let eps = s.forceScalingEpsilon { w *= eps / (dot(fi, fi) + eps) }
                return w.squareRoot()
            }
        }
        if c.virial != nil, s.stressWeight > 0, c.virialWeight > 0 {
            let d = (s.stressWeight * c.virialWeight / (per.virial * kk)).squareRoot()
            virialScales = [d, d, d, d * 2.squareRoot(), d * 2.squareRoot(), d * 2.squareRoot()]
        }
    }

    /// The residuals (model - reference), scaled.
    func residuals(model e: EFS, reference c: Configuration) -> [Double] {
        var r: [Double] = []
        r.reserveCapacity(count)
        if let s = energyScale { r.append(s * (e.energy - c.energy!)) }
        if let fs = forceScales {
            let ref = c.forces!
            for (a, s) in fs.enumerated() {
                for x in 0..<3 { r.append(s * (e.forces[a][x] - ref[a][x])) }
            }
        }
        if let vs = virialScales {
            let m = e.virial.voigt, ref = c.virial!.voigt
            for v in 0..<6 { r.append(vs[v] * (m[v] - ref[v])) }
        }
        return r
    }

    /// Calls `body(row, residual)` for every scaled Jacobian row with its
    /// residual, in the order of `residuals`.
    func forEachRow(model e: EFS, derivatives d: EFSDerivatives, reference c: Configuration,
                    _ body: (UnsafeBufferPointer<Double>, Double) throws -> Void) rethrows {
        let p = d.parameterCount
        var row = [Double](repeating: 0, count: p)
        func emit(_ scale: Double, _ source: [Double], _ offset: Int, _ residual: Double,
                  _ body: (UnsafeBufferPointer<Double>, Double) throws -> Void) rethrows {
            for x in 0..<p { row[x] = scale * source[offset + x] }
            try row.withUnsafeBufferPointer { try body($0, scale * residual) }
        }
        if let s = energyScale { try emit(s, d.energy, 0, e.energy - c.energy!, body) }
        if let fs = forceScales {
            let ref = c.forces!
            for (a, s) in fs.enumerated() {
                for x in 0..<3 { try emit(s, d.forces, (3 * a + x) * p, e.forces[a][x] - ref[a][x], body) }
            }
        }
        if let vs = virialScales {
            let m = e.virial.voigt, ref = c.virial!.voigt
            for v in 0..<6 { try emit(vs[v], d.virial, v * p, m[v] - ref[v], body) }
        }
    }
}
