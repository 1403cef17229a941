import Atomistic
import MTP

extension Trainer {
    /// Loss, training errors and the gradient of the loss at `theta`,
    /// identical on every rank.
    ///
    /// One evaluation per configuration gives the residuals; one directional
    /// derivative (`Evaluator.accumulateGradient`) turns them into the
    /// gradient, without forming any Jacobian row. Per-configuration
    /// gradients are summed in double-double arithmetic, first per rank in
    /// configuration order, then over ranks in rank order, and rounded once:
    /// the result does not depend on how the configurations are split.
    public func lossAndGradient(at theta: [Double]) throws -> (TrainingErrors, [Double]) {
        try timings.measure(\.gradient) { try lossWithGradient(at: theta) }
    }

    func lossWithGradient(at theta: [Double]) throws -> (TrainingErrors, [Double]) {
        var pot = potential
        pot.parameters = theta
        let ev = try Evaluator(pot)
        let P = theta.count
        var local = [Double](repeating: 0, count: 6 * configs.count)
        var hi = [Double](repeating: 0, count: P), lo = [Double](repeating: 0, count: P)
        var one = [Double](repeating: 0, count: P)
        for (c, config) in configs.enumerated() {
            let e = try evaluate(ev, c)
            let r = rows[c].residuals(model: e, reference: config)
            statistics(model: e, reference: config, residuals: r, into: &local, at: c)
            let w = rows[c].weights(residuals: r)
            for x in 0..<P { one[x] = 0 }
            let cache = try neighbourhood(ev, c)
            try one.withUnsafeMutableBufferPointer {
                if let cache {
                    try ev.accumulateGradient(config, cache: cache, weights: w, into: $0.baseAddress!, workspace: workspace)
                } else {
                    try ev.accumulateGradient(config, neighbors: neighbors[c], weights: w, into: $0.baseAddress!, workspace: workspace)
                }
            }
            for x in 0..<P { DoubleDouble.add(one[x], to: &hi[x], &lo[x]) }
        }
        let errors = reduce(local, theta: theta)
        let gathered = communicator.allGatherOrdered(hi + lo)
        var gHi = [Double](repeating: 0, count: P), gLo = [Double](repeating: 0, count: P)
        for rank in 0..<(gathered.count / (2 * P)) {
            let base = rank * 2 * P
            for x in 0..<P {
                DoubleDouble.add(gathered[base + x], to: &gHi[x], &gLo[x])
                DoubleDouble.add(gathered[base + P + x], to: &gHi[x], &gLo[x])
            }
        }
        var g = (0..<P).map { gHi[$0] + gLo[$0] }
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
