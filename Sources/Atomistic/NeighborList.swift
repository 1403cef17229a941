/// Every neighbour of every atom within a cutoff, including all periodic
/// images (a 1-atom cell with an 8 A cutoff sees hundreds of images of
/// itself), in flat arrays.
///
/// The list is built by binning in fractional coordinates, so the cost is
/// linear in the atom count for large cells; small cells are handled by
/// explicit image atoms. Build it once at the largest cutoff a job needs and
/// derive lists for smaller cutoffs with `restricted(to:)`.
public struct NeighborList: Sendable {
    public let cutoff: Double
    public let atomCount: Int
    /// Pairs of atom i are offsets[i] ..< offsets[i+1].
    public private(set) var offsets: [Int]
    /// Index (into the configuration) of the neighbour atom.
    public private(set) var neighbor: [Int32]
    /// r_ij = r_j(image) - r_i, and its length.
    public private(set) var dx: [Double]
    public private(set) var dy: [Double]
    public private(set) var dz: [Double]
    public private(set) var distance: [Double]

    public var pairCount: Int { neighbor.count }

    /// Atoms closer than this are an error, not a neighbour pair.
    public static let overlapDistance = 1e-3

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case singularCell(String)
        case overlappingAtoms(i: Int, j: Int, distance: Double)
        case notFinite(atom: Int)
        public var description: String {
            switch self {
            case .singularCell(let why): return "singular cell: \(why)"
            case let .overlappingAtoms(i, j, d):
                return "atoms \(i + 1) and \(j + 1) overlap (distance \(d) A, including periodic images)"
            case .notFinite(let a): return "atom \(a + 1) has a non-finite position"
            }
        }
    }

    public init(_ config: Configuration, cutoff: Double) throws {
        precondition(cutoff > 0, "cutoff must be positive")
        self.cutoff = cutoff
        let n = config.atomCount
        atomCount = n
        offsets = [0]
        neighbor = []; dx = []; dy = []; dz = []; distance = []
        offsets.reserveCapacity(n + 1)
        if n == 0 { return }
        for (a, p) in config.positions.enumerated() where !(p.x.isFinite && p.y.isFinite && p.z.isFinite) {
            throw Failure.notFinite(atom: a)
        }

        let frame = try Self.frame(config)
        let inv = Self.inverse(frame)
        let det = abs(determinant(frame))
        // Distance between lattice planes along each axis: a cutoff sphere
        // spans at most cutoff/plane fractional units along that axis.
        var reach = [Double](repeating: 0, count: 3)
        for a in 0..<3 {
            let area = norm(cross(frame[(a + 1) % 3], frame[(a + 2) % 3]))
            reach[a] = cutoff * area / det
        }
        let periodic = [config.pbc.x, config.pbc.y, config.pbc.z]

        // Fractional coordinates, wrapped into [0, 1) along periodic axes.
        var frac = [Vec3](repeating: .zero, count: n)
        var wrapped = [Vec3](repeating: .zero, count: n)
        for i in 0..<n {
            let p = config.positions[i]
            var s = Vec3(dot(p, inv[0]), dot(p, inv[1]), dot(p, inv[2]))
            for a in 0..<3 where periodic[a] {
                s[a] -= s[a].rounded(.down)
                if s[a] >= 1 { s[a] = 0 }
            }
            frac[i] = s
            wrapped[i] = s.x * frame[0] + s.y * frame[1] + s.z * frame[2]
        }

        // Points to search: every atom and every image near the cell.
        var lo = Vec3.zero, hi = Vec3.zero
        var images = [[Int]](repeating: [0], count: 3)
        for a in 0..<3 {
            if periodic[a] {
                let m = Int(reach[a].rounded(.up))
                images[a] = Array(-m...m)
                lo[a] = -reach[a]; hi[a] = 1 + reach[a]
            } else {
                lo[a] = frac.map { $0[a] }.min()!
                hi[a] = frac.map { $0[a] }.max()!
            }
        }
        var pointAtom: [Int32] = []
        var pointFrac: [Vec3] = []
        var pointPos: [Vec3] = []
        for i in 0..<n {
            for n0 in images[0] {
                for n1 in images[1] {
                    for n2 in images[2] {
                        let s = frac[i] + Vec3(Double(n0), Double(n1), Double(n2))
                        if s.x < lo.x || s.x > hi.x || s.y < lo.y || s.y > hi.y || s.z < lo.z || s.z > hi.z { continue }
                        pointAtom.append(Int32(i))
                        pointFrac.append(s)
                        pointPos.append(wrapped[i] + Double(n0) * frame[0] + Double(n1) * frame[1] + Double(n2) * frame[2])
                    }
                }
            }
        }

        // Bins at least `reach` wide in each axis, so neighbours lie in the
        // 27 surrounding bins. Their number is capped near the point count.
        var bins = [Int](repeating: 1, count: 3)
        for a in 0..<3 { bins[a] = max(1, Int(((hi[a] - lo[a]) / reach[a]).rounded(.down))) }
        while bins[0] * bins[1] * bins[2] > 8 * pointAtom.count + 27 {
            for a in 0..<3 { bins[a] = max(1, bins[a] / 2) }
        }
        func binCoord(_ s: Vec3, _ a: Int) -> Int {
            let w = (hi[a] - lo[a]) / Double(bins[a])
            if w <= 0 { return 0 }
            return min(bins[a] - 1, max(0, Int(((s[a] - lo[a]) / w).rounded(.down))))
        }
        let binTotal = bins[0] * bins[1] * bins[2]
        var binStart = [Int](repeating: 0, count: binTotal + 1)
        var pointBin = [Int](repeating: 0, count: pointAtom.count)
        for p in 0..<pointAtom.count {
            let s = pointFrac[p]
            let b = (binCoord(s, 0) * bins[1] + binCoord(s, 1)) * bins[2] + binCoord(s, 2)
            pointBin[p] = b
            binStart[b + 1] += 1
        }
        for b in 0..<binTotal { binStart[b + 1] += binStart[b] }
        var fill = binStart
        var sorted = [Int](repeating: 0, count: pointAtom.count)
        for p in 0..<pointAtom.count {
            sorted[fill[pointBin[p]]] = p
            fill[pointBin[p]] += 1
        }

        let rc2 = cutoff * cutoff
        let overlap2 = Self.overlapDistance * Self.overlapDistance
        for i in 0..<n {
            let s = frac[i]
            let pi = wrapped[i]
            let c = [binCoord(s, 0), binCoord(s, 1), binCoord(s, 2)]
            for b0 in max(0, c[0] - 1)...min(bins[0] - 1, c[0] + 1) {
                for b1 in max(0, c[1] - 1)...min(bins[1] - 1, c[1] + 1) {
                    for b2 in max(0, c[2] - 1)...min(bins[2] - 1, c[2] + 1) {
                        let b = (b0 * bins[1] + b1) * bins[2] + b2
                        for q in binStart[b]..<binStart[b + 1] {
                            let p = sorted[q]
                            let d = pointPos[p] - pi
                            let r2 = dot(d, d)
                            if r2 >= rc2 { continue }
                            let j = Int(pointAtom[p])
                            if r2 < overlap2 {
                                if j == i && pointFrac[p] == s { continue }  // the atom itself
                                throw Failure.overlappingAtoms(i: i, j: j, distance: r2.squareRoot())
                            }
                            neighbor.append(Int32(j))
                            dx.append(d.x); dy.append(d.y); dz.append(d.z)
                            distance.append(r2.squareRoot())
                        }
                    }
                }
            }
            offsets.append(neighbor.count)
        }
    }

    private init(cutoff: Double, atomCount: Int, offsets: [Int], neighbor: [Int32],
                 dx: [Double], dy: [Double], dz: [Double], distance: [Double]) {
        self.cutoff = cutoff; self.atomCount = atomCount; self.offsets = offsets
        self.neighbor = neighbor; self.dx = dx; self.dy = dy; self.dz = dz; self.distance = distance
    }

    /// The pairs closer than a smaller cutoff, in the same order.
    public func restricted(to smaller: Double) -> NeighborList {
        precondition(smaller <= cutoff, "a restricted list needs a cutoff no larger than \(cutoff)")
        var o = [0], nb: [Int32] = [], x: [Double] = [], y: [Double] = [], z: [Double] = [], r: [Double] = []
        o.reserveCapacity(atomCount + 1)
        for i in 0..<atomCount {
            for p in offsets[i]..<offsets[i + 1] where distance[p] < smaller {
                nb.append(neighbor[p]); x.append(dx[p]); y.append(dy[p]); z.append(dz[p]); r.append(distance[p])
            }
            o.append(nb.count)
        }
        return NeighborList(cutoff: smaller, atomCount: atomCount, offsets: o, neighbor: nb, dx: x, dy: y, dz: z, distance: r)
    }

    /// A basis for fractional coordinates: the cell rows of periodic axes,
    /// and for non-periodic axes the cell row when the cell is regular, or
    /// else unit vectors completing the periodic rows.
    static func frame(_ config: Configuration) throws -> [Vec3] {
        let cell = config.cell
        let periodic = [config.pbc.x, config.pbc.y, config.pbc.z]
        let scale = max(cell.map(norm).max() ?? 1, 1e-300)
        for a in 0..<3 where periodic[a] && norm(cell[a]) < 1e-8 {
            throw Failure.singularCell("periodic lattice vector \(a + 1) has zero length")
        }
        if abs(determinant(cell)) > 1e-10 * scale * scale * scale { return cell }
        let p = (0..<3).filter { periodic[$0] }
        var f = [Vec3](repeating: .zero, count: 3)
        switch p.count {
        case 3:
            throw Failure.singularCell("the three lattice vectors are linearly dependent (volume \(determinant(cell)))")
        case 2:
            let nrm = cross(cell[p[0]], cell[p[1]])
            guard norm(nrm) > 1e-10 * scale * scale else {
                throw Failure.singularCell("periodic lattice vectors \(p[0] + 1) and \(p[1] + 1) are parallel")
            }
            f[p[0]] = cell[p[0]]; f[p[1]] = cell[p[1]]
            f[3 - p[0] - p[1]] = nrm / norm(nrm)
        case 1:
            let a = cell[p[0]] / norm(cell[p[0]])
            let trial = abs(a.x) < 0.9 ? Vec3(1, 0, 0) : Vec3(0, 1, 0)
            let b = cross(a, trial) / norm(cross(a, trial))
            let c = cross(a, b)
            let others = (0..<3).filter { $0 != p[0] }
            f[p[0]] = cell[p[0]]; f[others[0]] = b; f[others[1]] = c
        default:
            f = [Vec3(1, 0, 0), Vec3(0, 1, 0), Vec3(0, 0, 1)]
        }
        return f
    }

    /// Rows of the returned matrix are the reciprocal vectors: s_a = p . inv[a].
    static func inverse(_ h: [Vec3]) -> [Vec3] {
        let det = determinant(h)
        return [cross(h[1], h[2]) / det, cross(h[2], h[0]) / det, cross(h[0], h[1]) / det]
    }
}
