import Foundation

/// The sparse structure of a basis's contraction graph that the Jacobian
/// kernel (`JacobianKernel.swift`) walks: which basic moments every moment
/// depends on, the index lists of the sparse forward tangent and of the
/// Hessian of the site energy, and the dense blocks of dB/dm.
///
/// Why: every basis function B_a is a polynomial of a few moment tensors, so
/// its derivative with respect to the basic moments, J_a = dB_a/dm, is sparse
/// (level 24: 29 of 581 entries on average) and the Hessian of the site
/// energy V = sum_a xi_a B_a is too (19k of 169k pairs). With them the force
/// rows of the Jacobian are dense matrix products, J times the gradients of
/// the basic moments, instead of tangents carried through all 27,610
/// contractions for every neighbour coordinate. The structure depends on the
/// basis only, so it is built once per basis (`shared(for:)`) and read by
/// every evaluator and thread.
final class DerivativePlan: @unchecked Sendable {
    let basicCount: Int
    let momentsCount: Int
    /// Support of dm_t/dm_basic: entries jStart[t]..<jStart[t + 1] of the
    /// tangent storage belong to moment t and stand for basic moments
    /// jBasic[...] (ascending). A basic moment's support is itself.
    let jStart: UnsafeMutablePointer<Int32>
    let jBasic: UnsafeMutablePointer<Int32>
    let jCount: Int
    /// Forward tangent updates of contraction c (m_k += mult m_i m_j), four
    /// runs fRuns[4c + w]..<fRuns[4c + w + 1]: w = 0 sets J[dst] to
    /// mult m_j J[src] (from i), w = 1 to mult m_i J[src] (from j), w = 2 and
    /// 3 add the same. `zeroEntries` must be cleared first.
    let fRuns: UnsafeMutablePointer<Int32>
    let fSrc: UnsafeMutablePointer<Int32>, fDst: UnsafeMutablePointer<Int32>
    let zeroEntries: UnsafeMutablePointer<Int32>
    let zeroCount: Int
    /// The Hessian of V with respect to the basic moments, symmetric, stored
    /// once per pair: entry h is H[hRow[h]][hCol[h]] (hRow <= hCol).
    let hRow: UnsafeMutablePointer<Int32>, hCol: UnsafeMutablePointer<Int32>
    let hCount: Int
    /// The same pairs by row, both triangles (compressed rows): row x holds
    /// columns hByRowColumn[e] with values H[hByRowEntry[e]] for e in
    /// hByRowStart[x]..<hByRowStart[x + 1].
    let hByRowStart: UnsafeMutablePointer<Int32>
    let hByRowColumn: UnsafeMutablePointer<Int32>, hByRowEntry: UnsafeMutablePointer<Int32>
    /// Outer-product updates of contraction c (m_k += mult m_i m_j), with
    /// d2V = sum_c adj_k mult (J_i^T J_j + J_j^T J_i): for the p-th entry of
    /// J_i and the q-th of J_j, in that order (p outer),
    /// H[hOuterDst[hOuter[c] + p |J_j| + q]] += adj_k mult J_i[p] J_j[q]; a
    /// pair on the diagonal gets a second update from the diagonal list
    /// hDiag[c]..<hDiag[c + 1] (H[hDiagDst] += adj_k mult J[hDiagI] J[hDiagJ]).
    let hOuter: UnsafeMutablePointer<Int32>, hOuterDst: UnsafeMutablePointer<Int32>
    let hDiag: UnsafeMutablePointer<Int32>
    let hDiagI: UnsafeMutablePointer<Int32>, hDiagJ: UnsafeMutablePointer<Int32>, hDiagDst: UnsafeMutablePointer<Int32>
    let hUpdates: Int
    let contractionCount: Int

    /// Basic moments of one radial function and one rank: the columns of
    /// one dense block of dB/dm, whose rows are the basis functions that use
    /// the tensor.
    struct Group {
        /// Basic moment indices (columns).
        var basic: [Int32]
        /// Basis function numbers a (rows).
        var rows: [Int32]
        /// Tangent storage index of J[row][column], row-major, or -1 where
        /// the basis function does not depend on that component.
        var source: [Int32]
    }
    let groups: [Group]
    /// Per basic moment: its group and its column in the group.
    let groupOf: [Int32], columnOf: [Int32]
    /// Per basic moment: its group's offset and size (the stacked row of
    /// basic b of atom p in a block of na atoms is
    /// na * basicGroupOffset[b] + p * basicGroupSize[b] + columnOf[b]).
    let basicGroupOffset: [Int], basicGroupSize: [Int]
    /// First row of each group in the stacked (group, atom, column) order
    /// of a block of `atoms` atoms is `atoms * groupOffset[g]`.
    let groupOffset: [Int]

