/// Gauss-Newton steps from the full Jacobian, damped when a step fails: few
/// iterations, each one Jacobian pass.
///
/// The scaled Jacobian rows (and residuals) of fixed blocks of
/// configurations become triangular factors by streaming Householder QR;
/// the factors are combined in a fixed binary tree over block index, so
/// every rank holds the same R of the whole problem, whatever the number of
/// ranks, and takes the same step (`Trainer.factor`). Because
/// the model is linear in the species and moment coefficients, a
/// Gauss-Newton step solves them exactly for the current radial functions
/// (the variable projection property) while moving the radial coefficients
/// along the projected Gauss-Newton direction; the damping only acts when a
/// step fails. Each step carries its geodesic acceleration
/// (`GeodesicAcceleration`), which lets the damping fall where plain steps
/// would overshoot along the curved radial directions.
public struct LevenbergMarquardt: Optimizer {
    public static let name = "lm"
    public static let summary = "Levenberg-Marquardt on the full Jacobian (few, costly iterations)"

    /// The damping lambda of the next step.
    public struct Memory: Codable, Sendable {
        public var lambda = 1e-3
    }

    public init() {}

    /// Geodesic acceleration when `TrainingOptions.geodesicAcceleration` is
    /// nil: on, from the measurements in docs/training.md (at levels 16 and
    /// 20 the loss after the same number of Jacobian passes is 2-60 times
    /// lower, for about 30 % more time per pass).
    public static let defaultGeodesicAcceleration = true

    public func run(_ trainer: Trainer, from start: TrainerState, memory: Memory?,
                    progress: (IterationReport) -> Void,
                    checkpoint: (TrainerState, Memory) throws -> Void) throws -> TrainerState {
        var state = start
        var lambda = memory?.lambda ?? Memory().lambda
        let clock = ContinuousClock()
        if state.loss == .infinity {
            state.loss = try trainer.errors(at: state.parameters).loss
            state.lossEvaluations += 1
        }
        var geodesic = (trainer.options.geodesicAcceleration ?? Self.defaultGeodesicAcceleration)
            ? GeodesicAcceleration() : nil
        while state.iteration < trainer.options.maxIterations && !state.converged {
            let t0 = clock.now
            let r = try trainer.factor(at: state.parameters)
            state.jacobianPasses += 1
            let cond = try trainer.linearCondition(r)
            var accepted = false
            var trial = TrainingErrors(loss: state.loss, energyRMSE: .nan, forceRMSE: .nan, stressRMSE: .nan)
            while !accepted && lambda < 1e16 {
                var d = try trainer.step(r, lambda: lambda)
                if geodesic != nil {
                    let (a, ratio) = try geodesic!.acceleration(trainer, factor: r, velocity: d, at: state.parameters,
                                                                lambda: lambda)
                    // A correction as large as the step: the quadratic model fails there; damp more.
                    if !(ratio <= geodesic!.maximumRatio) { lambda *= 4; continue }
                    for x in d.indices { d[x] += 0.5 * a[x] }
                }
                var theta = state.parameters
                for x in theta.indices { theta[x] += d[x] }
                // The trial is evaluated where the fit would continue from:
                // after the gauge move (no energy changes), so that a resumed
                // fit recomputes exactly the residuals kept below.
                theta = trainer.normalised(theta)
                var residuals: RowVector? = nil
                if geodesic != nil {
                    (trial, residuals) = try trainer.errorsKeepingResiduals(at: theta)
                } else {
                    trial = try trainer.errors(at: theta)
                }
                state.lossEvaluations += 1
                if trial.loss.isFinite && trial.loss < state.loss {
                    let decrease = (state.loss - trial.loss) / max(state.loss, 1e-300)
                    state.parameters = theta
                    // The next iteration's starting residuals.
                    if let residuals { geodesic?.remember(theta: state.parameters, residuals: residuals) }
                    state.loss = trial.loss
                    lambda = max(lambda / 3, 1e-12)
                    accepted = true
                    if decrease < trainer.options.tolerance { state.converged = true }
                } else {
                    lambda *= 4
                }
            }
            if !accepted { state.converged = true }
            if geodesic != nil {
                state.lossEvaluations += geodesic!.residualEvaluations
                state.gradientEvaluations += geodesic!.transposeProducts
                geodesic!.residualEvaluations = 0
                geodesic!.transposeProducts = 0
            }
            state.iteration += 1
            trainer.potential.parameters = state.parameters
            let elapsed = clock.now - t0
            if !accepted { trial = try trainer.errors(at: state.parameters) }
            progress(IterationReport(state: state, errors: trial,
                                     seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                                     conditionNumber: cond, damping: lambda))
            try checkpoint(state, Memory(lambda: lambda))
        }
        trainer.potential.parameters = state.parameters
        return state
    }
}

