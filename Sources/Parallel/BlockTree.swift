/// A reduction over the fixed blocks of a `BlockLayout` in a fixed binary
/// tree over block index, so that its floating-point result is bitwise the
/// same under any number of ranks.
///
/// Node (l, i) covers blocks [i 2^l, (i + 1) 2^l) and is `combine(left,
/// right)` of its children (a node without a right child is its left
/// child). It is built by the owner of its first block: a child owned by
/// another rank arrives as a message. Each rank builds the nodes that start
/// in its blocks, depth first, holding a partial result only where it owns
/// both halves of a node (O(log of its own blocks) values, plus one
/// received), sends the largest ones to their parents' owners (O(log
/// blocks) messages, kept until received: a sender does not wait for its
/// receiver), and the root's owner broadcasts the result.
///
/// Memory: a send's copy is freed as soon as MPI reports it delivered
/// (polled before every leaf and combination, not only between sends), and
/// `leaf` and `combine` take their inputs `inout`, so that they can release
/// each one as soon as it is copied into their workspace. A rank owning
/// `B` blocks then holds at most `2 floor(log2 B) + 2` finished values at a
/// time (sends not yet received, with strictly increasing levels, and left
/// halves waiting for their right halves, with strictly decreasing levels,
/// all disjoint nodes of its own blocks), its head payload until received,
/// and the workspace of one leaf or combination.
///
/// Leaves: the owner of block k calls `leaf(k, &pieces)` with the payloads
/// that the other holders of block k made with `head` (in rank order). A
/// payload is never empty: an empty one marks a failure, which travels up
/// the tree so that every rank finishes the protocol, and then every rank
/// throws the first failing rank's error (`Collective`).
public enum BlockTree {
    /// Tags of this reduction's messages: pieces of blocks and tree nodes.
    static let pieceTag = 7101, nodeTag = 7102

    public static func reduce(_ layout: BlockLayout, communicator comm: Communicator,
                              head: () throws -> [Double],
                              leaf: (_ block: Int, _ pieces: inout [[Double]]) throws -> [Double],
                              combine: (_ left: inout [Double], _ right: inout [Double]) throws -> [Double]) throws -> [Double] {
        precondition(layout.rank == comm.rank && layout.rankCount == comm.size)
        var failure: String? = nil
        func guarded(_ body: () throws -> [Double]) -> [Double] {
            guard failure == nil else { return [] }
            do {
                let v = try body()
                precondition(!v.isEmpty, "BlockTree payloads are never empty")
                return v
            } catch {
                failure = "\(error)"
                return []
            }
        }
        var sends: [PendingSend] = []
        let headItems = layout.headItems
        if !headItems.isEmpty {
            let piece = guarded(head)
            sends.append(comm.sendStarted(piece, to: layout.owner(of: headItems.lowerBound / layout.blockSize), tag: pieceTag))
        }
        let m = layout.blockCount
        func node(_ level: Int, _ index: Int) -> [Double] {
            sends.removeAll { $0.isDone }   // delivered copies freed as early as MPI says so
            if level == 0 {
                var pieces = layout.contributors(to: index).map { comm.receive(from: $0, tag: pieceTag) }
                if pieces.contains(where: { $0.isEmpty }) {
                    if failure == nil { failure = "" }   // reported by the rank where it happened
                    return []
                }
                return guarded { try leaf(index, &pieces) }
            }
            var left = node(level - 1, 2 * index)
            let rightStart = (2 * index + 1) << (level - 1)
            guard rightStart < m else { return left }
            let owner = layout.owner(of: rightStart)
            var right = owner == comm.rank ? node(level - 1, 2 * index + 1) : comm.receive(from: owner, tag: nodeTag)
            if left.isEmpty || right.isEmpty {
                if failure == nil { failure = "" }
                return []
            }
            sends.removeAll { $0.isDone }
            return guarded { try combine(&left, &right) }
        }
        var root: [Double] = []
        let owned = layout.ownedBlocks
        var position = owned.lowerBound
        while position < owned.upperBound {
            if position == 0 {
                root = node(layout.levels, 0)
                break
            }
            let level = position.trailingZeroBitCount
            let value = node(level, position >> level)
            // Not waited for here: the parent's owner takes it when its own
            // left half is done, and waiting would serialise the ranks.
            sends.removeAll { $0.isDone }
            sends.append(comm.sendStarted(consume value, to: layout.owner(of: position - (1 << level)), tag: nodeTag))
            position += 1 << level
        }
        for s in sends { s.wait() }
        // "" marks a rank that only saw a failure elsewhere: the failing rank reports it.
        let mine: String? = (failure?.isEmpty ?? true) ? nil : failure
        let anyFailed = comm.allReduceMax(failure == nil ? 0 : 1) > 0
        if anyFailed {
            throw CollectiveFailure(Collective.firstFailure(mine, comm) ?? "a block reduction failed")
        }
        guard m > 0 else { return [] }
        let rootOwner = layout.owner(of: 0)
        var length = [Double(root.count)]
        comm.broadcast(&length, root: rootOwner)
        if comm.rank != rootOwner { root = [Double](repeating: 0, count: Int(length[0])) }
        comm.broadcast(&root, root: rootOwner)
        return root
    }
}
