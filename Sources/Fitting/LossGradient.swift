import Atomistic
import MTP
import Parallel

extension Trainer {
    /// Loss, training errors and the gradient of the loss at `theta`,
    /// identical on every rank.
    ///
    /// One evaluation per configuration gives the residuals; one directional
    /// derivative (`Evaluator.accumulateGradient`) turns them into the
    /// gradient, without forming any Jacobian row. Each configuration's
    /// statistics and gradient are one leaf of the fixed tree of
    /// `FixedOrderSum` (double-double partial sums, rounded once): the result
    /// is bitwise the same however the configurations are split over ranks,
    /// and no rank gathers anything per configuration or per rank.
    public func lossAndGradient(at theta: [Double]) throws -> (TrainingErrors, [Double]) {
        try timings.measure(\.gradient) { try lossWithGradient(at: theta) }
    }

    func lossWithGradient(at theta: [Double]) throws -> (TrainingErrors, [Double]) {
        var pot = potential
        pot.parameters = theta
        let ev = try Evaluator(pot)
        let P = theta.count
        let layout = configurationLayout
        let first = layout.localItems.lowerBound
        var one = [Double](repeating: 0, count: 6 + P)
        let total = try BlockTree.reduce(layout, communicator: communicator, head: { [0] }, leaf: { k, _ in
            let c = k - first
            let config = configs[c]
            let e = try evaluate(ev, c)
            let r = rows[c].residuals(model: e, reference: config)
            for x in one.indices { one[x] = 0 }
            var stats = [Double](repeating: 0, count: 6)
            statistics(model: e, reference: config, residuals: r, into: &stats, at: 0)
            for x in 0..<6 { one[x] = stats[x] }
            let w = rows[c].weights(residuals: r)
            let cache = try neighbourhood(ev, c)
            try one.withUnsafeMutableBufferPointer {
                let g = $0.baseAddress! + 6
                if let cache {
                    try ev.accumulateGradient(config, cache: cache, weights: w, into: g, workspace: workspace)
                } else {
                    try ev.accumulateGradient(config, neighbors: neighbors[c], weights: w, into: g, workspace: workspace)
                }
            }
            return FixedOrderSum.leaf(one)
        }, combine: { FixedOrderSum.combine($0, $1) })
        let sums = FixedOrderSum.rounded(total, width: 6 + P)
        let errors = finish(Array(sums[0..<6]), theta: theta)
        var g = Array(sums[6...])
        if options.ridge > 0 {
            for p in potential.radialCoeffCount..<P { g[p] += 2 * options.ridge * theta[p] }
        }
        return (errors, g)
    }
}

/// Error-free accumulation: a sum held as hi + lo (Knuth's TwoSum), exact to
/// about 2^-106 of the summands, so that the rounded total does not depend
/// on the order in which partial sums are combined.
enum DoubleDouble {
    @inline(__always)
    static func add(_ x: Double, to hi: inout Double, _ lo: inout Double) {
        let s = hi + x
        let bb = s - hi
        let err = (hi - (s - bb)) + (x - bb)
        hi = s
        lo += err
        // Renormalise so that |lo| stays below half an ulp of hi.
        let t = hi + lo
        lo = lo - (t - hi)
        hi = t
    }
}

extension ResidualRows {
    /// The weights of the loss gradient: dL/dtheta = sum_x 2 r_x scale_x
    /// d(model_x)/dtheta, for L = sum r^2 with r = scale (model - reference).
    func weights(residuals r: [Double]) -> ResidualWeights {
        var w = ResidualWeights()
        var at = 0
        if let s = energyScale { w.energy = 2 * r[0] * s; at = 1 }
        if let fs = forceScales {
            w.forces = [Double](repeating: 0, count: 3 * fs.count)
            for (a, s) in fs.enumerated() {
                for x in 0..<3 { w.forces[3 * a + x] = 2 * r[at] * s; at += 1 }
            }
        }
        if let vs = virialScales {
            w.virial = (0..<6).map { 2 * r[at + $0] * vs[$0] }
        }
        return w
    }
}