extension Trainer {
    /// The damped step from R: minimise |R_J d + r1|^2 + lambda |D d|^2 with
    /// D the column norms of R_J (Marquardt scaling), by QR of the stacked
    /// system (two triangles: `StreamingQR.combinePair`). Returns the step in parameter order.
    func step(_ r: [Double], lambda: Double) throws -> [Double] {
        inParameterOrder(try Trainer.dampedSolution(r, lambda: lambda))
    }

    /// A vector in the factor's column order (`order`), in parameter order.
    func inParameterOrder(_ d: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: d.count)
        for (col, src) in order.enumerated() { out[src] = d[col] }
        return out
    }

    /// The Marquardt scaling D in column order: the column norms of R_J in
    /// the column-major factor of [J | r].
    static func columnNorms(_ r: [Double]) -> [Double] {
        let n = r.count.squareRootInt
        return (0..<(n - 1)).map { c in
            var s = 0.0
            for row in 0...c { s += r[c * n + row] * r[c * n + row] }
            return max(s.squareRoot(), 1e-300)
        }
    }

    /// The damped least-squares solution in column order, from the
    /// column-major triangular factor of [J | r].
    static func dampedSolution(_ r: [Double], lambda: Double) throws -> [Double] {
        let n = r.count.squareRootInt
        let p = n - 1
        let scale = columnNorms(r)
        // [R_J, -r1; sqrt(lambda) D, 0]: two upper triangles (n x n, last
        // rows zero), factored by the triangular-pentagonal QR (2/3 n^3
        // flops, a seventh of stacking them as 2P rows).
        var top = [Double](repeating: 0, count: n * n), bottom = [Double](repeating: 0, count: n * n)
        for c in 0..<p { for i in 0...c { top[c * n + i] = r[c * n + i] } }
        for i in 0..<p { top[p * n + i] = -r[p * n + i] }
        let sl = lambda.squareRoot()
        for i in 0..<p { bottom[i * n + i] = sl * scale[i] }
        // In place, and R_J solved where it lies (leading dimension n):
        // with the caller's R, three n x n arrays at most.
        try StreamingQR.combinePairInPlace(&top, &bottom, columns: n)
        bottom = []
        let rhs = Array(top[(p * n)..<(p * n + p)])
        return SmallLinearAlgebra.solveUpper(top, n: p, leading: n, rhs)
    }

    /// Condition number of the linear least-squares problem (species and
    /// moment coefficients) at the current radial coefficients.
    func linearCondition(_ r: [Double]) throws -> Double {
        try Trainer.linearCondition(r, linearCount: linearCount)
    }

    /// Above this size the linear block's condition number is LAPACK's
    /// estimate (`dtrcon`, O(l^2)) instead of the exact ratio of singular
    /// values (O(l^3), repeated on every rank every iteration: 12 s at
    /// l = 3000, more than a Jacobian pass on many ranks).
    static let exactConditionLimit = 1024

    /// The condition number of the leading `l x l` block of R (column-major
    /// n x n): exact (2-norm) up to `exactConditionLimit`, the 1-norm
    /// estimate beyond, which agrees with it to within a factor of about l.
    static func linearCondition(_ r: [Double], linearCount l: Int) throws -> Double {
        let n = r.count.squareRootInt
        var a = [Double](repeating: 0, count: l * l)
        for c in 0..<l { for i in 0...c { a[c * l + i] = r[c * n + i] } }
        if l > exactConditionLimit { return try SmallLinearAlgebra.triangularConditionEstimate(a, n: l) }
        let s = try SmallLinearAlgebra.singularValues(a, n: l)
        guard let hi = s.first, let lo = s.last, lo > 0 else { return .infinity }
        return hi / lo
    }
}

extension Int {
    /// The integer square root of a perfect square.
    var squareRootInt: Int { Int(Double(self).squareRoot().rounded()) }
}
