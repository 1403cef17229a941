/// A 3-vector of doubles; positions, forces and cell rows use it.
public typealias Vec3 = SIMD3<Double>

/// An atomic configuration as plain data: geometry plus optional reference
/// labels. Calculators and file formats live elsewhere and only read or
/// produce values of this type.
public struct Configuration: Equatable, Sendable {
    /// Lattice vectors as rows (A). Rows of non-periodic axes may be zero.
    public var cell: [Vec3]
    /// Periodicity per lattice axis.
    public var pbc: Periodicity
    /// 0-based species index per atom (MLIP's `type`).
    public var species: [Int]
    /// Cartesian positions (A).
    public var positions: [Vec3]

    /// Total energy (eV), if labelled.
    public var energy: Double?
    /// Forces (eV/A), if labelled.
    public var forces: [Vec3]?
    /// MLIP's virial W = -sigma * V (eV), Voigt order xx yy zz yz xz xy.
    public var virial: Virial?
    /// Per-configuration weights of the loss terms (1 when absent).
    public var energyWeight: Double = 1
    public var forceWeight: Double = 1
    public var virialWeight: Double = 1
    /// Free-form group label (e.g. RANDSPG, VOLMIN).
    public var group: String?
    /// MLIP `Feature key value` lines, kept in order.
    public var features: [Feature] = []
    /// Per-atom columns that are not geometry, species or forces (e.g.
    /// MLIP's `nbh_grades`), kept so that writers can pass them through.
    public var atomProperties: [AtomProperty] = []

    public init(cell: [Vec3] = [.zero, .zero, .zero], pbc: Periodicity = .none,
                species: [Int], positions: [Vec3]) {
        precondition(cell.count == 3, "cell has three rows")
        self.cell = cell
        self.pbc = pbc
        self.species = species
        self.positions = positions
    }

    public var atomCount: Int { positions.count }
    public var isPeriodic: Bool { pbc.x || pbc.y || pbc.z }

    /// Cell volume (A^3); meaningful only when all three axes are periodic.
    public var volume: Double { abs(determinant(cell)) }

    /// The energy and virial per-atom normalisation count, never zero.
    public var normalisationCount: Double { Double(max(atomCount, 1)) }
}

/// Periodicity per lattice axis.
public struct Periodicity: Equatable, Hashable, Sendable {
    public var x: Bool, y: Bool, z: Bool
    public init(_ x: Bool, _ y: Bool, _ z: Bool) { self.x = x; self.y = y; self.z = z }
    public static let none = Periodicity(false, false, false)
    public static let all = Periodicity(true, true, true)
    public subscript(axis: Int) -> Bool {
        get { axis == 0 ? x : (axis == 1 ? y : z) }
        set { if axis == 0 { x = newValue } else if axis == 1 { y = newValue } else { z = newValue } }
    }
}

public struct Feature: Equatable, Sendable {
    public var key: String
    public var value: String
    public init(key: String, value: String) { self.key = key; self.value = value }
}

public struct AtomProperty: Equatable, Sendable {
    public var name: String
    public var values: [Double]
    public init(name: String, values: [Double]) { self.name = name; self.values = values }
}

/// A symmetric 3x3 tensor in Voigt order xx yy zz yz xz xy, the order of
/// MLIP's `PlusStress` line.
public struct Virial: Equatable, Sendable {
    public var xx, yy, zz, yz, xz, xy: Double
    public init(xx: Double, yy: Double, zz: Double, yz: Double, xz: Double, xy: Double) {
        self.xx = xx; self.yy = yy; self.zz = zz; self.yz = yz; self.xz = xz; self.xy = xy
    }
    public init(voigt v: [Double]) {
        precondition(v.count == 6)
        self.init(xx: v[0], yy: v[1], zz: v[2], yz: v[3], xz: v[4], xy: v[5])
    }
    public var voigt: [Double] { [xx, yy, zz, yz, xz, xy] }
    public static let zero = Virial(xx: 0, yy: 0, zz: 0, yz: 0, xz: 0, xy: 0)

    /// From a full (possibly slightly asymmetric) 3x3 matrix, symmetrised.
    public init(matrix m: [[Double]]) {
        self.init(xx: m[0][0], yy: m[1][1], zz: m[2][2],
                  yz: 0.5 * (m[1][2] + m[2][1]), xz: 0.5 * (m[0][2] + m[2][0]),
                  xy: 0.5 * (m[0][1] + m[1][0]))
    }
    public var matrix: [[Double]] { [[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]] }

    /// Scaled copy.
    public static func * (s: Double, v: Virial) -> Virial {
        Virial(xx: s * v.xx, yy: s * v.yy, zz: s * v.zz, yz: s * v.yz, xz: s * v.xz, xy: s * v.xy)
    }
}

/// Determinant of a 3x3 matrix given by rows.
@inlinable public func determinant(_ m: [Vec3]) -> Double {
    dot(m[0], cross(m[1], m[2]))
}

@inlinable public func dot(_ a: Vec3, _ b: Vec3) -> Double { (a * b).sum() }
@inlinable public func cross(_ a: Vec3, _ b: Vec3) -> Vec3 {
    Vec3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
@inlinable public func norm(_ a: Vec3) -> Double { dot(a, a).squareRoot() }
