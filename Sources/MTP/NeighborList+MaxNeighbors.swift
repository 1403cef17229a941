import Atomistic

extension NeighborList {
    /// The largest number of neighbours of one atom closer than `cutoff`.
    func maxNeighbors(within cutoff: Double) -> Int {
        var maxM = 0
        for i in 0..<atomCount {
            var c = 0
            for p in offsets[i]..<offsets[i + 1] where distance[p] < cutoff { c += 1 }
            maxM = max(maxM, c)
        }
        return maxM
    }
}
