import Atomistic

/// Buffers of the Jacobian kernel, kept between configurations so that a
/// pass over a training set allocates once (one workspace per thread).
public final class JacobianWorkspace {
    private var storage: [UnsafeMutableRawPointer?] = Array(repeating: nil, count: Buffer.allCases.count)
    private var capacity: [Int] = Array(repeating: 0, count: Buffer.allCases.count)

    /// Memory the kernel may use for the products of one block of atoms
    /// (the stacked gradients dominate): blocks are sized to stay below it.
    public static var blockBudgetBytes = 64 << 20

    /// Atoms in one block at most: one per SIMD lane of the graph walks.
    /// Why not more: the block's stacked gradients G are written by the
    /// per-atom rows and read right after by the products; for eight atoms
    /// they stay in the core's L2 cache at level 16 (0.9 MB for a 32-atom
    /// Cu cell) and mostly in it at level 24 (3.9 MB instead of 15.6 MB
    /// for the whole cell). Against whole cells as blocks (up to 64 atoms,
    /// the former default), in the same run, the Jacobian pass took 0.88 /
    /// 0.78 / 0.91 of the time on Cu level 16 / Cu level 24 / Mo level 24
    /// (benchmarks/jacobian/results.md, `mtp bench jacobian --block-atoms`).
    /// Fewer atoms would leave lanes of the graph walks empty.
    public static var blockAtoms = laneCount

    enum Buffer: Int, CaseIterable {
        case moments, adjoints, tangents, hessian, gradients, stackedOperands
        case outXi, outRadial, product, columnValues, rowsWork, sTilde, neighbourColumns, stackedRows, hessianLane, neighbourOrder, segments
    }

    /// Floating-point operations of the dense products and the seconds spent
    /// in them, summed over every configuration this workspace served (the
    /// benchmark's GFLOP/s).
    public internal(set) var productFlops = 0.0
    public internal(set) var productSeconds = 0.0

    public init() {}

    deinit { for p in storage { p?.deallocate() } }

    /// Room for `count` values of `type`, 64-byte aligned, contents undefined.
    func buffer<T>(_ which: Buffer, _ count: Int, as type: T.Type = Double.self) -> UnsafeMutablePointer<T> {
        let bytes = max(64, count * MemoryLayout<T>.stride)
        let w = which.rawValue
        if capacity[w] < bytes {
            storage[w]?.deallocate()
            storage[w] = .allocate(byteCount: bytes, alignment: 64)
            capacity[w] = bytes
        }
        return storage[w]!.bindMemory(to: T.self, capacity: count)
    }

    /// Bytes held.
    public var bytes: Int { capacity.reduce(0, +) }
}

/// The atoms of a configuration in blocks whose force columns are shared:
/// every atom of a block and every neighbour of one gets a column (three,
/// x y z) of the block's products. Blocks hold atoms of one species, at
/// most `atomLimit` of them (one per SIMD lane), taken in order; in a large
/// cell a block also closes before its columns exceed twice those of the
/// busiest single atom, so no product is mostly zeros, and before its
/// stacked gradients exceed `budgetBytes`.
struct AtomBlocks {
    /// Atoms of each block (one species per block, ascending).
    var blocks: [[Int]] = []

    init(_ config: Configuration, _ nl: NeighborList, cutoff: Double, basicCount: Int, budgetBytes: Int,
         atomLimit: Int = JacobianWorkspace.blockAtoms) {
        let n = config.atomCount
        var refs = [[Int]](repeating: [], count: n)
        var mark = [Int](repeating: -1, count: n)
        var busiest = 1
        for i in 0..<n {
            var list = [i]
            mark[i] = i
            for p in nl.offsets[i]..<nl.offsets[i + 1] where nl.distance[p] < cutoff {
                let j = Int(nl.neighbor[p])
                if mark[j] != i { mark[j] = i; list.append(j) }
            }
            refs[i] = list
            busiest = max(busiest, list.count)
        }
        let columnLimit = max(2 * busiest, 16)
        let bytesPerAtom = basicCount * (3 * columnLimit + 9) * 8
        let atomLimit = max(1, min(atomLimit, budgetBytes / max(1, bytesPerAtom)))
        for p in mark.indices { mark[p] = -1 }
        var current: [Int] = []
        var columns = 0
        var tag = 0
        func close() {
            if !current.isEmpty { blocks.append(current) }
            current = []; columns = 0; tag += 1
        }
        for i in (0..<n).sorted(by: { (config.species[$0], $0) < (config.species[$1], $1) }) {
            let extra = refs[i].filter { mark[$0] != tag }.count
            if !current.isEmpty && (current.count >= atomLimit || columns + extra > columnLimit
                                    || config.species[current[0]] != config.species[i]) { close() }
            for j in refs[i] where mark[j] != tag { mark[j] = tag; columns += 1 }
            current.append(i)
        }
        close()
    }
}
