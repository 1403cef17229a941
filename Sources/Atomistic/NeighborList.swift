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
        try self.init(config, cutoff: cutoff, method: .automatic)
    }

    /// How pairs are searched. All methods give the same pairs (up to order
    /// within an atom); `.automatic` picks the cheaper one, and the explicit
    /// cases exist so that tests can check each against brute force.
    enum Method {
        case automatic
        /// For every atom pair (i, j), exactly the lattice translations that
        /// put j inside the fractional bounding box of i's cutoff sphere.
        /// Quadratic in the atom count but free of set-up, so it wins for the
        /// small cells of training sets and for cutoffs longer than the cell.
        case imageLoop
        /// Atoms and their images near the cell, binned in fractional
        /// coordinates: linear in the atom count, for large cells.
        case binned
        case translationLoop
    }

    init(_ config: Configuration, cutoff: Double, method: Method) throws {
        precondition(cutoff > 0, "cutoff must be positive")
        self.cutoff = cutoff
        let n = config.atomCount
        atomCount = n
        offsets = [0]
        neighbor = []; dx = []; dy = []; dz = []; distance = []
        if n == 0 { return }
        for (a, p) in config.positions.enumerated() where !(p.x.isFinite && p.y.isFinite && p.z.isFinite) {
            throw Failure.notFinite(atom: a)
        }

        let geometry = try Geometry(config, cutoff: cutoff)
        let useImageLoop: Bool
        switch method {
        case .automatic: useImageLoop = geometry.prefersImageLoop
        case .imageLoop: useImageLoop = true
        case .binned: useImageLoop = false
        case .translationLoop: useImageLoop = true
        }
        let tl = method == .translationLoop
        let bins = useImageLoop ? nil : Bins(geometry)

        // The searches store straight into flat buffers sized from the
        // density. If an atom does not fit, the buffers double and the search
        // resumes at that atom, so a poor estimate costs time, never pairs.
        var capacity = geometry.estimatedPairCount
        var offs = [Int](repeating: 0, count: n + 1)
        var nb = [Int32](repeating: 0, count: capacity)
        var vx = [Double](repeating: 0, count: capacity)
        var vy = [Double](repeating: 0, count: capacity)
        var vz = [Double](repeating: 0, count: capacity)
        var r = [Double](repeating: 0, count: capacity)
        var first = 0
        while true {
            let from = first, cap = capacity
            first = try offs.withUnsafeMutableBufferPointer { o in
                try nb.withUnsafeMutableBufferPointer { j in
                    try vx.withUnsafeMutableBufferPointer { x in
                        try vy.withUnsafeMutableBufferPointer { y in
                            try vz.withUnsafeMutableBufferPointer { z in
                                try r.withUnsafeMutableBufferPointer { d in
                                    var out = PairSink(offsets: o.baseAddress!, neighbor: j.baseAddress!,
                                                       dx: x.baseAddress!, dy: y.baseAddress!, dz: z.baseAddress!,
                                                       distance: d.baseAddress!, capacity: cap, count: o[from])
                                    if let bins { return try bins.search(geometry, from: from, into: &out) }
                                    if tl { return try geometry.searchTranslations(from: from, into: &out) }
                                    return try geometry.searchImages(from: from, into: &out)
                                }
                            }
                        }
                    }
                }
            }
            if first == n { break }
            capacity *= 2
            nb += repeatElement(0, count: capacity - nb.count)
            vx += repeatElement(0, count: capacity - vx.count)
            vy += repeatElement(0, count: capacity - vy.count)
            vz += repeatElement(0, count: capacity - vz.count)
            r += repeatElement(0, count: capacity - r.count)
        }
        let total = offs[n]
        nb.removeLast(capacity - total)
        vx.removeLast(capacity - total); vy.removeLast(capacity - total); vz.removeLast(capacity - total)
        r.removeLast(capacity - total)
        r.withUnsafeMutableBufferPointer { d in
            for p in d.indices { d[p] = d[p].squareRoot() }  // the searches stored squares
        }
        offsets = offs; neighbor = nb; dx = vx; dy = vy; dz = vz; distance = r
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

/// Output cursor over preallocated flat buffers: one store per array per
/// pair, with no append bookkeeping. Candidates are stored unconditionally
/// and kept by advancing `count` only when within the cutoff, which avoids
/// a hard-to-predict branch per candidate; `distance` holds squared lengths
/// until one vectorisable square-root pass at the end. The searches check
/// `room` before storing.
private struct PairSink {
    let offsets: UnsafeMutablePointer<Int>
    let neighbor: UnsafeMutablePointer<Int32>
    let dx: UnsafeMutablePointer<Double>
    let dy: UnsafeMutablePointer<Double>
    let dz: UnsafeMutablePointer<Double>
    let distance: UnsafeMutablePointer<Double>
    let capacity: Int
    var count: Int

    /// How many more candidates can be stored.
    @inline(__always) var room: Int { capacity - count }

    /// Stores a candidate (squared length r2) and keeps it if `keep`.
    @inline(__always) mutating func add(_ j: Int, _ x: Double, _ y: Double, _ z: Double, _ r2: Double, keep: Bool) {
        neighbor[count] = Int32(truncatingIfNeeded: j)
        dx[count] = x; dy[count] = y; dz[count] = z
        distance[count] = r2
        count += keep ? 1 : 0
    }

    /// Closes atom i's range of pairs.
    @inline(__always) func finish(_ i: Int) { offsets[i + 1] = count }
}

/// floor(v) as an Int by truncation, which is one instruction on every
/// x86-64, where `rounded(.down)` is a libm call without SSE4.1. The
/// arguments here are bounded by the cutoff over the cell size.
@inline(__always) private func floorToInt(_ v: Double) -> Int {
    let t = Int(v)
    return Double(t) > v ? t - 1 : t
}

/// The cell and the atoms in the form both searches use: flat arrays of
/// fractional and Cartesian coordinates (no SIMD3, whose stride is 32 bytes).
private struct Geometry {
    let atomCount: Int
    let cutoffSquared: Double
    /// Periodicity per frame axis.
    let periodic: (Bool, Bool, Bool)
    /// How far a cutoff sphere reaches along each fractional axis (the cutoff
    /// over the spacing of lattice planes), padded by a relative 1e-9 so that
    /// rounding can never push a pair within the cutoff outside the box.
    let reach: (Double, Double, Double)
    /// Fractional coordinates, wrapped into [0, 1) along periodic axes.
    let s0: [Double], s1: [Double], s2: [Double]
    /// Cartesian positions of the wrapped atoms (the frame applied to s).
    let x: [Double], y: [Double], z: [Double]
    /// Lattice translations: frame row a is (t[3a], t[3a+1], t[3a+2]).
    let t: [Double]
    /// Cell volume when all three axes are periodic, else nil.
    let volume: Double?

    init(_ config: Configuration, cutoff: Double) throws {
        let n = config.atomCount
        atomCount = n
        cutoffSquared = cutoff * cutoff
        let frame = try NeighborList.frame(config)
        let inv = NeighborList.inverse(frame)
        let det = abs(determinant(frame))
        var r = [0.0, 0.0, 0.0]
        for a in 0..<3 {
            let area = norm(cross(frame[(a + 1) % 3], frame[(a + 2) % 3]))
            r[a] = cutoff * area / det * (1 + 1e-9) + 1e-12
        }
        reach = (r[0], r[1], r[2])
        let pbc = [config.pbc.x, config.pbc.y, config.pbc.z]
        periodic = (pbc[0], pbc[1], pbc[2])
        volume = pbc.allSatisfy { $0 } ? det : nil
        t = frame.flatMap { [$0.x, $0.y, $0.z] }

        var f = [[Double]](repeating: [Double](repeating: 0, count: n), count: 3)
        var c = f
        for i in 0..<n {
            let p = config.positions[i]
            var s = Vec3(dot(p, inv[0]), dot(p, inv[1]), dot(p, inv[2]))
            for a in 0..<3 where pbc[a] {
                s[a] -= s[a].rounded(.down)
                if s[a] >= 1 { s[a] = 0 }
            }
            let w = s.x * frame[0] + s.y * frame[1] + s.z * frame[2]
            for a in 0..<3 { f[a][i] = s[a]; c[a][i] = w[a] }
        }
        s0 = f[0]; s1 = f[1]; s2 = f[2]
        x = c[0]; y = c[1]; z = c[2]
    }

    /// A first guess at the pair count: the density times the cutoff sphere,
    /// plus slack; without full periodicity, a guess of 48 per atom.
    var estimatedPairCount: Int {
        let n = Double(atomCount)
        var perAtom = 48.0
        if let volume {
            perAtom = n / volume * 4 / 3 * Double.pi * cutoffSquared * cutoffSquared.squareRoot()
        }
        return Int(min(n * (perAtom * 1.1 + 8) + 64, 1e9))
    }

    /// Whether `searchImages` beats binning. It does as long as its n^2 pair
    /// visits are not much more than the points binning would test.
    var prefersImageLoop: Bool {
        atomCount <= 96
    }

    /// The `.imageLoop` search for atoms `first...`; returns the first atom
    /// not done (atomCount when all are), which is short when `out` fills.
    func searchImages(from first: Int, into out: inout PairSink) throws -> Int {
        let n = atomCount
        let rc2 = cutoffSquared
        let overlap2 = NeighborList.overlapDistance * NeighborList.overlapDistance
        let (p0, p1, p2) = periodic
        let (r0, r1, r2) = reach
        let (t00, t01, t02, t10, t11, t12, t20, t21, t22) = (t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8])
        return try s0.withUnsafeBufferPointer { s0 in
            try s1.withUnsafeBufferPointer { s1 in
                try s2.withUnsafeBufferPointer { s2 in
                    try x.withUnsafeBufferPointer { x in
                        try y.withUnsafeBufferPointer { y in
                            try z.withUnsafeBufferPointer { z in
        for i in first..<n {
            let (si0, si1, si2) = (s0[i], s1[i], s2[i])
            let (xi, yi, zi) = (x[i], y[i], z[i])
            for j in 0..<n {
                // Translations m along each periodic axis with |d + m| <= reach;
                // a non-periodic axis only allows m = 0.
                let d0 = s0[j] - si0, d1 = s1[j] - si1, d2 = s2[j] - si2
                var lo0 = 0, hi0 = 0, lo1 = 0, hi1 = 0, lo2 = 0, hi2 = 0
                if p0 {
                    lo0 = -floorToInt(r0 + d0); hi0 = floorToInt(r0 - d0)
                    if lo0 > hi0 { continue }
                } else if abs(d0) > r0 { continue }
                if p1 {
                    lo1 = -floorToInt(r1 + d1); hi1 = floorToInt(r1 - d1)
                    if lo1 > hi1 { continue }
                } else if abs(d1) > r1 { continue }
                if p2 {
                    lo2 = -floorToInt(r2 + d2); hi2 = floorToInt(r2 - d2)
                    if lo2 > hi2 { continue }
                } else if abs(d2) > r2 { continue }
                if out.room < (hi0 - lo0 + 1) * (hi1 - lo1 + 1) * (hi2 - lo2 + 1) { return i }
                let bx = x[j] - xi, by = y[j] - yi, bz = z[j] - zi
                for m0 in lo0...hi0 {
                    let f0 = Double(m0)
                    let ax = bx + f0 * t00, ay = by + f0 * t01, az = bz + f0 * t02
                    for m1 in lo1...hi1 {
                        let f1 = Double(m1)
                        let cx = ax + f1 * t10, cy = ay + f1 * t11, cz = az + f1 * t12
                        for m2 in lo2...hi2 {
                            let f2 = Double(m2)
                            let ex = cx + f2 * t20, ey = cy + f2 * t21, ez = cz + f2 * t22
                            let rr = ex * ex + ey * ey + ez * ez
                            if rr < overlap2 {
                                if j == i && m0 == 0 && m1 == 0 && m2 == 0 { continue }  // the atom itself
                                throw NeighborList.Failure.overlappingAtoms(i: i, j: j, distance: rr.squareRoot())
                            }
                            out.add(j, ex, ey, ez, rr, keep: rr < rc2)
                        }
                    }
                }
            }
            out.finish(i)
        }
        return n
                            }
                        }
                    }
                }
            }
        }
    }
}