    init(_ basis: MomentBasis) {
        let nb = basis.basic.count
        let T = basis.momentsCount
        basicCount = nb
        momentsCount = T
        let contractions = basis.contractions
        contractionCount = contractions.count

        // Supports, as sorted lists: the union over the contractions into a
        // moment, in the order the forward pass runs them.
        var sets = [Set<Int32>](repeating: [], count: T)
        for b in 0..<nb { sets[b] = [Int32(b)] }
        for c in contractions {
            sets[c.k].formUnion(sets[c.i])
            sets[c.k].formUnion(sets[c.j])
        }
        let support = sets.map { $0.sorted() }
        var starts = [Int32](repeating: 0, count: T + 1)
        for t in 0..<T { starts[t + 1] = starts[t] + Int32(support[t].count) }
        jCount = Int(starts[T])
        jStart = .allocate(capacity: T + 1)
        jStart.initialize(from: starts, count: T + 1)
        jBasic = .allocate(capacity: max(1, jCount))
        for t in 0..<T { (jBasic + Int(starts[t])).initialize(from: support[t], count: support[t].count) }

        // Position of a basic moment in a moment's support (dense lookup row).
        var position = [Int32](repeating: -1, count: nb)
        func positions(_ t: Int, _ body: () -> Void) {
            for (p, b) in support[t].enumerated() { position[Int(b)] = Int32(p) }
            body()
            for b in support[t] { position[Int(b)] = -1 }
        }

        // Per contraction four runs of tangent updates (assign from i, assign
        // from j, add from i, add from j): the first update of an entry
        // assigns, so the storage needs no clearing; entries read before any
        // write (none in a basis whose moments are complete before use) are
        // cleared explicitly.
        var fr = [Int32](), src = [Int32](), dst = [Int32]()
        fr.reserveCapacity(4 * contractions.count + 1)
        var written = [Bool](repeating: false, count: jCount)
        for b in 0..<nb { written[Int(starts[b])] = true }
        var zero = [Int32]()
        var ho = [Int32](), od = [Int32](), hdo = [Int32](), hi = [Int32](), hj = [Int32](), hd = [Int32]()
        var pairIndex = [Int32](repeating: -1, count: nb * nb)   // dense: 3 MB at level 28
        var rowsH = [Int32](), colsH = [Int32]()
        for c in contractions {
            var runs = [[(Int32, Int32)]](repeating: [], count: 4)
            for e in support[c.i].indices.map({ starts[c.i] + Int32($0) }) + support[c.j].indices.map({ starts[c.j] + Int32($0) })
            where !written[Int(e)] {
                zero.append(e); written[Int(e)] = true
            }
            positions(c.k) {
                let base = starts[c.k]
                for (side, t) in [(0, c.i), (1, c.j)] {
                    for (p, b) in support[t].enumerated() {
                        let d = base + position[Int(b)]
                        let first = !written[Int(d)]
                        written[Int(d)] = true
                        runs[first ? side : 2 + side].append((starts[t] + Int32(p), d))
                    }
                }
            }
            for run in runs {
                fr.append(Int32(src.count))
                for (a, b) in run { src.append(a); dst.append(b) }
            }
            ho.append(Int32(od.count))
            hdo.append(Int32(hi.count))
            for (p, x) in support[c.i].enumerated() {
                for (q, y) in support[c.j].enumerated() {
                    let lo = min(x, y), hiB = max(x, y)
                    let key = Int(lo) * nb + Int(hiB)
                    var h = pairIndex[key]
                    if h < 0 { h = Int32(rowsH.count); pairIndex[key] = h; rowsH.append(lo); colsH.append(hiB) }
                    od.append(h)
                    if x == y { hi.append(starts[c.i] + Int32(p)); hj.append(starts[c.j] + Int32(q)); hd.append(h) }
                }
            }
        }
        for e in 0..<jCount where !written[e] { zero.append(Int32(e)) }
        fr.append(Int32(src.count))
        ho.append(Int32(od.count))
        hdo.append(Int32(hi.count))
        func copy(_ a: [Int32]) -> UnsafeMutablePointer<Int32> {
            let p = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, a.count))
            p.initialize(from: a, count: a.count)
            return p
        }
        fRuns = copy(fr); fSrc = copy(src); fDst = copy(dst)
        zeroEntries = copy(zero); zeroCount = zero.count
        hOuter = copy(ho); hOuterDst = copy(od); hDiag = copy(hdo); hDiagI = copy(hi); hDiagJ = copy(hj); hDiagDst = copy(hd)
        hRow = copy(rowsH); hCol = copy(colsH)
        hCount = rowsH.count
        hUpdates = od.count + hi.count
        var byRow = [[(Int32, Int32)]](repeating: [], count: nb)
        for h in 0..<rowsH.count {
            byRow[Int(rowsH[h])].append((colsH[h], Int32(h)))
            if rowsH[h] != colsH[h] { byRow[Int(colsH[h])].append((rowsH[h], Int32(h))) }
        }
        var rs = [Int32](repeating: 0, count: nb + 1), rc = [Int32](), re = [Int32]()
        for x in 0..<nb {
            for (y, h) in byRow[x].sorted(by: { $0.0 < $1.0 }) { rc.append(y); re.append(h) }
            rs[x + 1] = Int32(rc.count)
        }
        hByRowStart = copy(rs); hByRowColumn = copy(rc); hByRowEntry = copy(re)

        // Groups of basic moments by (mu, rank), in order of first appearance.
        var key = [SIMD2<Int32>: Int]()
        var members = [[Int32]]()
        var gOf = [Int32](repeating: 0, count: nb), cOf = [Int32](repeating: 0, count: nb)
        for (b, m) in basis.basic.enumerated() {
            let kk = SIMD2(Int32(m.mu), Int32(m.nu))
            let g: Int
            if let known = key[kk] { g = known } else { g = members.count; key[kk] = g; members.append([]) }
            gOf[b] = Int32(g); cOf[b] = Int32(members[g].count)
            members[g].append(Int32(b))
        }
        var groups = [Group]()
        var offsets = [Int]()
        var offset = 0
        var entries = 0
        for cols in members {
            var rows = [Int32](), source = [Int32]()
            let inGroup = Set(cols)
            for (a, slot) in basis.scalarSlots.enumerated() where support[slot].contains(where: inGroup.contains) {
                rows.append(Int32(a))
                positions(slot) {
                    for b in cols {
                        let p = position[Int(b)]
                        source.append(p < 0 ? -1 : starts[slot] + p)
                    }
                }
            }
            groups.append(Group(basic: cols, rows: rows, source: source))
            entries += rows.count * cols.count
            offsets.append(offset)
            offset += cols.count
        }
        self.groups = groups
        groupOffset = offsets
        blockEntries = entries
        groupOf = gOf; columnOf = cOf
        basicGroupOffset = gOf.map { offsets[Int($0)] }
        basicGroupSize = gOf.map { members[Int($0)].count }
    }

    deinit {
        for p in [jStart, jBasic, fRuns, fSrc, fDst, zeroEntries, hOuter, hOuterDst, hDiag, hDiagI, hDiagJ, hDiagDst, hRow, hCol,
                  hByRowStart, hByRowColumn, hByRowEntry] { p.deallocate() }
    }

    /// Entries of dB/dm held in the dense blocks (the product's size).
    let blockEntries: Int

    // MARK: - One plan per basis

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [(MomentBasis, DerivativePlan)] = []

    /// The plan of `basis`, built on first use and kept (the few most recent
    /// bases: a sweep moves through levels one after another).
    static func shared(for basis: MomentBasis) -> DerivativePlan {
        lock.lock()
        defer { lock.unlock() }
        if let hit = cache.first(where: { $0.0 == basis }) { return hit.1 }
        let plan = DerivativePlan(basis)
        cache.append((basis, plan))
        if cache.count > 4 { cache.removeFirst() }
        return plan
    }
}
