import Foundation
import Atomistic

/// Unit conversions. Calculators work in eV, A and amu; reports print the
/// units users compare (meV/atom, GPa, THz, meV/A^2).
public enum Units {
    /// 1 eV/A^3 in GPa.
    public static let gigapascalPerEVPerCubicAngstrom = 160.21766208
    /// sqrt(eV / (A^2 amu)) in THz (cycles, not radians).
    public static let terahertzPerRootEVPerSquareAngstromAmu = 15.633302
    /// One time unit of (eV, A, amu) dynamics, A * sqrt(amu / eV), in fs.
    public static let femtosecondsPerTimeUnit = 10.180506
    /// Boltzmann's constant in eV/K.
    public static let boltzmann = 8.617333262e-5
}

/// One number (or curve) a property yields for one calculator. Every
/// property reduces to a list of these so that the report compares any
/// calculator with the reference the same way, whatever the property.
public struct Quantity: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// A single value; the error is potential - reference.
        case value
        /// Values on a grid shared by both calculators; the error is the RMSE
        /// of the pointwise difference (the value column stays empty).
        case curve
        /// 1 passed / 0 failed (stability); the error says FAIL when the
        /// potential fails where the reference passed.
        case flag
    }
    public var name: String
    public var unit: String
    public var kind: Kind
    public var values: [Double]
    /// Why a value is missing or what a flag means (a blow-up, a failed relaxation).
    public var note: String?

    public init(_ name: String, unit: String, kind: Kind = .value, values: [Double], note: String? = nil) {
        self.name = name; self.unit = unit; self.kind = kind; self.values = values; self.note = note
    }
    public static func value(_ name: String, _ unit: String, _ v: Double, note: String? = nil) -> Quantity {
        Quantity(name, unit: unit, kind: .value, values: [v], note: note)
    }
    public static func curve(_ name: String, _ unit: String, _ v: [Double]) -> Quantity {
        Quantity(name, unit: unit, kind: .curve, values: v)
    }
    public static func flag(_ name: String, _ passed: Bool, note: String?) -> Quantity {
        Quantity(name, unit: "", kind: .flag, values: [passed ? 1 : 0], note: note)
    }
}

/// How a potential's curve differs from the reference's on a shared grid:
/// the RMSE, the RMSE without the mean difference (energy curves of two
/// calculators may differ by a constant, the choice of energy zero, that no
/// property depends on), and the point that carries the largest share of
/// the squared error (one extrapolated point can make a curve's RMSE
/// meaningless, as a -80 % volume point with neighbours below min_dist did).
struct CurveErrors {
    var rmse: Double
    var offsetFreeRMSE: Double
    /// Index of the worst point and its share of the sum of squared errors.
    var worst: Int
    var worstShare: Double
    var count: Int

    /// Nil when the grids differ or a point is not finite on either curve.
    init?(_ a: [Double], _ b: [Double]) {
        guard a.count == b.count, !a.isEmpty, zip(a, b).allSatisfy({ $0.isFinite && $1.isFinite }) else { return nil }
        let d = zip(a, b).map { $0 - $1 }
        let n = Double(d.count)
        let mean = d.reduce(0, +) / n
        let squares = d.map { $0 * $0 }
        let total = squares.reduce(0, +)
        rmse = (total / n).squareRoot()
        offsetFreeRMSE = (d.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        worst = squares.indices.max { squares[$0] < squares[$1] }!
        worstShare = total > 0 ? squares[worst] / total : 0
        count = d.count
    }

    /// A warning when one point of at least four carries more than half of
    /// the squared error; nil otherwise.
    func dominanceWarning(unit: String) -> String? {
        guard count >= 4, worstShare > 0.5 else { return nil }
        return String(format: "one point (%d of %d) carries %.0f%% of the squared error", worst + 1, count, 100 * worstShare)
    }
}

/// Standard atomic weights (amu) of the elements potentials are usually
/// fitted for; phonons and dynamics need the mass of the validated element.
public enum Elements {
    static let masses: [String: Double] = [
        "H": 1.008, "He": 4.0026, "Li": 6.94, "Be": 9.0122, "B": 10.81, "C": 12.011, "N": 14.007,
        "O": 15.999, "F": 18.998, "Ne": 20.180, "Na": 22.990, "Mg": 24.305, "Al": 26.982,
        "Si": 28.085, "P": 30.974, "S": 32.06, "Cl": 35.45, "Ar": 39.948, "K": 39.098,
        "Ca": 40.078, "Sc": 44.956, "Ti": 47.867, "V": 50.942, "Cr": 51.996, "Mn": 54.938,
        "Fe": 55.845, "Co": 58.933, "Ni": 58.693, "Cu": 63.546, "Zn": 65.38, "Ga": 69.723,
        "Ge": 72.630, "As": 74.922, "Se": 78.971, "Kr": 83.798, "Rb": 85.468, "Sr": 87.62,
        "Y": 88.906, "Zr": 91.224, "Nb": 92.906, "Mo": 95.95, "Ru": 101.07, "Rh": 102.91,
        "Pd": 106.42, "Ag": 107.87, "Cd": 112.41, "In": 114.82, "Sn": 118.71, "Sb": 121.76,
        "Te": 127.60, "Cs": 132.91, "Ba": 137.33, "La": 138.91, "Ce": 140.12, "Nd": 144.24,
        "Gd": 157.25, "Hf": 178.49, "Ta": 180.95, "W": 183.84, "Re": 186.21, "Os": 190.23,
        "Ir": 192.22, "Pt": 195.08, "Au": 196.97, "Hg": 200.59, "Tl": 204.38, "Pb": 207.2,
        "Bi": 208.98, "Th": 232.04, "U": 238.03,
    ]

    /// The atomic mass of `symbol` (amu), nil for an unknown symbol.
    public static func mass(of symbol: String) -> Double? { masses[symbol] }
}

/// Failures of one property for one calculator. They are reported in the
/// property's rows instead of stopping the validation: a poor potential that
/// cannot relax a vacancy still gets its other rows.
public struct PropertyFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Formats a Double for data files (NaN as gnuplot reads it).
func num(_ x: Double) -> String { x.isFinite ? String(format: "%.10g", x) : "NaN" }

/// Minimum distance between any two atoms (with periodic images) up to
/// `limit`; `limit` when no pair is closer.
func minimumDistance(_ config: Configuration, limit: Double) throws -> Double {
    let nl = try NeighborList(config, cutoff: limit)
    return nl.distance.min() ?? limit
}

/// Seconds since `start` on a monotonic clock.
func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock().now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// The inverse of a 3x3 matrix given by rows.
func inverse(_ m: [Vec3]) -> [Vec3] {
    let det = determinant(m)
    let c0 = cross(m[1], m[2]), c1 = cross(m[2], m[0]), c2 = cross(m[0], m[1])
    // inverse = (columns c0 c1 c2) / det
    return [Vec3(c0.x, c1.x, c2.x) / det, Vec3(c0.y, c1.y, c2.y) / det, Vec3(c0.z, c1.z, c2.z) / det]
}

/// Reciprocal lattice vectors b_i with a_i . b_j = 2 pi delta_ij.
func reciprocal(_ cell: [Vec3]) -> [Vec3] {
    let v = determinant(cell)
    return [cross(cell[1], cell[2]), cross(cell[2], cell[0]), cross(cell[0], cell[1])].map { 2 * Double.pi * $0 / v }
}