extension Geometry {
    func searchTranslations(from first: Int, into out: inout PairSink) throws -> Int {
        let n = atomCount
        let rc2 = cutoffSquared
        let overlap2 = NeighborList.overlapDistance * NeighborList.overlapDistance
        let (p0, p1, p2) = periodic
        let (r0, r1, r2) = reach
        let (t00, t01, t02, t10, t11, t12, t20, t21, t22) = (t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8])
        return try x.withUnsafeBufferPointer { x in
                        try y.withUnsafeBufferPointer { y in
                            try z.withUnsafeBufferPointer { z in
        for i in first..<n {
            let (si0, si1, si2) = (s0[i], s1[i], s2[i])
            let (xi, yi, zi) = (x[i], y[i], z[i])
            let lo0 = p0 ? floorToInt(si0 - r0) : 0, hi0 = p0 ? floorToInt(si0 + r0) : 0
            let lo1 = p1 ? floorToInt(si1 - r1) : 0, hi1 = p1 ? floorToInt(si1 + r1) : 0
            let lo2 = p2 ? floorToInt(si2 - r2) : 0, hi2 = p2 ? floorToInt(si2 + r2) : 0
            for m0 in lo0...hi0 {
                for m1 in lo1...hi1 {
                    for m2 in lo2...hi2 {
                        let f0 = Double(m0), f1 = Double(m1), f2 = Double(m2)
                        let sx = f0 * t00 + f1 * t10 + f2 * t20 - xi
                        let sy = f0 * t01 + f1 * t11 + f2 * t21 - yi
                        let sz = f0 * t02 + f1 * t12 + f2 * t22 - zi
                        if out.room < n { return i }
                        for j in 0..<n {
                            let ex = x[j] + sx, ey = y[j] + sy, ez = z[j] + sz
                            let rr = ex * ex + ey * ey + ez * ez
                            if rr < overlap2 {
                                if j == i && m0 == 0 && m1 == 0 && m2 == 0 { continue }  // the atom itself
                                throw NeighborList.Failure.overlappingAtoms(i: i, j: j, distance: rr.squareRoot())
                            }
                            out.add(j, ex, ey, ez, rr, keep: rr < rc2)
                        }
                    }
                }
            }
            out.finish(i)
        }
        return n
                            }
                        }
                    }
    }
}

