import Atomistic

/// A trained potential carried over into a larger basis: the start of a
/// higher-level fit from a lower level's result.
///
/// Why. A level-24 Levenberg-Marquardt iteration costs about ten level-16
/// ones, and most of a fit's first iterations only find what a lower level
/// already knows (the radial functions, the species energies, the low-order
/// basis functions). Every basis function of level L is a contraction of at
/// most four moment tensors of level at most L, so a level-L' < L basis is
/// a subset of the level-L one as functions, whatever contraction tree
/// computes them. The grown potential keeps the source's radial functions
/// (radial functions the source lacks start at MLIP's initial values), its
/// species coefficients and, for every source basis function, its
/// coefficient on the same function of the larger basis (zero on the
/// rest), so it predicts exactly what the source predicts.
///
/// How the functions are matched. Not by the `alpha_*` tables (two bases
/// may compute one function through different intermediates, and MLIP's
/// templates are not generated as ours are) but by value: both bases are
/// evaluated on the same random clusters, with the same radial functions,
/// and a source function matches a function of the larger basis when
/// their values over every probe atom are proportional (to 1e-8). Random
/// clusters tell distinct invariant polynomials apart; the grown potential
/// is then checked against the source on fresh clusters (energies and
/// forces to 1e-8 of their size) before it is returned.
public enum PotentialGrowth {
    public enum GrowthError: Error, CustomStringConvertible, Equatable {
        case untrainedSource
        case mismatch(String, source: String, target: String)
        case fewerRadialFunctions(source: Int, target: Int)
        case unmatched(count: Int, first: [Int])
        case notReproduced(String)

        public var description: String {
            switch self {
            case .untrainedSource:
                return "the potential to grow has no trained coefficients (radial, species and moment coefficients are all needed)"
            case let .mismatch(what, source, target):
                return "\(what) differs: \(source) in the trained potential, \(target) in the larger basis (they must agree)"
            case let .fewerRadialFunctions(source, target):
                return "the larger basis has \(target) radial functions, fewer than the trained potential's \(source)"
            case let .unmatched(count, first):
                let list = first.map(String.init).joined(separator: ", ")
                return "\(count) basis function(s) of the trained potential with non-zero coefficients have no counterpart in the larger basis (first: \(list)); is it really a larger level?"
            case let .notReproduced(what):
                return "the grown potential does not reproduce the trained one: \(what)"
            }
        }
    }

    /// Number of probe clusters whose atoms' basis values are compared, and
    /// atoms per cluster: 48 site values per function.
    static let probeClusters = 6
    static let probeAtoms = 8
    /// Relative tolerance of "proportional" and of the final check.
    static let tolerance = 1e-8

    /// `source` carried into the basis of `target`. `target` supplies only
    /// its basis (and radial function count); its coefficients, if any, are
    /// ignored. Throws unless the radial basis (species count, min_dist,
    /// max_dist, size and type) is the same and every source basis
    /// function with a non-zero coefficient is found in `target`'s basis.
    public static func grow(_ source: Potential, into target: Potential) throws -> Potential {
        guard let srcRadial = source.radialCoeffs, let srcSpecies = source.speciesCoeffs,
              let srcXi = source.momentCoeffs else { throw GrowthError.untrainedSource }
        func same<T: Equatable>(_ what: String, _ a: T, _ b: T) throws {
            guard a == b else { throw GrowthError.mismatch(what, source: "\(a)", target: "\(b)") }
        }
        try same("species count", source.speciesCount, target.speciesCount)
        try same("min_dist", source.minDist, target.minDist)
        try same("max_dist", source.maxDist, target.maxDist)
        try same("radial_basis_size", source.radialBasisSize, target.radialBasisSize)
        try same("radial_basis_type", source.radialBasisType.rawValue, target.radialBasisType.rawValue)
        let ks = source.radialFuncsCount, kt = target.radialFuncsCount
        guard kt >= ks else { throw GrowthError.fewerRadialFunctions(source: ks, target: kt) }

        var grown = target
        grown.scaling = source.scaling
        let s = source.speciesCount, r = source.radialBasisSize
        var radial = Potential.defaultRadialCoeffs(speciesCount: s, radialFuncsCount: kt, radialBasisSize: r)
        for pair in 0..<(s * s) {
            for mu in 0..<ks {
                for q in 0..<r { radial[(pair * kt + mu) * r + q] = srcRadial[(pair * ks + mu) * r + q] }
            }
        }
        grown.radialCoeffs = radial
        grown.speciesCoeffs = srcSpecies
        grown.momentCoeffs = [Double](repeating: 0, count: target.basis.scalarCount)

        var rng = SplitMix64(seed: 0x6772_6f77)
        let probes = (0..<probeClusters).map { _ in cluster(source, rng: &rng) }
        let u = try basisValues(source, probes)
        let v = try basisValues(grown, probes)
        let na = source.basis.scalarCount, nb = target.basis.scalarCount, n = probes.count * probeAtoms

        var xi = grown.momentCoeffs!
        var unmatched: [Int] = []
        for a in 0..<na where srcXi[a] != 0 {
            let ua = u[(a * n)..<((a + 1) * n)]
            guard let (b, ratio) = match(ua, v, n: n, among: 0..<nb) else { unmatched.append(a); continue }
            xi[b] += srcXi[a] / ratio
        }
        guard unmatched.isEmpty else { throw GrowthError.unmatched(count: unmatched.count, first: Array(unmatched.prefix(8))) }
        grown.momentCoeffs = xi
        try check(grown, against: source, rng: &rng)
        return grown
    }

