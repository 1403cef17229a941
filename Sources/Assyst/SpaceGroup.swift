import Foundation
import Atomistic
import CSpglib

/// The seven crystal systems, by space-group number ranges of the
/// International Tables.
public enum CrystalSystem: String, CaseIterable, Sendable, Comparable {
    case triclinic, monoclinic, orthorhombic, tetragonal, trigonal, hexagonal, cubic

    public init(spaceGroup n: Int) {
        precondition((1...230).contains(n), "space group \(n) outside 1...230")
        switch n {
        case 1...2: self = .triclinic
        case 3...15: self = .monoclinic
        case 16...74: self = .orthorhombic
        case 75...142: self = .tetragonal
        case 143...167: self = .trigonal
        case 168...194: self = .hexagonal
        default: self = .cubic
        }
    }

    public static func < (a: CrystalSystem, b: CrystalSystem) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// An affine map x -> R x + t on fractional coordinates of the conventional cell.
public struct SymmetryOperation: Sendable, Equatable {
    /// Row-major integer rotation.
    public var rotation: [Int]
    public var translation: Vec3

    @inline(__always) public func apply(_ x: Vec3) -> Vec3 {
        let r = rotation
        return Vec3(Double(r[0]) * x.x + Double(r[1]) * x.y + Double(r[2]) * x.z,
                    Double(r[3]) * x.x + Double(r[4]) * x.y + Double(r[5]) * x.z,
                    Double(r[6]) * x.x + Double(r[7]) * x.y + Double(r[8]) * x.z) + translation
    }

    var isPureTranslation: Bool { rotation == [1, 0, 0, 0, 1, 0, 0, 0, 1] }
}

/// An affine subspace of fractional space (a point, line, plane or all of
/// space), stored canonically: the point closest to the origin, an
/// orthonormal basis of its directions and of their complement.
struct AffineSubspace: Sendable {
    var point: Vec3
    var basis: [Vec3]
    var normals: [Vec3]
    var dimension: Int { basis.count }

    static let space = AffineSubspace(point: .zero, basis: [Vec3(1, 0, 0), Vec3(0, 1, 0), Vec3(0, 0, 1)], normals: [])

    /// Solutions of rows . x = rhs, or nil when inconsistent.
    static func solving(_ rows: [Vec3], _ rhs: [Double]) -> AffineSubspace? {
        var m = rows.map { [$0.x, $0.y, $0.z] }
        var b = rhs
        var pivots: [Int] = []
        var r = 0
        for col in 0..<3 where r < m.count {
            var best = r
            for i in r..<m.count where abs(m[i][col]) > abs(m[best][col]) { best = i }
            guard abs(m[best][col]) > 1e-9 else { continue }
            m.swapAt(r, best); b.swapAt(r, best)
            let p = m[r][col]
            for c in 0..<3 { m[r][c] /= p }
            b[r] /= p
            for i in 0..<m.count where i != r && m[i][col] != 0 {
                let f = m[i][col]
                for c in 0..<3 { m[i][c] -= f * m[r][c] }
                b[i] -= f * b[r]
            }
            pivots.append(col)
            r += 1
        }
        for i in r..<m.count where abs(b[i]) > 1e-7 { return nil }
        var x = [0.0, 0.0, 0.0]
        for (k, col) in pivots.enumerated() { x[col] = b[k] }
        var directions: [Vec3] = []
        for free in 0..<3 where !pivots.contains(free) {
            var v = [0.0, 0.0, 0.0]
            v[free] = 1
            for (k, col) in pivots.enumerated() { v[col] = -m[k][free] }
            directions.append(Vec3(v[0], v[1], v[2]))
        }
        return AffineSubspace(through: Vec3(x[0], x[1], x[2]), directions: directions)
    }

    init(point: Vec3, basis: [Vec3], normals: [Vec3]) {
        self.point = point; self.basis = basis; self.normals = normals
    }

    init(through p: Vec3, directions: [Vec3]) {
        var basis: [Vec3] = []
        for d in directions {
            var v = d
            for b in basis { v -= dot(v, b) * b }
            let n = norm(v)
            if n > 1e-9 { basis.append(v / n) }
        }
        var normals: [Vec3] = []
        for e in [Vec3(1, 0, 0), Vec3(0, 1, 0), Vec3(0, 0, 1)] where normals.count < 3 - basis.count {
            var v = e
            for b in basis + normals { v -= dot(v, b) * b }
            let n = norm(v)
            if n > 1e-6 { normals.append(v / n) }
        }
        var q = p
        for b in basis { q -= dot(q, b) * b }
        self.init(point: q, basis: basis, normals: normals)
    }

