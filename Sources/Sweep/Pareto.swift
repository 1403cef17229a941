/// The Pareto front of fits that trade cost against error: the fits no other
/// fit beats on both (at most the cost and at most the error, better in one).
/// These are the only fits worth choosing, whatever the budget.
public enum Pareto {
    /// Indices of the non-dominated points, by increasing cost. Points with
    /// a NaN coordinate take no part. Of identical points, the first is kept.
    public static func front(_ points: [(cost: Double, error: Double)]) -> [Int] {
        let valid = points.indices.filter { !points[$0].cost.isNaN && !points[$0].error.isNaN }
        // By cost, then error, then index: a point is on the front exactly
        // when its error is below that of every point before it.
        let sorted = valid.sorted {
            let a = points[$0], b = points[$1]
            if a.cost != b.cost { return a.cost < b.cost }
            if a.error != b.error { return a.error < b.error }
            return $0 < $1
        }
        var front: [Int] = []
        var bestError = Double.infinity
        for i in sorted where points[i].error < bestError {
            front.append(i)
            bestError = points[i].error
        }
        return front
    }
}