    /// `source` carried into the level-`level` basis of `mtp basis` with
    /// `source`'s radial basis (and `radialFuncsCount` radial functions,
    /// default MLIP's for the level).
    public static func grow(_ source: Potential, toLevel level: Int, radialFuncsCount: Int? = nil) throws -> Potential {
        let target = try Potential.untrained(level: level, speciesCount: source.speciesCount, minDist: source.minDist,
                                             maxDist: source.maxDist, radialBasisSize: source.radialBasisSize,
                                             radialFuncsCount: radialFuncsCount, radialBasisType: source.radialBasisType)
        return try grow(source, into: target)
    }

    /// The target function whose values are proportional to `ua`, and the
    /// factor (target = factor * source), or nil.
    static func match(_ ua: ArraySlice<Double>, _ v: [Double], n: Int, among candidates: Range<Int>) -> (Int, Double)? {
        let uu = ua.reduce(0) { $0 + $1 * $1 }
        guard uu > 0 else { return nil }
        for b in candidates {
            let base = b * n
            var uv = 0.0, vv = 0.0
            for (i, x) in ua.enumerated() { uv += x * v[base + i]; vv += v[base + i] * v[base + i] }
            guard vv > 0, uv != 0 else { continue }
            let ratio = uv / uu
            var res = 0.0
            for (i, x) in ua.enumerated() { let d = v[base + i] - ratio * x; res += d * d }
            if res <= tolerance * tolerance * vv { return (b, ratio) }
        }
        return nil
    }

    /// Values of every basis function at every atom of `probes`, function-major:
    /// out[a * atoms + atom].
    static func basisValues(_ pot: Potential, _ probes: [Configuration]) throws -> [Double] {
        let eval = try Evaluator(pot)
        let na = pot.basis.scalarCount, P = pot.parameterCount
        let offset = pot.radialCoeffCount + pot.speciesCount
        let n = probes.reduce(0) { $0 + $1.atomCount }
        var out = [Double](repeating: 0, count: na * n)
        var atom = 0
        for config in probes {
            let rows = try eval.siteEnergyGradients(config, neighbors: NeighborList(config, cutoff: pot.maxDist))
            for i in 0..<config.atomCount {
                for a in 0..<na { out[a * n + atom] = rows[i * P + offset + a] }
                atom += 1
            }
        }
        return out
    }

    /// A random cluster of `probeAtoms` atoms within max_dist of each other
    /// and no two closer than min_dist (inside the radial basis' interval),
    /// of random species.
    static func cluster(_ pot: Potential, rng: inout SplitMix64) -> Configuration {
        let radius = 0.45 * pot.maxDist
        let closest = max(pot.minDist, 0.05 * pot.maxDist) * 1.02
        var positions: [Vec3] = []
        while positions.count < probeAtoms {
            let p = Vec3(rng.uniform(-radius, radius), rng.uniform(-radius, radius), rng.uniform(-radius, radius))
            guard (p * p).sum() <= radius * radius else { continue }
            guard positions.allSatisfy({ let d = $0 - p; return (d * d).sum() >= closest * closest }) else { continue }
            positions.append(p)
        }
        let species = (0..<probeAtoms).map { _ in Int(rng.next() % UInt64(pot.speciesCount)) }
        return Configuration(species: species, positions: positions)
    }

    /// Throws unless `grown` gives `source`'s energy and forces on
    /// fresh clusters.
    static func check(_ grown: Potential, against source: Potential, rng: inout SplitMix64) throws {
        let a = try Evaluator(source), b = try Evaluator(grown)
        for _ in 0..<2 {
            let config = cluster(source, rng: &rng)
            let nl = try NeighborList(config, cutoff: source.maxDist)
            let ea = try a.evaluate(config, neighbors: nl), eb = try b.evaluate(config, neighbors: nl)
            let scale = 1 + ea.siteEnergies.reduce(0) { $0 + abs($1) }
            guard abs(ea.energy - eb.energy) <= tolerance * scale else {
                throw GrowthError.notReproduced("energy \(eb.energy) eV against \(ea.energy) eV on a probe cluster")
            }
            func size(_ f: Vec3) -> Double { max(abs(f.x), abs(f.y), abs(f.z)) }
            let fmax = 1 + ea.forces.reduce(0) { max($0, size($1)) }
            for (fa, fb) in zip(ea.forces, eb.forces) where size(fa - fb) > tolerance * fmax {
                throw GrowthError.notReproduced("force \(fb) eV/A against \(fa) eV/A on a probe cluster")
            }
        }
    }
}
