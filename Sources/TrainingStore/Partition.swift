/// Splitting an ordered list of weighted items into contiguous ranges.
public enum Partition {
    /// `parts` contiguous ranges covering `0..<costs.count` in order, with
    /// near-equal total cost: boundary `r` is placed where the running cost
    /// is closest to `r/parts` of the total. Every rank computes the same
    /// answer from the same costs, so no communication is needed. Ranges may
    /// be empty (more parts than items, or one item heavier than a share).
    public static func contiguous(costs: [Double], parts: Int) -> [Range<Int>] {
        precondition(parts >= 1, "at least one part")
        let n = costs.count
        var prefix = [Double](repeating: 0, count: n + 1)
        for i in 0..<n { prefix[i + 1] = prefix[i] + max(costs[i], 0) }
        let total = prefix[n]
        var bounds = [0]
        var i = 0
        for r in 1..<parts {
            let target = total * Double(r) / Double(parts)
            // Smallest index whose prefix reaches the target...
            while i < n && prefix[i] < target { i += 1 }
            // ...or the one before it, whichever is closer.
            var b = i
            if b > bounds.last! && target - prefix[b - 1] < prefix[b] - target { b -= 1 }
            bounds.append(max(b, bounds.last!))
        }
        bounds.append(n)
        return (0..<parts).map { bounds[$0]..<bounds[$0 + 1] }
    }

    /// (max - mean) / mean of the parts' costs: 0 is perfect balance.
    public static func imbalance(_ partCosts: [Double]) -> Double {
        guard !partCosts.isEmpty else { return 0 }
        let mean = partCosts.reduce(0, +) / Double(partCosts.count)
        guard mean > 0 else { return 0 }
        return (partCosts.max()! - mean) / mean
    }
}