    func intersection(_ other: AffineSubspace) -> AffineSubspace? {
        let rows = normals + other.normals
        guard !rows.isEmpty else { return self }
        return AffineSubspace.solving(rows, normals.map { dot($0, point) } + other.normals.map { dot($0, other.point) })
    }

    /// Whether the subspace meets the closed unit cube (with a margin).
    func meetsUnitCube() -> Bool {
        let eps = 1e-6
        switch dimension {
        case 0:
            return (0..<3).allSatisfy { point[$0] > -eps && point[$0] < 1 + eps }
        case 1:
            let d = basis[0]
            var lo = -Double.infinity, hi = Double.infinity
            for i in 0..<3 {
                if abs(d[i]) < 1e-12 {
                    if point[i] < -eps || point[i] > 1 + eps { return false }
                } else {
                    let a = (-eps - point[i]) / d[i], b = (1 + eps - point[i]) / d[i]
                    lo = max(lo, min(a, b)); hi = min(hi, max(a, b))
                }
            }
            return lo <= hi
        case 2:
            let n = normals[0], c = dot(n, point)
            var lo = Double.infinity, hi = -Double.infinity
            for corner in 0..<8 {
                let v = dot(n, Vec3(Double(corner & 1), Double((corner >> 1) & 1), Double((corner >> 2) & 1)))
                lo = min(lo, v); hi = max(hi, v)
            }
            return c >= lo - eps && c <= hi + eps
        default:
            return true
        }
    }

    /// A key equal for equal subspaces (points taken modulo the lattice).
    var key: [Int64] {
        func q(_ x: Double) -> Int64 { Int64((x * 1e6).rounded()) }
        var p = point
        if dimension == 0 { p = wrapUnit(p) }
        var k: [Int64] = [Int64(dimension), q(p.x), q(p.y), q(p.z)]
        // The span, by its direction (lines) or normal (planes), sign fixed.
        let span: Vec3? = dimension == 1 ? basis[0] : (dimension == 2 ? normals[0] : nil)
        if var s = span {
            if let first = [s.x, s.y, s.z].first(where: { abs($0) > 1e-9 }), first < 0 { s = -s }
            k += [q(s.x), q(s.y), q(s.z)]
        }
        return k
    }

    /// A point of the subspace in general position within it.
    var genericPoint: Vec3 {
        let c = [0.3141592653, 0.2718281828, 0.1414213562]
        var p = point
        for (i, b) in basis.enumerated() { p += c[i] * b }
        return p
    }

    /// Whether `x` lies on the subspace or on one of its lattice translates.
    func containsModuloLattice(_ x: Vec3, tolerance: Double = 1e-6) -> Bool {
        switch dimension {
        case 3: return true
        case 0: return norm(periodicDifference(x, point)) < tolerance
        default:
            let base = normals.map { dot($0, x - point) }
            for i in -3...3 { for j in -3...3 { for k in -3...3 {
                let m = Vec3(Double(i), Double(j), Double(k))
                if zip(normals, base).allSatisfy({ abs($1 + dot($0, m)) < tolerance }) { return true }
            } } }
            return false
        }
    }

    /// A random point of the subspace. The coefficient range spans more
    /// than one lattice period along any rational direction of the cell,
    /// so after wrapping every part of the position can be reached.
    func randomPoint(_ rng: inout AssystRandom) -> Vec3 {
        var p = point
        for b in basis { p += rng.uniform(-1.8, 1.8) * b }
        return wrapUnit(p)
    }
}

/// A Wyckoff position: the set of points whose site-symmetry group is
/// (conjugate to) one fixed subgroup, given by one representative subspace.
public struct WyckoffPosition: Sendable {
    /// Atoms per conventional cell for one occupied orbit.
    public var multiplicity: Int
    /// Free parameters (0: fixed point, 1: line, 2: plane, 3: general).
    public var dimension: Int { subspace.dimension }
    var subspace: AffineSubspace
}

/// A space group in its standard setting (spglib's first Hall number of the
/// type), with its operations in the conventional cell and its Wyckoff
/// positions derived from them.
public struct SpaceGroup: Sendable {
    public var number: Int
    public var hallNumber: Int
    /// Short international symbol, e.g. "P6_3/mmc".
    public var symbol: String
    public var crystalSystem: CrystalSystem
    /// Operations of the conventional cell, centring translations included.
    public var operations: [SymmetryOperation]
    /// Wyckoff positions, most special first, the general position last.
    public var wyckoffPositions: [WyckoffPosition]

