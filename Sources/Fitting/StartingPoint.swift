import Atomistic
import MTP
import Parallel
import TrainingStore

/// How a fit's starting potential is prepared from the user's file: MLIP's
/// `--init-params` and `--update-mindist`.
public enum StartingPoint {
    /// MLIP's `--init-params`: how the radial coefficients of a potential
    /// that has none (an untrained template) start. A potential that has
    /// them starts from them whatever the choice, as in MLIP.
    public enum Radial: String, CaseIterable, Sendable {
        /// Every species pair starts different: the identical start of
        /// `same` plus independent uniform noise of +-`randomAmplitude`
        /// per coefficient (seeded, so a fit is reproducible). MLIP's default.
        case random
        /// Every species pair starts with the same radial functions
        /// (`Potential.defaultRadialCoeffs`), so that all interactions are
        /// alike at the start; `mtp train`'s default start.
        case same
    }

    /// Amplitude of the `random` start's noise: a tenth of the leading
    /// coefficient of each radial function in the identical start.
    public static let randomAmplitude = 1e-4

    /// `start` with its radial coefficients initialised as `radial` says,
    /// if it has none; unchanged otherwise.
    public static func initialised(_ start: Potential, radial: Radial, seed: UInt64 = 0x4d54_5f69_6e69_74) -> Potential {
        guard start.radialCoeffs == nil else { return start }
        var p = start
        var c = Potential.defaultRadialCoeffs(speciesCount: p.speciesCount, radialFuncsCount: p.radialFuncsCount,
                                              radialBasisSize: p.radialBasisSize)
        if radial == .random {
            var rng = SplitMix64(seed: seed)
            for i in c.indices { c[i] += rng.uniform(-randomAmplitude, randomAmplitude) }
        }
        p.radialCoeffs = c
        return p
    }

    /// MLIP's `--update-mindist`: `start` with `min_dist` set to the
    /// shortest interatomic distance of the training set (all ranks'
    /// shards). Throws, on every rank alike, when the set has no two atoms
    /// within `max_dist` or its shortest distance is not below `max_dist`.
    public static func updatingMinDist(_ start: Potential, data: DataShard, dataPath: String,
                                       communicator comm: Communicator) throws -> Potential {
        let shortest = try shortestDistance(data: data, dataPath: dataPath, below: start.maxDist, communicator: comm)
        guard shortest.isFinite else {
            throw InputError(file: dataPath, "--update-mindist: no two atoms of the training set lie closer than max_dist (\(start.maxDist) A)")
        }
        var p = start
        p.minDist = shortest
        return p
    }

    /// The shortest interatomic distance of the whole data set (every rank's
    /// shard), or infinity when no two atoms lie closer than `limit`. Below
    /// a potential's min_dist its radial basis is evaluated outside the
    /// interval it was built on (Chebyshev polynomials grow fast there), so
    /// `mtp train` reports this distance beside min_dist.
    public static func shortestDistance(data: DataShard, dataPath: String, below limit: Double,
                                        communicator comm: Communicator) throws -> Double {
        let local = try Collective.together(comm) { () -> Double in
            do {
                return try data.configurations.minimalDistance(limit: limit) ?? .infinity
            } catch {
                throw InputError(file: dataPath, "shortest interatomic distance: \(error)")
            }
        }
        let shortest = -comm.allReduceMax(-local)
        return shortest < limit ? shortest : .infinity
    }
}
