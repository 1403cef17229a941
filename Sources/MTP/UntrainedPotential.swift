/// Untrained potentials made from a level and a radial basis, shared by
/// `mtp basis` and `mtp sweep` so that a sweep's fit starts from exactly the
/// potential `mtp basis` would have written for the same settings.
extension Potential {
    public enum UntrainedError: Error, CustomStringConvertible {
        case tooFewRadialFunctions(level: Int, needed: Int)
        public var description: String {
            switch self {
            case let .tooFewRadialFunctions(level, needed):
                return "level \(level) needs at least \(needed) radial functions"
            }
        }
    }

    /// The level-`level` potential with the given radial basis. The radial
    /// coefficients are MLIP's initial values unless `radialCoeffs` is false
    /// (as in MLIP's shipped templates); species and moment coefficients are
    /// left for training. `radialFuncsCount` (default: MLIP's for the level)
    /// may only add radial functions.
    public static func untrained(level: Int, speciesCount: Int, minDist: Double, maxDist: Double,
                                 radialBasisSize: Int = 8, radialFuncsCount: Int? = nil,
                                 radialCoeffs: Bool = true,
                                 radialBasisType: RadialBasisType = .chebyshev) throws -> Potential {
        var basis = try BasisGenerator.basis(level: level)
        if let k = radialFuncsCount {
            guard k >= basis.radialFuncsCount else {
                throw UntrainedError.tooFewRadialFunctions(level: level, needed: basis.radialFuncsCount)
            }
            basis.radialFuncsCount = k
        }
        var pot = Potential(speciesCount: speciesCount, minDist: minDist, maxDist: maxDist,
                            radialBasisSize: radialBasisSize, basis: basis)
        pot.radialBasisType = radialBasisType
        if radialCoeffs {
            pot.radialCoeffs = Potential.defaultRadialCoeffs(
                speciesCount: speciesCount, radialFuncsCount: basis.radialFuncsCount, radialBasisSize: radialBasisSize)
        }
        return pot
    }
}
