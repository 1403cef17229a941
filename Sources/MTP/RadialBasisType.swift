/// The radial basis of a potential: MLIP's `radial_basis_type`.
///
/// Both are Chebyshev polynomials times (R_cut - r)^2 on [min_dist, R_cut];
/// they differ only for pairs closer than min_dist, where the training data
/// usually has nothing to say:
///
/// - `RBChebyshev` (MLIP's default) extends the polynomials below min_dist.
///   T_k grows like cosh(k acosh|t|) there, so a level-24 potential's energy
///   can rise by 10^5 meV/atom for a compression the data never showed.
/// - `RBChebyshev_repuls` (MLIP 2 and 3, and LAMMPS's MTP pair style) holds
///   every basis function at its value at min_dist and sets its
///   r-derivative to zero for r <= min_dist: a bounded (continuous, not
///   differentiable at min_dist) continuation. The energy stays within what
///   the potential gives at min_dist; the price is that the radial part
///   exerts no force on pairs inside min_dist, so min_dist should stay at or
///   below the shortest distance in the data (`mtp train --update-mindist`).
///
/// The file keyword is the raw value, so a potential moves between this
/// engine, MLIP and LAMMPS with either basis.
public enum RadialBasisType: String, Sendable, CaseIterable, Codable {
    case chebyshev = "RBChebyshev"
    case chebyshevRepulsive = "RBChebyshev_repuls"

    /// True when distances below min_dist are evaluated at min_dist.
    public var clampsBelowMinDist: Bool { self == .chebyshevRepulsive }

    /// The keywords a file or a command line may name.
    public static var keywords: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
