/// Fixed blocks of consecutive items (configurations, say) over ranks that
/// hold contiguous ranges of them in rank order.
///
/// Block k is items [k b, (k + 1) b) of the whole sequence, whatever the
/// number of ranks; it belongs to the rank holding its first item (its
/// owner), and the ranks holding the rest of it send their part there.
/// Results built per block and combined over blocks in a fixed order
/// (`BlockTree`) are therefore the same under any number of ranks.
public struct BlockLayout: Sendable, Equatable {
    /// First item of each rank, and the total at the end (size + 1 entries).
    public let starts: [Int]
    /// Items per block (the last block may hold fewer).
    public let blockSize: Int
    public let rank: Int

    /// From every rank's item count (in rank order).
    public init(counts: [Int], blockSize: Int, rank: Int) {
        precondition(blockSize > 0 && counts.allSatisfy { $0 >= 0 } && counts.indices.contains(rank))
        var s = [0]
        for c in counts { s.append(s.last! + c) }
        starts = s
        self.blockSize = blockSize
        self.rank = rank
    }

    /// Every rank passes its own item count (collective over `communicator`).
    public init(localCount: Int, blockSize: Int, communicator: Communicator) {
        let counts = communicator.allGatherOrdered([Double(localCount)]).map { Int($0) }
        self.init(counts: counts, blockSize: blockSize, rank: communicator.rank)
    }

    public var itemCount: Int { starts.last! }
    public var rankCount: Int { starts.count - 1 }
    public var blockCount: Int { (itemCount + blockSize - 1) / blockSize }
    /// This rank's items (global indices).
    public var localItems: Range<Int> { starts[rank]..<starts[rank + 1] }

    public func items(of block: Int) -> Range<Int> {
        (block * blockSize)..<min((block + 1) * blockSize, itemCount)
    }

    /// The rank holding `item`.
    public func holder(of item: Int) -> Int {
        precondition(item >= 0 && item < itemCount)
        var lo = 0, hi = rankCount - 1
        while lo < hi {   // the last rank whose start is <= item (empty ranks skipped)
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= item { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// The rank that builds block `block`'s result.
    public func owner(of block: Int) -> Int { holder(of: block * blockSize) }

    /// The blocks whose first item this rank holds.
    public var ownedBlocks: Range<Int> {
        let r = localItems
        let first = (r.lowerBound + blockSize - 1) / blockSize
        let end = (r.upperBound + blockSize - 1) / blockSize
        return first..<max(first, end)
    }

    /// This rank's items in a block owned by a lower rank (empty if none).
    public var headItems: Range<Int> {
        let r = localItems
        guard !r.isEmpty, r.lowerBound % blockSize != 0 else { return r.lowerBound..<r.lowerBound }
        let blockEnd = (r.lowerBound / blockSize + 1) * blockSize
        return r.lowerBound..<min(blockEnd, r.upperBound)
    }

    /// The ranks other than the owner holding items of `block`, in rank order.
    public func contributors(to block: Int) -> [Int] {
        let items = items(of: block)
        var out: [Int] = []
        var q = owner(of: block) + 1
        while q < rankCount && starts[q] < items.upperBound {
            if starts[q + 1] > starts[q] { out.append(q) }
            q += 1
        }
        return out
    }

    /// Levels of the binary tree over the blocks (0 for one block).
    public var levels: Int {
        let m = blockCount
        return m <= 1 ? 0 : Int.bitWidth - (m - 1).leadingZeroBitCount
    }
}
