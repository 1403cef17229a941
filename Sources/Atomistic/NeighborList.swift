/// Every neighbour of every atom within a cutoff, including all periodic
/// images (a 1-atom cell with an 8 A cutoff sees hundreds of images of
/// itself), in flat arrays.
///
/// Small cells (training sets: tens of atoms) are searched pair by pair over
/// exactly the lattice translations that can matter; large cells by binning
/// atoms and their images in fractional coordinates, linear in the atom
/// count (see `Method`). Build the list once at the largest cutoff a job
/// needs and derive lists for smaller cutoffs with `restricted(to:)`.
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
        /// The cell and cutoff ask for more images or neighbours than any
        /// real structure has (a cell 1e-3 A wide, a cutoff of 1000 A).
        case unreasonable(String)
        public var description: String {
            switch self {
            case .unreasonable(let why): return why
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

    /// How pairs are searched. Both searches give the same pairs (in a
    /// different order within an atom); `.automatic` picks the cheaper one
    /// and the explicit cases let tests check each against brute force.
    enum Method {
        case automatic
        /// For every atom pair (i, j), exactly the lattice translations that
        /// put j inside the bounding box (in fractional coordinates) of the
        /// cutoff sphere around i. Quadratic in the atom count but without
        /// set-up, so it wins for the small cells of training sets and for
        /// cutoffs much longer than the cell (a 1-atom cell).
        case imageLoop
        /// Atoms and their images near the cell sorted into bins in
        /// fractional coordinates: linear in the atom count, for large cells.
        case binned
    }

    init(_ config: Configuration, cutoff: Double, method: Method) throws {
        guard cutoff > 0, cutoff.isFinite else { throw Failure.unreasonable("the cutoff \(cutoff) A is not a positive finite number") }
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
        try geometry.checkCost()
        let binned: Bool
        switch method {
        case .automatic: binned = !geometry.prefersImageLoop
        case .imageLoop: binned = false
        case .binned: binned = true
        }
        let bins = binned ? Bins(geometry) : nil

        // The searches store straight into flat buffers sized from the
        // density. When an atom does not fit, the buffers double and the
        // search resumes at that atom: a poor estimate costs time, not pairs.
        var capacity = geometry.estimatedPairCount
        var offs = [Int](repeating: 0, count: n + 1)
        var nb = [Int32](repeating: 0, count: capacity)
        var vx = [Double](repeating: 0, count: capacity)
        var vy = vx, vz = vx
        var first = 0
        while true {
            let from = first, room = capacity
            first = try offs.withUnsafeMutableBufferPointer { o in
                try nb.withUnsafeMutableBufferPointer { j in
                    try vx.withUnsafeMutableBufferPointer { x in
                        try vy.withUnsafeMutableBufferPointer { y in
                            try vz.withUnsafeMutableBufferPointer { z in
                                let out = PairSink(offsets: o.baseAddress!, neighbor: j.baseAddress!, dx: x.baseAddress!,
                                                   dy: y.baseAddress!, dz: z.baseAddress!, capacity: room)
                                if let bins { return try bins.search(geometry, from: from, into: out) }
                                return try geometry.searchImages(from: from, into: out)
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
        }
        let total = offs[n]
        nb.removeLast(capacity - total)
        vx.removeLast(capacity - total); vy.removeLast(capacity - total); vz.removeLast(capacity - total)
        // Lengths in one vectorisable pass, with the same arithmetic as the
        // squared lengths the searches compared with the cutoff.
        let r = vx.withUnsafeBufferPointer { x in
            vy.withUnsafeBufferPointer { y in
                vz.withUnsafeBufferPointer { z in
                    [Double](unsafeUninitializedCapacity: total) { d, count in
                        for p in 0..<total { d[p] = (x[p] * x[p] + y[p] * y[p] + z[p] * z[p]).squareRoot() }
                        count = total
                    }
                }
            }
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

/// Preallocated flat output buffers (offsets and the pair arrays but the
/// lengths, computed afterwards). The searches store every candidate
/// unconditionally and keep it by advancing their count only when it is
/// within the cutoff: in a small cell about half the candidates are kept,
/// so a branch there would be mispredicted half the time. They copy these
/// pointers and the count into locals, since values in memory would be
/// reloaded after every store through the pointers, and check the room
/// before storing a batch of candidates.
private struct PairSink {
    let offsets: UnsafeMutablePointer<Int>
    let neighbor: UnsafeMutablePointer<Int32>
    let dx: UnsafeMutablePointer<Double>
    let dy: UnsafeMutablePointer<Double>
    let dz: UnsafeMutablePointer<Double>
    let capacity: Int
}

/// floor(v) for v > -1024, never smaller than the exact floor and at most
/// one larger (rounding of v + 1024 is monotonic and integers are exact), so
/// translation ranges computed with it can only gain a candidate, never lose
/// one. Conversion by truncation is one instruction on every x86-64, where
/// `rounded(.down)` without SSE4.1 is a libm call, plus a branch.
@inline(__always) private func floorToInt(_ v: Double) -> Int {
    Int(v + 1024) - 1024
}

/// The cell and the atoms in the form both searches use: flat arrays of
/// fractional and Cartesian coordinates (no SIMD3, whose stride is 32 bytes).
private struct Geometry {
    let atomCount: Int
    let cutoffSquared: Double
    /// Periodicity per frame axis.
    let periodic: (Bool, Bool, Bool)
    /// How far a cutoff sphere reaches along each fractional axis: the cutoff
    /// over the spacing of lattice planes, padded (relative 1e-9, absolute
    /// 1e-9) so that rounding cannot put a pair within the cutoff outside.
    let reach: (Double, Double, Double)
    /// Fractional coordinates, wrapped into [0, 1) along periodic axes.
    let s0: [Double], s1: [Double], s2: [Double]
    /// Cartesian positions of the wrapped atoms (the frame applied to s).
    let x: [Double], y: [Double], z: [Double]
    /// Lattice translations: frame row a is (t[3a], t[3a+1], t[3a+2]).
    let t: [Double]
    /// The fractional box holding every point a search looks at: the cell
    /// plus `reach` along periodic axes, the atoms' extent along the others.
    let lower: (Double, Double, Double), upper: (Double, Double, Double)
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
            r[a] = cutoff * area / det * (1 + 1e-9) + 1e-9
        }
        reach = (r[0], r[1], r[2])
        let pbc = [config.pbc.x, config.pbc.y, config.pbc.z]
        periodic = (pbc[0], pbc[1], pbc[2])
        volume = pbc.allSatisfy { $0 } ? det : nil
        t = [frame[0].x, frame[0].y, frame[0].z, frame[1].x, frame[1].y, frame[1].z,
             frame[2].x, frame[2].y, frame[2].z]

        var f0 = [Double](repeating: 0, count: n), f1 = f0, f2 = f0
        var c0 = f0, c1 = f0, c2 = f0
        var lo = Vec3(repeating: .infinity), hi = Vec3(repeating: -.infinity)
        for i in 0..<n {
            let p = config.positions[i]
            var s = Vec3(dot(p, inv[0]), dot(p, inv[1]), dot(p, inv[2]))
            for a in 0..<3 where pbc[a] {
                s[a] -= s[a].rounded(.down)
                if s[a] >= 1 { s[a] = 0 }
            }
            let w = s.x * frame[0] + s.y * frame[1] + s.z * frame[2]
            f0[i] = s.x; f1[i] = s.y; f2[i] = s.z
            c0[i] = w.x; c1[i] = w.y; c2[i] = w.z
            lo = pointwiseMin(lo, s); hi = pointwiseMax(hi, s)
        }
        s0 = f0; s1 = f1; s2 = f2
        x = c0; y = c1; z = c2
        for a in 0..<3 where pbc[a] { lo[a] = -r[a]; hi[a] = 1 + r[a] }
        lower = (lo.x, lo.y, lo.z); upper = (hi.x, hi.y, hi.z)
    }

    /// Whether the search is bounded: the periodic images one atom's search
    /// visits, and the neighbours per atom and the pairs' memory estimated
    /// from the density, against `InputLimits`. Checked before searching,
    /// so that a cell far too thin or a cutoff far too long is an error that
    /// says which, not a search that runs out of memory.
    func checkCost() throws {
        let rc = cutoffSquared.squareRoot()
        let pbc = [periodic.0, periodic.1, periodic.2]
        let r = [reach.0, reach.1, reach.2]
        var images = 1.0
        for a in 0..<3 where pbc[a] { images *= 2 * (r[a].rounded(.up) + 1) + 1 }
        guard images.isFinite, images <= Double(InputLimits.maxImages) else {
            let thin = (0..<3).filter { pbc[$0] }.max { r[$0] < r[$1] } ?? 0
            throw NeighborList.Failure.unreasonable(
                "cutoff \(rc) A against a cell whose lattice planes along axis \(thin + 1) are \(rc / max(r[thin], 1e-300)) A apart: "
                + "the search would visit \(images) periodic images per atom (limit \(InputLimits.maxImages)); is the cell or the cutoff wrong?")
        }
        let n = Double(atomCount)
        // Neighbours per atom: the density times the cutoff sphere; with
        // fewer periodic axes an upper bound: the atoms of a column (two
        // axes: a cylinder of radius rc through the slab) or of a stretch
        // 2 rc long (one axis), and never more than n times the images.
        let rows = (0..<3).map { Vec3(t[3 * $0], t[3 * $0 + 1], t[3 * $0 + 2]) }
        let p = (0..<3).filter { pbc[$0] }
        var perAtom: Double
        switch p.count {
        case 3: perAtom = n / (volume ?? abs(determinant(rows))) * 4 / 3 * Double.pi * rc * rc * rc
        case 2: perAtom = min(n * images, n / norm(cross(rows[p[0]], rows[p[1]])) * Double.pi * rc * rc)
        case 1: perAtom = min(n * images, n / norm(rows[p[0]]) * 2 * rc)
        default: perAtom = 0  // no images: the pairs found are real ones
        }
        guard perAtom.isFinite, perAtom <= Double(InputLimits.maxNeighborsPerAtom) else {
            throw NeighborList.Failure.unreasonable(
                "\(atomCount) atoms in a cell of \(abs(determinant(rows))) A^3 with cutoff \(rc) A: about \(perAtom) neighbours per atom "
                + "(limit \(InputLimits.maxNeighborsPerAtom)); is the cell or the cutoff wrong?")
        }
        let bytes = n * perAtom * 40
        guard bytes <= InputLimits.memoryBudget else {
            throw NeighborList.Failure.unreasonable(
                "\(atomCount) atoms with about \(Int(perAtom)) neighbours each (cutoff \(rc) A): the pairs would take \(Int(bytes / 1e9)) GB, "
                + "more than the memory budget of \(Int(InputLimits.memoryBudget / 1e9)) GB")
        }
    }

    /// A first guess at the pair count: the density times the cutoff sphere,
    /// plus slack; without full periodicity, 48 per atom.
    var estimatedPairCount: Int {
        let n = Double(atomCount)
        var perAtom = 48.0
        if let volume {
            perAtom = n / volume * 4 / 3 * Double.pi * cutoffSquared * cutoffSquared.squareRoot()
        }
        return Int(min(n * (perAtom * 1.1 + 8) + 64, 1e9))
    }

    /// Whether `searchImages` is expected to beat binning. Measured on fcc Cu
    /// with a 5 A cutoff: 32 atoms, the image loop takes 60% of the time of
    /// binning (whose set-up dominates); 256 atoms, twice as long.
    var prefersImageLoop: Bool {
        atomCount <= 64
    }

    /// The `.imageLoop` search for atoms `first...`: returns the first atom
    /// not done, atomCount when all are, earlier when `out` is full.
    func searchImages(from first: Int, into out: PairSink) throws -> Int {
        let n = atomCount
        let rc2 = cutoffSquared
        let overlap2 = NeighborList.overlapDistance * NeighborList.overlapDistance
        let (p0, p1, p2) = periodic
        let (r0, r1, r2) = reach
        let (t00, t01, t02, t10, t11, t12, t20, t21, t22) = (t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8])
        let (jOut, xOut, yOut, zOut, offsets) = (out.neighbor, out.dx, out.dy, out.dz, out.offsets)
        var count = offsets[first]
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
                // a non-periodic axis only has m = 0.
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
                if out.capacity - count < (hi0 - lo0 + 1) * (hi1 - lo1 + 1) * (hi2 - lo2 + 1) { return i }
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
                            jOut[count] = Int32(truncatingIfNeeded: j)
                            xOut[count] = ex; yOut[count] = ey; zOut[count] = ez
                            count += rr < rc2 ? 1 : 0
                        }
                    }
                }
            }
            offsets[i + 1] = count
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

/// The `.binned` search: every atom and every image inside the box
/// `Geometry.lower ... upper`, sorted into bins at least half the reach wide
/// in fractional coordinates, so that an atom's neighbours lie in the 5x5x5
/// bins around its own. That tests about 60% as many points as reach-wide
/// bins in a 3x3x3 block, and as bins along the last axis are adjacent in
/// storage, the block is 25 runs of consecutive points.
private struct Bins {
    /// Bins per axis.
    let n0: Int, n1: Int, n2: Int
    /// Lower corner of the box and bins per fractional unit.
    let lower: (Double, Double, Double)
    let scale: (Double, Double, Double)
    /// Points of bin b are start[b] ..< start[b + 1] in the arrays below.
    let start: [Int]
    /// Cartesian position of each point (an atom plus a lattice translation).
    let x: [Double], y: [Double], z: [Double]
    /// The atom each point is an image of, and whether it is the atom itself.
    let atom: [Int32]
    let isAtom: [Bool]

    init(_ g: Geometry) {
        let n = g.atomCount
        let (r0, r1, r2) = g.reach
        let (p0, p1, p2) = g.periodic
        let (lo0, lo1, lo2) = g.lower, (hi0, hi1, hi2) = g.upper
        let t = g.t

        // Every image inside the box: along a periodic axis the translations
        // m with lower <= s + m <= upper (`floorToInt` may add one just
        // outside, which the clamping of bins absorbs).
        let guess = Int(Double(n) * (1 + 2 * r0) * (1 + 2 * r1) * (1 + 2 * r2)) + 16
        var ux: [Double] = [], uy: [Double] = [], uz: [Double] = []
        var uatom: [Int32] = [], uisAtom: [Bool] = [], ubin: [Int] = []
        ux.reserveCapacity(guess); uy.reserveCapacity(guess); uz.reserveCapacity(guess)
        uatom.reserveCapacity(guess); uisAtom.reserveCapacity(guess); ubin.reserveCapacity(guess)

        // Bins at least reach/2 wide, their number capped near the point
        // count so that boxes mostly empty (vacuum, spread-out molecules)
        // stay cheap; wider bins only make the 5x5x5 block cover more.
        var nbin = [max(1, Int(((hi0 - lo0) / (r0 / 2)).rounded(.down))),
                    max(1, Int(((hi1 - lo1) / (r1 / 2)).rounded(.down))),
                    max(1, Int(((hi2 - lo2) / (r2 / 2)).rounded(.down)))]
        while nbin[0] * nbin[1] * nbin[2] > 8 * guess + 125 {
            for a in 0..<3 { nbin[a] = max(1, nbin[a] / 2) }
        }
        (n0, n1, n2) = (nbin[0], nbin[1], nbin[2])
        let sc0 = hi0 > lo0 ? Double(n0) / (hi0 - lo0) : 0
        let sc1 = hi1 > lo1 ? Double(n1) / (hi1 - lo1) : 0
        let sc2 = hi2 > lo2 ? Double(n2) / (hi2 - lo2) : 0
        lower = (lo0, lo1, lo2)
        scale = (sc0, sc1, sc2)

        let total = n0 * n1 * n2
        var start = [Int](repeating: 0, count: total + 1)
        for i in 0..<n {
            let (s0, s1, s2) = (g.s0[i], g.s1[i], g.s2[i])
            let a0 = p0 ? -floorToInt(r0 + s0) : 0, b0 = p0 ? floorToInt(hi0 - s0) : 0
            let a1 = p1 ? -floorToInt(r1 + s1) : 0, b1 = p1 ? floorToInt(hi1 - s1) : 0
            let a2 = p2 ? -floorToInt(r2 + s2) : 0, b2 = p2 ? floorToInt(hi2 - s2) : 0
            for m0 in a0...b0 {
                let f0 = Double(m0)
                let k0 = Self.bin(s0 + f0, lo0, sc0, n0) * n1
                for m1 in a1...b1 {
                    let f1 = Double(m1)
                    let k1 = (k0 + Self.bin(s1 + f1, lo1, sc1, n1)) * n2
                    for m2 in a2...b2 {
                        let f2 = Double(m2)
                        let b = k1 + Self.bin(s2 + f2, lo2, sc2, n2)
                        ux.append(g.x[i] + f0 * t[0] + f1 * t[3] + f2 * t[6])
                        uy.append(g.y[i] + f0 * t[1] + f1 * t[4] + f2 * t[7])
                        uz.append(g.z[i] + f0 * t[2] + f1 * t[5] + f2 * t[8])
                        uatom.append(Int32(truncatingIfNeeded: i))
                        uisAtom.append(m0 == 0 && m1 == 0 && m2 == 0)
                        ubin.append(b)
                        start[b + 1] += 1
                    }
                }
            }
        }

        // Counting sort of the points by bin.
        let points = ubin.count
        for b in 0..<total { start[b + 1] += start[b] }
        var fill = start
        var sx = [Double](repeating: 0, count: points), sy = sx, sz = sx
        var satom = [Int32](repeating: 0, count: points)
        var sisAtom = [Bool](repeating: false, count: points)
        for p in 0..<points {
            let q = fill[ubin[p]]
            fill[ubin[p]] = q + 1
            sx[q] = ux[p]; sy[q] = uy[p]; sz[q] = uz[p]
            satom[q] = uatom[p]; sisAtom[q] = uisAtom[p]
        }
        self.start = start
        x = sx; y = sy; z = sz; atom = satom; isAtom = sisAtom
    }

    /// Bin of fractional coordinate v along an axis, clamped into range.
    @inline(__always) static func bin(_ v: Double, _ lower: Double, _ scale: Double, _ count: Int) -> Int {
        let u = (v - lower) * scale
        if !(u > 0) { return 0 }
        return u >= Double(count) ? count - 1 : Int(u)
    }

    /// Searches atoms `first...`: returns the first atom not done, atomCount
    /// when all are, earlier when `out` is full.
    func search(_ g: Geometry, from first: Int, into out: PairSink) throws -> Int {
        let n = g.atomCount
        let rc2 = g.cutoffSquared
        let overlap2 = NeighborList.overlapDistance * NeighborList.overlapDistance
        let (jOut, xOut, yOut, zOut, offsets) = (out.neighbor, out.dx, out.dy, out.dz, out.offsets)
        var count = offsets[first]
        return try start.withUnsafeBufferPointer { start in
            try x.withUnsafeBufferPointer { x in
                try y.withUnsafeBufferPointer { y in
                    try z.withUnsafeBufferPointer { z in
                        try atom.withUnsafeBufferPointer { atom in
        for i in first..<n {
            let c0 = Self.bin(g.s0[i], lower.0, scale.0, n0)
            let c1 = Self.bin(g.s1[i], lower.1, scale.1, n1)
            let c2 = Self.bin(g.s2[i], lower.2, scale.2, n2)
            let (xi, yi, zi) = (g.x[i], g.y[i], g.z[i])
            let lo2 = max(0, c2 - 2), hi2 = min(n2 - 1, c2 + 2)
            for b0 in max(0, c0 - 2)...min(n0 - 1, c0 + 2) {
                for b1 in max(0, c1 - 2)...min(n1 - 1, c1 + 2) {
                    let row = (b0 * n1 + b1) * n2
                    let run = start[row + lo2]..<start[row + hi2 + 1]
                    if out.capacity - count < run.count { return i }
                    for q in run {
                        let ex = x[q] - xi, ey = y[q] - yi, ez = z[q] - zi
                        let rr = ex * ex + ey * ey + ez * ez
                        let j = atom[q]
                        if rr < overlap2 {
                            if j == i && isAtom[q] { continue }  // the atom itself
                            throw NeighborList.Failure.overlappingAtoms(i: i, j: Int(j), distance: rr.squareRoot())
                        }
                        jOut[count] = j
                        xOut[count] = ex; yOut[count] = ey; zOut[count] = ez
                        count += rr < rc2 ? 1 : 0
                    }
                }
            }
            offsets[i + 1] = count
        }
        return n
                        }
                    }
                }
            }
        }
    }
}
