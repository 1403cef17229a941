import Atomistic

/// 3x3 matrices as rows, enough for cells, their inverses and deformation
/// gradients; the rest of the engine uses `[Vec3]` rows as well.
struct Mat3: Equatable, Sendable {
    var rows: (Vec3, Vec3, Vec3)
    init(_ r0: Vec3, _ r1: Vec3, _ r2: Vec3) { rows = (r0, r1, r2) }
    init(_ r: [Vec3]) { precondition(r.count == 3); rows = (r[0], r[1], r[2]) }
    static let identity = Mat3(Vec3(1, 0, 0), Vec3(0, 1, 0), Vec3(0, 0, 1))
    static func == (a: Mat3, b: Mat3) -> Bool { a.array == b.array }

    var array: [Vec3] { [rows.0, rows.1, rows.2] }
    subscript(i: Int) -> Vec3 { i == 0 ? rows.0 : (i == 1 ? rows.1 : rows.2) }
    var determinant: Double { dot(rows.0, cross(rows.1, rows.2)) }
    var transposed: Mat3 {
        Mat3(Vec3(rows.0.x, rows.1.x, rows.2.x), Vec3(rows.0.y, rows.1.y, rows.2.y), Vec3(rows.0.z, rows.1.z, rows.2.z))
    }
    /// Inverse by cofactors; nil for a (numerically) singular matrix.
    var inverse: Mat3? {
        let d = determinant
        guard abs(d) > 1e-300, d.isFinite else { return nil }
        let c0 = cross(rows.1, rows.2), c1 = cross(rows.2, rows.0), c2 = cross(rows.0, rows.1)
        // Columns of the inverse are the cofactor rows divided by the determinant.
        return Mat3(c0 / d, c1 / d, c2 / d).transposed
    }
    /// M x (x as a column).
    func apply(_ x: Vec3) -> Vec3 { Vec3(dot(rows.0, x), dot(rows.1, x), dot(rows.2, x)) }
    static func * (a: Mat3, b: Mat3) -> Mat3 {
        let bt = b.transposed
        return Mat3(bt.apply(a.rows.0), bt.apply(a.rows.1), bt.apply(a.rows.2))
    }
}

/// Row vector times matrix: the Cartesian point of fractional coordinates
/// `f` in a cell given by rows.
@inline(__always) func rowTimes(_ f: Vec3, _ m: Mat3) -> Vec3 { f.x * m.rows.0 + f.y * m.rows.1 + f.z * m.rows.2 }

/// Coordinates wrapped into [0, 1), with values within rounding of 1 sent to 0
/// so that equal points get equal coordinates.
@inline(__always) func wrapUnit(_ f: Vec3) -> Vec3 {
    var g = f - Vec3(f.x.rounded(.down), f.y.rounded(.down), f.z.rounded(.down))
    if g.x > 1 - 1e-10 { g.x = 0 }
    if g.y > 1 - 1e-10 { g.y = 0 }
    if g.z > 1 - 1e-10 { g.z = 0 }
    return g
}

/// Difference reduced to the nearest lattice image, per component.
@inline(__always) func periodicDifference(_ a: Vec3, _ b: Vec3) -> Vec3 {
    let d = a - b
    return d - Vec3(d.x.rounded(), d.y.rounded(), d.z.rounded())
}

enum CellGeometry {
    /// Heights of the cell: distances between opposite faces.
    static func heights(_ cell: Mat3) -> Vec3 {
        let v = abs(cell.determinant)
        return Vec3(v / norm(cross(cell[1], cell[2])), v / norm(cross(cell[2], cell[0])), v / norm(cross(cell[0], cell[1])))
    }

    /// Longest cell vector over smallest height: 1-ish for compact cells, large
    /// for needles and plates. Scale invariant.
    static func aspectRatio(_ cell: Mat3) -> Double {
        let h = heights(cell)
        let longest = max(norm(cell[0]), norm(cell[1]), norm(cell[2]))
        return longest / min(h.x, h.y, h.z)
    }

