/// A Moment Tensor Potential as plain data, the content of an `.mtp` file.
///
/// Parameters (in the order `parameters` flattens them, also the order of
/// every parameter derivative): radial coefficients
/// c[(zi*S + zj)*K*R + mu*R + k], then species coefficients c0[z], then
/// moment coefficients xi[a].
public struct Potential: Equatable, Sendable {
    public var name: String = "MTP1m"
    public var tag: String = ""
    /// Multiplier of every radial function (`scaling`, default 1).
    public var scaling: Double = 1
    public var speciesCount: Int
    public var minDist: Double
    public var maxDist: Double
    /// How the radial basis continues below `minDist` (`radial_basis_type`).
    public var radialBasisType: RadialBasisType = .chebyshev
    public var radialBasisSize: Int
    public var basis: MomentBasis
    /// S*S*K*R radial coefficients; nil for an untrained template.
    public var radialCoeffs: [Double]?
    /// S species coefficients; nil for an untrained template.
    public var speciesCoeffs: [Double]?
    /// A moment coefficients; nil for an untrained template.
    public var momentCoeffs: [Double]?

    public init(speciesCount: Int, minDist: Double, maxDist: Double, radialBasisSize: Int,
                basis: MomentBasis) {
        self.speciesCount = speciesCount
        self.minDist = minDist
        self.maxDist = maxDist
        self.radialBasisSize = radialBasisSize
        self.basis = basis
    }

    public var radialFuncsCount: Int { basis.radialFuncsCount }
    public var radialCoeffCount: Int { speciesCount * speciesCount * radialFuncsCount * radialBasisSize }
    public var parameterCount: Int { radialCoeffCount + speciesCount + basis.scalarCount }
    /// Every coefficient present: the potential can be evaluated.
    public var isTrained: Bool { radialCoeffs != nil && speciesCoeffs != nil && momentCoeffs != nil }

    /// MLIP's own initial radial coefficients: 1e-6 everywhere except
    /// entry [mu][min(mu, R-1)] = 1e-3 of every pair block, which makes the
    /// K radial functions start out distinct.
    public static func defaultRadialCoeffs(speciesCount s: Int, radialFuncsCount k: Int,
                                           radialBasisSize r: Int) -> [Double] {
        var c = [Double](repeating: 1e-6, count: s * s * k * r)
        for pair in 0..<(s * s) {
            for mu in 0..<k { c[pair * k * r + mu * r + min(mu, r - 1)] = 1e-3 }
        }
        return c
    }

    /// All parameters flattened: radial, species, moment.
    public var parameters: [Double] {
        get { (radialCoeffs ?? []) + (speciesCoeffs ?? []) + (momentCoeffs ?? []) }
        set {
            precondition(newValue.count == parameterCount, "parameter vector has the wrong length")
            let r = radialCoeffCount
            radialCoeffs = Array(newValue[0..<r])
            speciesCoeffs = Array(newValue[r..<(r + speciesCount)])
            momentCoeffs = Array(newValue[(r + speciesCount)...])
        }
    }
}
