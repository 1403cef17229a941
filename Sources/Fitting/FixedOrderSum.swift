import Parallel

/// Sums over configurations that do not depend on the number of ranks:
/// every configuration's terms are a leaf of the fixed binary tree over
/// configuration index (`BlockTree`, one configuration per block), and the
/// partial sums are held in double-double (hi, lo) arithmetic, rounded once
/// at the end. The tree fixes the order of every addition, so the result is
/// bitwise the same under any number of ranks; double-double keeps it
/// accurate where the terms cancel (a gradient near the optimum).
///
/// Nothing is gathered per configuration: each rank sends O(log N) partial
/// sums.
enum FixedOrderSum {
    /// A leaf payload: `values` as hi, zeros as lo.
    static func leaf(_ values: [Double]) -> [Double] {
        values + [Double](repeating: 0, count: values.count)
    }

    /// The double-double sum of two payloads of the same width.
    static func combine(_ a: [Double], _ b: [Double]) -> [Double] {
        precondition(a.count == b.count && a.count % 2 == 0)
        let w = a.count / 2
        var out = a
        for x in 0..<w {
            var hi = a[x], lo = a[w + x]
            DoubleDouble.add(b[x], to: &hi, &lo)
            DoubleDouble.add(b[w + x], to: &hi, &lo)
            out[x] = hi
            out[w + x] = lo
        }
        return out
    }

    /// The rounded sums of a payload.
    static func rounded(_ payload: [Double], width: Int) -> [Double] {
        guard payload.count == 2 * width else { return [Double](repeating: 0, count: width) }
        return (0..<width).map { payload[$0] + payload[width + $0] }
    }

    /// The totals of per-configuration values (`width` per configuration of
    /// this rank, in order), on every rank. `layout` has one configuration
    /// per block.
    static func sum(_ local: [Double], width: Int, layout: BlockLayout, communicator: Communicator) throws -> [Double] {
        precondition(layout.blockSize == 1 && local.count == width * layout.localItems.count)
        let first = layout.localItems.lowerBound
        let total = try BlockTree.reduce(layout, communicator: communicator, head: { [0] }, leaf: { k, _ in
            let c = k - first
            return leaf(Array(local[(width * c)..<(width * c + width)]))
        }, combine: { combine($0, $1) })
        return rounded(total, width: width)
    }
}