    /// Lattice-centring letter of the conventional cell (P, A, B, C, I, F, R).
    public var centring: Character { symbol.first ?? "P" }
    /// Lattice points per conventional cell.
    public var centringCount: Int { operations.filter(\.isPureTranslation).count }

    /// Loads the standard setting of space group `number` (1...230) from
    /// spglib's database and derives its Wyckoff positions.
    public init(number: Int) {
        precondition((1...230).contains(number), "space group \(number) outside 1...230")
        let hall = SpaceGroup.standardHallNumbers[number - 1]
        self.number = number
        self.hallNumber = hall
        self.crystalSystem = CrystalSystem(spaceGroup: number)
        var buffer = [CChar](repeating: 0, count: 12)
        _ = Spglib.locked { mtp_spg_type(Int32(hall), &buffer) }
        self.symbol = String(cString: buffer).trimmingCharacters(in: .whitespaces)
        var rotations = [Int32](repeating: 0, count: 192 * 9)
        var translations = [Double](repeating: 0, count: 192 * 3)
        let count = Int(Spglib.locked { mtp_spg_operations(&rotations, &translations, Int32(hall)) })
        precondition(count > 0, "spglib has no operations for Hall number \(hall)")
        self.operations = (0..<count).map { k in
            SymmetryOperation(rotation: (0..<9).map { Int(rotations[9 * k + $0]) },
                              translation: Vec3(translations[3 * k], translations[3 * k + 1], translations[3 * k + 2]))
        }
        self.wyckoffPositions = []
        self.wyckoffPositions = deriveWyckoffPositions()
    }

    /// The orbit of `x` under the group, wrapped into the conventional cell,
    /// coinciding images merged.
    public func orbit(of x: Vec3, tolerance: Double = 1e-5) -> [Vec3] {
        var points: [Vec3] = []
        points.reserveCapacity(operations.count)
        for op in operations {
            let y = wrapUnit(op.apply(x))
            if !points.contains(where: { norm(periodicDifference($0, y)) < tolerance }) { points.append(y) }
        }
        return points
    }

    /// Wyckoff positions as fixed-point sets of site-symmetry groups: every
    /// operation (with every lattice translation that can make it fix a
    /// point of the unit cube) fixes an affine subspace; intersections of
    /// these are the fixed sets of larger site-symmetry groups. Distinct
    /// subspaces that one group operation maps onto each other (modulo the
    /// lattice) are one Wyckoff position; the multiplicity is the orbit size
    /// of a generic point of the subspace.
    private func deriveWyckoffPositions() -> [WyckoffPosition] {
        var seen = Set<[Int64]>()
        var all: [AffineSubspace] = []
        func add(_ s: AffineSubspace) -> Bool {
            guard s.dimension < 3, s.meetsUnitCube(), seen.insert(s.key).inserted else { return false }
            all.append(s)
            return true
        }
        for op in operations where !op.isPureTranslation {
            let r = op.rotation
            let rows = [Vec3(Double(r[0] - 1), Double(r[1]), Double(r[2])),
                        Vec3(Double(r[3]), Double(r[4] - 1), Double(r[5])),
                        Vec3(Double(r[6]), Double(r[7]), Double(r[8] - 1))]
            for i in -2...2 { for j in -2...2 { for k in -2...2 {
                let shift = op.translation + Vec3(Double(i), Double(j), Double(k))
                if let s = AffineSubspace.solving(rows, [-shift.x, -shift.y, -shift.z]) { _ = add(s) }
            } } }
        }
        var frontier = all
        while !frontier.isEmpty {
            var next: [AffineSubspace] = []
            let candidates = all.filter { $0.dimension > 0 }
            for s in frontier where s.dimension > 0 {
                for t in candidates {
                    guard let i = s.intersection(t), i.dimension < s.dimension else { continue }
                    let before = all.count
                    if add(i) { next.append(all[before]) }
                }
            }
            frontier = next
        }
        all.append(.space)

        var classes: [WyckoffPosition] = []
        var orbits: [[Vec3]] = []
        for s in all {
            let orbit = self.orbit(of: s.genericPoint)
            let equivalent = classes.indices.contains { c in
                classes[c].dimension == s.dimension && classes[c].multiplicity == orbit.count
                    && orbit.contains { classes[c].subspace.containsModuloLattice($0) }
            }
            if !equivalent {
                classes.append(WyckoffPosition(multiplicity: orbit.count, subspace: s))
                orbits.append(orbit)
            }
        }
        return classes.sorted {
            ($0.multiplicity, $0.dimension, $0.subspace.key) < ($1.multiplicity, $1.dimension, $1.subspace.key)
        }
    }