    /// Lagrange-Gauss reduction: each vector shortened by integer multiples
    /// of the others until none gets shorter. The lattice is unchanged; the
    /// cell becomes compact, so aspect ratios measure the lattice rather than
    /// an unlucky choice of basis. Returns the reduced rows (right-handed) and
    /// the integer transformation (reduced = T * input).
    static func reduce(_ cell: Mat3) -> (cell: Mat3, transform: [[Int]]) {
        var v = cell.array
        var t = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
        for _ in 0..<100 {
            var changed = false
            for i in 0..<3 {
                for j in 0..<3 where i != j {
                    let q = (dot(v[i], v[j]) / dot(v[j], v[j])).rounded()
                    if q != 0 {
                        let k = Int(q)
                        let candidate = v[i] - q * v[j]
                        if dot(candidate, candidate) < dot(v[i], v[i]) * (1 - 1e-12) {
                            v[i] = candidate
                            for c in 0..<3 { t[i][c] -= k * t[j][c] }
                            changed = true
                        }
                    }
                }
            }
            // Also try sums and differences of all three (the last Minkowski condition).
            for i in 0..<3 {
                let j = (i + 1) % 3, k = (i + 2) % 3
                for (sj, sk) in [(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)] {
                    let candidate = v[i] + sj * v[j] + sk * v[k]
                    if dot(candidate, candidate) < dot(v[i], v[i]) * (1 - 1e-12) {
                        v[i] = candidate
                        for c in 0..<3 { t[i][c] += Int(sj) * t[j][c] + Int(sk) * t[k][c] }
                        changed = true
                    }
                }
            }
            if !changed { break }
        }
        if determinant(v) < 0 {
            v = v.map { -$0 }
            t = t.map { $0.map { -$0 } }
        }
        return (Mat3(v), t)
    }
}

extension Configuration {
    /// Fractional coordinates of every atom in this cell.
    func fractionalPositions() -> [Vec3] {
        guard let inv = Mat3(cell).inverse else { return positions.map { _ in .zero } }
        return positions.map { rowTimes($0, inv) }
    }

    /// Cell and positions mapped by the deformation gradient F (x' = F x):
    /// fractional coordinates are unchanged.
    func deformedCell(by f: Mat3) -> Configuration {
        var c = self
        c.cell = cell.map { f.apply($0) }
        c.positions = positions.map { f.apply($0) }
        c.energy = nil; c.forces = nil; c.virial = nil
        return c
    }

    /// The same crystal with atoms wrapped into the cell.
    func wrapped() -> Configuration {
        var c = self
        let m = Mat3(cell)
        c.positions = fractionalPositions().map { rowTimes(wrapUnit($0), m) }
        return c
    }
}

/// Minimum-distance test over all periodic images: true when some pair of
/// atoms (or an atom and its own image) is closer than `minDistance`.
///
/// The search runs in the reduced cell: a strongly sheared or flattened cell
/// would otherwise make the neighbour search visit millions of images.
public func violatesMinimumDistance(_ config: Configuration, _ minDistance: Double) -> Bool {
    guard config.pbc == .all else {
        guard let list = try? NeighborList(config, cutoff: minDistance) else { return true }
        return list.distance.contains { $0 < minDistance }
    }
    guard abs(determinant(config.cell)) > 1e-9 else { return true }
    let reduced = config.withReducedCell()
    if reduced.cell.contains(where: { norm($0) < minDistance }) { return true }
    guard let list = try? NeighborList(reduced, cutoff: minDistance) else { return true }
    return list.distance.contains { $0 < minDistance }
}

extension Configuration {
    /// The same crystal in its Lagrange-reduced cell, atoms wrapped into it.
    public func withReducedCell() -> Configuration {
        var c = self
        c.cell = CellGeometry.reduce(Mat3(cell)).cell.array
        return c.wrapped()
    }
}

/// The shortest interatomic distance over all periodic images, or nil when
/// none is shorter than `limit`.
public func shortestDistance(_ config: Configuration, upTo limit: Double) -> Double? {
    guard let list = try? NeighborList(config, cutoff: limit) else { return 0 }
    return list.distance.min()
}
