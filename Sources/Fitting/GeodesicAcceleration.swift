import Foundation
import MTP

/// Geodesic acceleration for Levenberg-Marquardt (Transtrum and Sethna,
/// 2012): the second-order correction of a damped Gauss-Newton step along
/// the curvature of the model's manifold.
///
/// Why: an MTP fit is a "sloppy" least-squares problem (condition numbers
/// of 1e15-1e20 in the linear block): the residuals curve strongly along the
/// radial directions, so a Gauss-Newton step of useful length overshoots
/// and the damping has to stay high, which lets the loss fall only a few
/// per cent per Jacobian pass at levels 20+. With v the damped step, the
/// acceleration a solves (J^T J + lambda D^2) a = -J^T r_vv, where r_vv is
/// the second directional derivative of the residuals along v; the step
/// taken is v + a / 2, and it is refused (more damping) when the
/// correction is large, 2 |D a| / |D v| > `maximumRatio`.
///
/// Cost per trial: r_vv by central differences (residuals at theta +- h v,
/// two loss evaluations, plus theta's own), J^T r_vv by one reverse pass
/// (`jacobianTransposeTimes`), and two triangular solves with the factor
/// already in hand: about four loss evaluations, a fraction of a Jacobian
/// pass (11.7 s against 0.8 s per loss evaluation at level 20).
struct GeodesicAcceleration {
    /// The residuals at the step's starting point, kept over the trials of
    /// one iteration (they differ only in lambda).
    private var start: (theta: [Double], residuals: RowVector)?
    /// Residual evaluations and J^T products since the caller last reset them.
    var residualEvaluations = 0
    var transposeProducts = 0

    /// Residuals already known at theta (a trial's), for the next acceleration there.
    mutating func remember(theta: [Double], residuals: RowVector) { start = (theta, residuals) }

    /// Finite-difference step along v (in units of v), as Transtrum's.
    var h = 0.1
    /// Largest accepted 2 |D a| / |D v|.
    var maximumRatio = 0.75

    /// r_vv, the second directional derivative of this rank's residual
    /// rows along v at theta, by central differences with step h v.
    mutating func secondDerivative(_ trainer: Trainer, velocity v: [Double], at theta: [Double]) throws -> RowVector {
        var plus = theta, minus = theta
        for x in theta.indices { plus[x] += h * v[x]; minus[x] -= h * v[x] }
        let r0: RowVector
        if let s = start, s.theta == theta { r0 = s.residuals } else {
            r0 = try trainer.residualVector(at: theta)
            start = (theta, r0)
            residualEvaluations += 1
        }
        let rp = try trainer.residualVector(at: plus)
        let rm = try trainer.residualVector(at: minus)
        residualEvaluations += 2
        var rvv = r0
        for c in rvv.indices {
            for i in rvv[c].indices { rvv[c][i] = (rp[c][i] - 2 * r0[c][i] + rm[c][i]) / (h * h) }
        }
        return rvv
    }

    /// The acceleration in parameter order and the ratio 2 |D a| / |D v|
    /// (D: the Marquardt scaling, column norms of the factor `r`).
    mutating func acceleration(_ trainer: Trainer, factor r: [Double], velocity v: [Double], at theta: [Double],
                      lambda: Double) throws -> (acceleration: [Double], ratio: Double) {
        let rvv = try secondDerivative(trainer, velocity: v, at: theta)
        transposeProducts += 1
        let jt = try trainer.timings.measure(\.gradient) { try trainer.jacobianTransposeTimes(rvv, evaluator: trainer.evaluator(at: theta)) }
        let a = try trainer.dampedNormalStep(r, vector: jt.map { 2 * $0 }, lambda: lambda)
        let scale = Trainer.columnNorms(r)
        var na = 0.0, nv = 0.0
        for (col, x) in trainer.order.enumerated() {
            na += (scale[col] * a[x]) * (scale[col] * a[x]); nv += (scale[col] * v[x]) * (scale[col] * v[x])
        }
        return (a, 2 * na.squareRoot() / max(nv.squareRoot(), 1e-300))
    }
}

extension Trainer {
    /// This rank's residual rows at `theta` (the r of L = sum r^2), from one
    /// loss pass (collective, as every loss pass).
    func residualVector(at theta: [Double]) throws -> RowVector {
        try errorsKeepingResiduals(at: theta).1
    }

    /// Loss and errors at `theta` (one loss pass, as `errors(at:)`) with this
    /// rank's residual rows.
    func errorsKeepingResiduals(at theta: [Double]) throws -> (TrainingErrors, RowVector) {
        var residuals = RowVector(repeating: [], count: configs.count)
        let errors = try timings.measure(\.loss) {
            try lossOnly(at: theta) { c, e in residuals[c] = rows[c].residuals(model: e, reference: configs[c]) }
        }
        return (errors, residuals)
    }

    /// The solution, in parameter order, of (R_J^T R_J + lambda D^2) d = -g / 2
    /// for a factor R of [J | r] and a vector g in parameter order (for g
    /// the loss gradient at the factor's point this is the damped
    /// Gauss-Newton step; the acceleration passes 2 J^T r_vv).
    func dampedNormalStep(_ r: [Double], vector g: [Double], lambda: Double) throws -> [Double] {
        inParameterOrder(try Trainer.dampedNormalSolution(r, gradient: order.map { g[$0] }, lambda: lambda))
    }

    /// In column order: (R_J^T R_J + lambda D^2) d = -g / 2 with D the column
    /// norms of R_J, by the QR of [R_J; sqrt(lambda) D] (whose condition the
    /// damping bounds, unlike R_J's) and two triangular solves.
    static func dampedNormalSolution(_ r: [Double], gradient g: [Double], lambda: Double) throws -> [Double] {
        let n = r.count.squareRootInt
        let p = n - 1
        precondition(g.count == p, "a vector of \(g.count) entries for a factor of \(p) columns")
        var top = [Double](repeating: 0, count: n * n), bottom = [Double](repeating: 0, count: n * n)
        let sl = lambda.squareRoot()
        let scale = columnNorms(r)
        for c in 0..<p {
            for i in 0...c { top[c * n + i] = r[c * n + i] }
            bottom[c * n + c] = sl * scale[c]
        }
        try StreamingQR.combinePairInPlace(&top, &bottom, columns: n)
        var y = [Double](repeating: 0, count: p)
        top.withUnsafeBufferPointer { t in
            for i in 0..<p {
                let col = t.baseAddress! + i * n
                var s = -0.5 * g[i]
                for k in 0..<i { s -= col[k] * y[k] }
                y[i] = s / col[i]
            }
        }
        return SmallLinearAlgebra.solveUpper(top, n: p, leading: n, y)
    }
}