/// The `.binned` search: every atom and every image within `reach` of the
/// cell, sorted into bins at least half the reach wide in fractional
/// coordinates, so that an atom's neighbours lie in the 5x5x5 bins around
/// its own. Half-reach bins test about 60% as many points as reach-wide bins
/// in a 3x3x3 stencil, and since bins along the last axis are contiguous in
/// storage, the stencil is 25 runs of consecutive points.
private struct Bins {
    /// Bins per axis.
    let n0: Int, n1: Int, n2: Int
    /// Lower corner of the binned box and bins per fractional unit.
    let lo: (Double, Double, Double)
    let scale: (Double, Double, Double)
    /// Points of bin b are start[b] ..< start[b + 1] in the arrays below.
    let start: [Int]
    /// Cartesian position of each point (atom plus lattice translation).
    let x: [Double], y: [Double], z: [Double]
    /// The atom each point is an image of, and whether it is the atom itself.
    let atom: [Int32]
    let isAtom: [Bool]

    init(_ g: Geometry) {
        let n = g.atomCount
        let per = [g.periodic.0, g.periodic.1, g.periodic.2]
        let reach = [g.reach.0, g.reach.1, g.reach.2]
        let s = [g.s0, g.s1, g.s2]
        var lo = [0.0, 0.0, 0.0], hi = [0.0, 0.0, 0.0]
        for a in 0..<3 {
            if per[a] {
                lo[a] = -reach[a]; hi[a] = 1 + reach[a]
            } else {
                lo[a] = s[a].min()!; hi[a] = s[a].max()!
            }
        }

        // Every image inside the box [lo, hi]: per periodic axis the
        // translations m with lo <= s + m <= hi.
        var pf = [[Double]](repeating: [], count: 3)   // fractional
        var pc = [[Double]](repeating: [], count: 3)   // Cartesian
        var patom: [Int32] = [], pisAtom: [Bool] = []
        let guess = Int(Double(n) * (1 + 2 * reach.reduce(0, +))) + 16
        for a in 0..<3 { pf[a].reserveCapacity(guess); pc[a].reserveCapacity(guess) }
        patom.reserveCapacity(guess); pisAtom.reserveCapacity(guess)
        var range = [(0, 0), (0, 0), (0, 0)]
        for i in 0..<n {
            for a in 0..<3 {
                range[a] = per[a] ? (-floorToInt(s[a][i] - lo[a]), floorToInt(hi[a] - s[a][i])) : (0, 0)
            }
            for m0 in range[0].0...max(range[0].0, range[0].1) where m0 <= range[0].1 {
                for m1 in range[1].0...max(range[1].0, range[1].1) where m1 <= range[1].1 {
                    for m2 in range[2].0...max(range[2].0, range[2].1) where m2 <= range[2].1 {
                        let m = [Double(m0), Double(m1), Double(m2)]
                        for a in 0..<3 {
                            pf[a].append(s[a][i] + m[a])
                            pc[a].append([g.x, g.y, g.z][a][i] + m[0] * g.t[a] + m[1] * g.t[3 + a] + m[2] * g.t[6 + a])
                        }
                        patom.append(Int32(i))
                        pisAtom.append(m0 == 0 && m1 == 0 && m2 == 0)
                    }
                }
            }
        }
        let points = patom.count

        // Bins at least reach/2 wide; their number is capped near the point
        // count so that sparse boxes (vacuum, spread-out molecules) stay cheap.
        var nbin = [1, 1, 1]
        for a in 0..<3 { nbin[a] = max(1, Int(((hi[a] - lo[a]) / (reach[a] / 2)).rounded(.down))) }
        while nbin[0] * nbin[1] * nbin[2] > 8 * points + 125 {
            for a in 0..<3 { nbin[a] = max(1, nbin[a] / 2) }
        }
        var sc = [0.0, 0.0, 0.0]
        for a in 0..<3 where hi[a] > lo[a] { sc[a] = Double(nbin[a]) / (hi[a] - lo[a]) }
        (n0, n1, n2) = (nbin[0], nbin[1], nbin[2])
        self.lo = (lo[0], lo[1], lo[2])
        scale = (sc[0], sc[1], sc[2])

        // Counting sort of the points by bin.
        let total = n0 * n1 * n2
        var start = [Int](repeating: 0, count: total + 1)
        var pbin = [Int](repeating: 0, count: points)
        for p in 0..<points {
            let b = Self.bin(pf[0][p], lo[0], sc[0], n0) * n1 * n2
                + Self.bin(pf[1][p], lo[1], sc[1], n1) * n2 + Self.bin(pf[2][p], lo[2], sc[2], n2)
            pbin[p] = b
            start[b + 1] += 1
        }
        for b in 0..<total { start[b + 1] += start[b] }
        var fill = start
        var sx = [Double](repeating: 0, count: points), sy = sx, sz = sx
        var satom = [Int32](repeating: 0, count: points)
        var sisAtom = [Bool](repeating: false, count: points)
        for p in 0..<points {
            let q = fill[pbin[p]]
            fill[pbin[p]] += 1
            sx[q] = pc[0][p]; sy[q] = pc[1][p]; sz[q] = pc[2][p]
            satom[q] = patom[p]; sisAtom[q] = pisAtom[p]
        }
        self.start = start
        x = sx; y = sy; z = sz; atom = satom; isAtom = sisAtom
    }