    /// Hall numbers of the standard settings, index = space-group number - 1.
    static let standardHallNumbers: [Int] = {
        var first = [Int](repeating: 0, count: 230)
        var buffer = [CChar](repeating: 0, count: 12)
        for hall in 1...530 {
            let n = Int(Spglib.locked { mtp_spg_type(Int32(hall), &buffer) })
            if (1...230).contains(n) && first[n - 1] == 0 { first[n - 1] = hall }
        }
        return first
    }()
}

/// Lexicographic order of key arrays, for a deterministic Wyckoff order.
private func < (a: [Int64], b: [Int64]) -> Bool { a.lexicographicallyPrecedes(b) }
private func < (a: (Int, Int, [Int64]), b: (Int, Int, [Int64])) -> Bool {
    if a.0 != b.0 { return a.0 < b.0 }
    if a.1 != b.1 { return a.1 < b.1 }
    return a.2 < b.2
}

/// spglib keeps its error state in a global, so calls are serialised.
public enum Spglib {
    private static let lock = NSLock()

    static func locked<T>(_ body: () -> T) -> T {
        lock.lock(); defer { lock.unlock() }
        return body()
    }

    /// The space-group number spglib finds for `config` (nil when it fails).
    public static func spaceGroupNumber(of config: Configuration, symprec: Double = 1e-3) -> Int? {
        let fractional = config.fractionalPositions().flatMap { [$0.x, $0.y, $0.z] }
        let cell = config.cell.flatMap { [$0.x, $0.y, $0.z] }
        let types = config.species.map { Int32($0) }
        let n = locked { mtp_spg_number(cell, fractional, types, Int32(config.atomCount), symprec) }
        return n > 0 ? Int(n) : nil
    }

    /// The primitive cell of `config` in its own orientation (positions
    /// within spglib's tolerance, not symmetrised), unlabelled, features
    /// kept; nil when spglib fails.
    public static func primitive(of config: Configuration, symprec: Double = 1e-3) -> Configuration? {
        let n = config.atomCount
        guard n > 0 else { return nil }
        var fractional = config.fractionalPositions().flatMap { [$0.x, $0.y, $0.z] } + Array(repeating: 0, count: 9 * n)
        var cell = config.cell.flatMap { [$0.x, $0.y, $0.z] }
        var types = config.species.map { Int32($0) } + Array(repeating: 0, count: 3 * n)
        let m = Int(locked { mtp_spg_primitive(&cell, &fractional, &types, Int32(n), symprec) })
        guard m > 0, m <= n else { return nil }
        let rows = [Vec3(cell[0], cell[1], cell[2]), Vec3(cell[3], cell[4], cell[5]), Vec3(cell[6], cell[7], cell[8])]
        guard abs(determinant(rows)) > 1e-9 else { return nil }
        let lattice = Mat3(rows)
        let positions = (0..<m).map { rowTimes(Vec3(fractional[3 * $0], fractional[3 * $0 + 1], fractional[3 * $0 + 2]), lattice) }
        var c = Configuration(cell: rows, pbc: config.pbc, species: types.prefix(m).map { Int($0) }, positions: positions)
        c.group = config.group
        c.features = config.features
        return c
    }

    /// The number of symmetry operations of `config` modulo the lattice of
    /// its cell (a supercell's pure translations counted); nil when spglib
    /// fails. A crystal built with a group of k operations per primitive cell
    /// has a multiple of k, whichever supergroup it happens to have.
    public static func operationCount(of config: Configuration, symprec: Double = 1e-3) -> Int? {
        let fractional = config.fractionalPositions().flatMap { [$0.x, $0.y, $0.z] }
        let cell = config.cell.flatMap { [$0.x, $0.y, $0.z] }
        let types = config.species.map { Int32($0) }
        let n = locked { mtp_spg_operation_count(cell, fractional, types, Int32(config.atomCount), symprec) }
        return n > 0 ? Int(n) : nil
    }
}
