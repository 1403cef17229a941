import Atomistic
import MTP
import Parallel

/// A vector over this rank's residual rows: per local configuration, one
/// value per row of its `ResidualRows`, in their order.
typealias RowVector = [[Double]]

/// The products with the scaled Jacobian J (rows: the residuals r of
/// L = sum r^2, columns: the parameters) that a matrix-free Gauss-Newton
/// step needs, without forming any row: J v by one forward directional
/// derivative per configuration (`Evaluator.jacobianProduct`), J^T u by the
/// reverse pass of the loss gradient with u in place of the residuals
/// (`Evaluator.accumulateGradient`). Every sum over configurations runs in
/// the fixed tree of `FixedOrderSum`, so the products and their norms are
/// the same bits under any number of ranks.
extension Trainer {
    /// The evaluator of `theta`.
    func evaluator(at theta: [Double]) throws -> Evaluator {
        var pot = potential
        pot.parameters = theta
        return try Evaluator(pot)
    }

    /// J v on this rank's rows, and |J v|^2 over all ranks.
    func jacobianTimes(_ v: [Double], evaluator ev: Evaluator) throws -> (RowVector, Double) {
        var out = RowVector(repeating: [], count: configs.count)
        var squares = [Double](repeating: 0, count: configs.count)
        let v = try ev.direction(v)
        for c in configs.indices {
            let d: EFS
            if let cache = try neighbourhood(ev, c) {
                d = try ev.jacobianProduct(configs[c], cache: cache, direction: v, workspace: workspace)
            } else {
                d = try ev.jacobianProduct(configs[c], neighbors: neighbors[c], direction: v, workspace: workspace)
            }
            let q = rows[c].scaled(d)
            squares[c] = q.reduce(0) { $0 + $1 * $1 }
            out[c] = q
        }
        let total = try FixedOrderSum.sum(squares, width: 1, layout: configurationLayout, communicator: communicator)
        return (out, total[0])
    }

    /// J^T u over all ranks' rows (u: this rank's part), the same on every rank.
    func jacobianTransposeTimes(_ u: RowVector, evaluator ev: Evaluator) throws -> [Double] {
        let P = potential.parameterCount
        let layout = configurationLayout
        let first = layout.localItems.lowerBound
        var one = [Double](repeating: 0, count: P)
        let total = try BlockTree.reduce(layout, communicator: communicator, head: { [0] }, leaf: { k, _ in
            let c = k - first
            for x in one.indices { one[x] = 0 }
            let w = rows[c].productWeights(u[c])
            try one.withUnsafeMutableBufferPointer {
                if let cache = try neighbourhood(ev, c) {
                    try ev.accumulateGradient(configs[c], cache: cache, weights: w, into: $0.baseAddress!, workspace: workspace)
                } else {
                    try ev.accumulateGradient(configs[c], neighbors: neighbors[c], weights: w, into: $0.baseAddress!,
                                              workspace: workspace)
                }
            }
            return FixedOrderSum.leaf(one)
        }, combine: { FixedOrderSum.combine($0, $1) })
        return FixedOrderSum.rounded(total, width: P)
    }

    /// J^T J v and |J v|^2 over all ranks, in one pass: per configuration
    /// the forward product q = J_k v and at once the reverse pass J_k^T q, while
    /// that configuration's rows are still in the processor's caches (the
    /// sum over configurations needs no reduction in between).
    func normalTimes(_ v: [Double], evaluator ev: Evaluator) throws -> ([Double], Double) {
        let P = potential.parameterCount
        let layout = configurationLayout
        let first = layout.localItems.lowerBound
        let direction = try ev.direction(v)
        var one = [Double](repeating: 0, count: P + 1)
        let total = try BlockTree.reduce(layout, communicator: communicator, head: { [0] }, leaf: { k, _ in
            let c = k - first
            for x in one.indices { one[x] = 0 }
            let cache = try neighbourhood(ev, c)
            let d = try cache.map { try ev.jacobianProduct(configs[c], cache: $0, direction: direction, workspace: workspace) }
                ?? ev.jacobianProduct(configs[c], neighbors: neighbors[c], direction: direction, workspace: workspace)
            let q = rows[c].scaled(d)
            one[P] = q.reduce(0) { $0 + $1 * $1 }
            let w = rows[c].productWeights(q)
            try one.withUnsafeMutableBufferPointer {
                if let cache {
                    try ev.accumulateGradient(configs[c], cache: cache, weights: w, into: $0.baseAddress!, workspace: workspace)
                } else {
                    try ev.accumulateGradient(configs[c], neighbors: neighbors[c], weights: w, into: $0.baseAddress!,
                                              workspace: workspace)
                }
            }
            return FixedOrderSum.leaf(one)
        }, combine: { FixedOrderSum.combine($0, $1) })
        let sums = FixedOrderSum.rounded(total, width: P + 1)
        return (Array(sums[0..<P]), sums[P])
    }

    /// The squared column norms of J (sum over rows of J_xp^2), from one
    /// pass of the Jacobian kernel with no factor: the Jacobi
    /// preconditioner and the Marquardt scaling of the matrix-free step.
    func columnSquares(at theta: [Double]) throws -> [Double] {
        let ev = try evaluator(at: theta)
        let P = potential.parameterCount
        let layout = configurationLayout
        let first = layout.localItems.lowerBound
        let jacobianWorkspace = JacobianWorkspace()
        var one = [Double](repeating: 0, count: P)
        let total = try timings.measure(\.jacobian) {
            try BlockTree.reduce(layout, communicator: communicator, head: { [0] }, leaf: { k, _ in
                let c = k - first
                for x in one.indices { one[x] = 0 }
                let (e, d) = try ev.derivatives(configs[c], neighbors: neighbors[c], workspace: jacobianWorkspace)
                rows[c].forEachRow(model: e, derivatives: d, reference: configs[c]) { row, _ in
                    for p in 0..<P { one[p] += row[p] * row[p] }
                }
                return FixedOrderSum.leaf(one)
            }, combine: { FixedOrderSum.combine($0, $1) })
        }
        return FixedOrderSum.rounded(total, width: P)
    }
}

extension ResidualRows {
    /// The weights that make `accumulateGradient` compute J^T u: the loss
    /// gradient's weights are 2 r scale, so with u for r, half of them.
    func productWeights(_ u: [Double]) -> ResidualWeights {
        var w = weights(residuals: u)
        w.energy *= 0.5
        for x in w.forces.indices { w.forces[x] *= 0.5 }
        for x in w.virial.indices { w.virial[x] *= 0.5 }
        return w
    }

    /// The scaled rows of a directional derivative `d` of the model values:
    /// scale * d(model), in the order of `residuals` (no reference subtracted).
    func scaled(_ d: EFS) -> [Double] {
        var q: [Double] = []
        q.reserveCapacity(count)
        if let s = energyScale { q.append(s * d.energy) }
        if let fs = forceScales {
            for (a, s) in fs.enumerated() {
                for x in 0..<3 { q.append(s * d.forces[a][x]) }
            }
        }
        if let vs = virialScales {
            let m = d.virial.voigt
            for v in 0..<6 { q.append(vs[v] * m[v]) }
        }
        return q
    }
}