    /// Bin of fractional coordinate v along an axis, clamped into range.
    @inline(__always) static func bin(_ v: Double, _ lo: Double, _ scale: Double, _ count: Int) -> Int {
        let u = (v - lo) * scale
        if !(u > 0) { return 0 }
        return u >= Double(count) ? count - 1 : Int(u)
    }

    /// Searches atoms `first...`; returns the first atom not done (atomCount
    /// when all are), which is short when `out` fills.
    func search(_ g: Geometry, from first: Int, into out: inout PairSink) throws -> Int {
        let n = g.atomCount
        let rc2 = g.cutoffSquared
        let overlap2 = NeighborList.overlapDistance * NeighborList.overlapDistance
        return try start.withUnsafeBufferPointer { start in
            try x.withUnsafeBufferPointer { x in
                try y.withUnsafeBufferPointer { y in
                    try z.withUnsafeBufferPointer { z in
                        try atom.withUnsafeBufferPointer { atom in
        for i in first..<n {
            let c0 = Self.bin(g.s0[i], lo.0, scale.0, n0)
            let c1 = Self.bin(g.s1[i], lo.1, scale.1, n1)
            let c2 = Self.bin(g.s2[i], lo.2, scale.2, n2)
            let (xi, yi, zi) = (g.x[i], g.y[i], g.z[i])
            let lo2 = max(0, c2 - 2), hi2 = min(n2 - 1, c2 + 2)
            // Room for every point of the stencil, so the loop needs no checks.
            var candidates = 0
            for b0 in max(0, c0 - 2)...min(n0 - 1, c0 + 2) {
                for b1 in max(0, c1 - 2)...min(n1 - 1, c1 + 2) {
                    let row = (b0 * n1 + b1) * n2
                    candidates += start[row + hi2 + 1] - start[row + lo2]
                }
            }
            if out.room < candidates { return i }
            for b0 in max(0, c0 - 2)...min(n0 - 1, c0 + 2) {
                for b1 in max(0, c1 - 2)...min(n1 - 1, c1 + 2) {
                    let row = (b0 * n1 + b1) * n2
                    for q in start[row + lo2]..<start[row + hi2 + 1] {
                        let ex = x[q] - xi, ey = y[q] - yi, ez = z[q] - zi
                        let rr = ex * ex + ey * ey + ez * ez
                        let j = Int(atom[q])
                        if rr < overlap2 {
                            if j == i && isAtom[q] { continue }  // the atom itself
                            throw NeighborList.Failure.overlappingAtoms(i: i, j: j, distance: rr.squareRoot())
                        }
                        out.add(j, ex, ey, ez, rr, keep: rr < rc2)
                    }
                }
            }
            out.finish(i)
        }
        return n
                        }
                    }
                }
            }
        }
    }
}
