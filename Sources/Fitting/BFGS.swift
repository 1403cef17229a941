import Foundation
import Logging
import MTP

/// MLIP's optimiser: dense BFGS on all parameters with a line search, from
/// loss gradients that cost a few evaluations each, after one exact solve
/// of the linear coefficients.
///
/// A fresh run first solves the linear coefficients (species and moment)
/// exactly for the starting radial functions with one Jacobian pass, as an
/// untrained start has them all zero. Each iteration then searches along
/// -H g for a point satisfying the strong Wolfe conditions (sufficient
/// decrease, curvature), which keeps the BFGS update of H positive
/// definite. Every rank holds the same H and takes the same steps, because
/// loss and gradient are the same on every rank.
public struct BFGS: Optimizer {
    public static let name = "bfgs"
    public static let summary = "MLIP's dense BFGS on cheap loss gradients"

    /// The gradient at the current parameters and the inverse Hessian
    /// approximation (row-major), so that a resumed run continues exactly;
    /// consecutive iterations that lowered the loss by less than the
    /// tolerance, and whether H was just reset.
    public struct Memory: Codable, Sendable {
        public var gradient: [Double]
        public var inverseHessian: [Double]
        public var stalls = 0
        public var freshHessian = false
    }

    public init() {}

    public func run(_ trainer: Trainer, from start: TrainerState, memory: Memory?,
                    progress: (IterationReport) -> Void,
                    checkpoint: (TrainerState, Memory) throws -> Void) throws -> TrainerState {
        try trainer.runBFGS(from: start, memory: memory, progress: progress, checkpoint: checkpoint)
    }
}

extension Trainer {
    func runBFGS(from start: TrainerState, memory: BFGS.Memory?, progress: (IterationReport) -> Void,
                 checkpoint: (TrainerState, BFGS.Memory) throws -> Void) throws -> TrainerState {
        var state = start
        let P = state.parameters.count
        let clock = ContinuousClock()
        var cond = Double.nan
        var stalls = memory?.stalls ?? 0
        var freshHessian = memory?.freshHessian ?? false
        var g: [Double]
        var h: [Double]
        if let memory, state.loss != .infinity {
            g = memory.gradient
            h = memory.inverseHessian
        } else {
            if state.iteration == 0 && state.jacobianPasses == 0 {
                let (theta, c) = try timings.measure(\.jacobian) { try linearStart(state.parameters) }
                state.jacobianPasses += 1
                cond = c
                state.parameters = theta
            }
            let (e, grad) = try lossAndGradient(at: state.parameters)
            state.gradientEvaluations += 1
            state.loss = e.loss
            g = grad
            h = []
        }
        while state.iteration < options.maxIterations && !state.converged {
            let t0 = clock.now
            if h.isEmpty {
                // Until the first update: a steepest-descent step of length
                // comparable to the parameters.
                h = Trainer.scaledIdentity(Trainer.initialScale(g, state.parameters, loss: state.loss), P)
            }
            var d = Trainer.multiply(h, g, P).map { -$0 }
            var slope = zip(g, d).reduce(0) { $0 + $1.0 * $1.1 }
            if !(slope < 0) {
                // H lost positive definiteness to rounding: restart from the gradient.
                let scale = Trainer.initialScale(g, state.parameters, loss: state.loss)
                h = Trainer.scaledIdentity(scale, P)
                d = g.map { -$0 * scale }
                slope = zip(g, d).reduce(0) { $0 + $1.0 * $1.1 }
            }
            let search = try lineSearch(from: state.parameters, loss: state.loss, slope: slope, direction: d)
            state.gradientEvaluations += search.evaluations
            let decrease = (state.loss - search.errors.loss) / max(state.loss, 1e-300)
            let fresh = freshHessian
            if Trainer.log.logLevel <= .debug {
                let gn = (g.reduce(0) { $0 + $1 * $1 }).squareRoot(), dn = (d.reduce(0) { $0 + $1 * $1 }).squareRoot()
                Trainer.log.debug("\(String(format: "bfgs %d alpha %.3e evals %d decrease %.3e slope %.3e |g| %.3e |d| %.3e cos %.3e fresh %d stalls %d", state.iteration, search.alpha, search.evaluations, decrease, slope, gn, dn, -slope / (gn * dn), fresh ? 1 : 0, stalls))")
            }
            if search.errors.loss < state.loss {
                let s = (0..<P).map { search.alpha * d[$0] }
                let y = (0..<P).map { search.gradient[$0] - g[$0] }
                let sy = zip(s, y).reduce(0) { $0 + $1.0 * $1.1 }
                if state.iteration == 0 || fresh {
                    // Shanno's scaling of the initial matrix.
                    let yy = y.reduce(0) { $0 + $1 * $1 }
                    if sy > 0 && yy > 0 { h = Trainer.scaledIdentity(sy / yy, P) }
                }
                if sy > 1e-12 * (s.reduce(0) { $0 + $1 * $1 }).squareRoot() * (y.reduce(0) { $0 + $1 * $1 }).squareRoot() {
                    Trainer.bfgsUpdate(&h, s: s, y: y, sy: sy, P)
                }
                state.parameters = zip(state.parameters, s).map { $0 + $1 }
                state.loss = search.errors.loss
                g = search.gradient
                freshHessian = false
                // BFGS makes an occasional tiny step while its curvature
                // model catches up: stop only after several in a row, and
                // restart the model once on the way.
                stalls = decrease < options.tolerance ? stalls + 1 : 0
                if stalls == 2 { h = []; freshHessian = true }
                if stalls >= 5 { state.converged = true }
            } else if !fresh {
                // No decrease along -H g: the model is stale. Restart it from
                // the scaled gradient before giving up.
                h = []
                freshHessian = true
            } else {
                state.converged = true
            }
            state.iteration += 1
            potential.parameters = state.parameters
            let elapsed = clock.now - t0
            progress(IterationReport(state: state, errors: search.errors.loss < .infinity ? search.errors : try errors(at: state.parameters),
                                     seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                                     conditionNumber: cond))
            cond = .nan
            try checkpoint(state, BFGS.Memory(gradient: g, inverseHessian: h, stalls: stalls, freshHessian: freshHessian))
        }
        potential.parameters = state.parameters
        return state
    }

    /// The fitting engine's diagnostics (BFGS traces at level debug), shown
    /// where the program's logging system sends them: the command-line tool
    /// configures it (MTP_LOG_LEVEL=debug, or MTP_BFGS_TRACE=1).
    static let log = Logger(label: "mtp.fitting")

    /// The steepest-descent scale of a first step: short enough that its
    /// first-order decrease is 1% of the loss and it moves the parameters by
    /// at most 0.1% of their norm. The loss is a high-degree polynomial in
    /// the radial coefficients, so a plain unit step can overshoot by tens of
    /// orders of magnitude.
    static func initialScale(_ g: [Double], _ theta: [Double], loss: Double) -> Double {
        let gg = g.reduce(0) { $0 + $1 * $1 }
        guard gg > 0, gg.isFinite else { return 1 }
        let pn = (theta.reduce(0) { $0 + $1 * $1 }).squareRoot()
        return min(1e-2 * loss / gg, 1e-3 * max(pn, 1) / gg.squareRoot())
    }

    struct LineSearchResult {
        var alpha: Double
        var errors: TrainingErrors
        var gradient: [Double]
        var evaluations: Int
    }

    /// A point along `direction` satisfying the strong Wolfe conditions
    /// (c1 = 1e-4, c2 = 0.9), by bracketing and cubic interpolation
    /// (Nocedal and Wright, algorithms 3.5 and 3.6). Returns the best point
    /// seen if the budget of evaluations runs out.
    func lineSearch(from theta: [Double], loss f0: Double, slope g0: Double, direction d: [Double]) throws -> LineSearchResult {
        let c1 = 1e-4, c2 = 0.9
        let budget = 20
        var evaluations = 0
        var best: LineSearchResult? = nil
        func at(_ alpha: Double) throws -> (Double, Double, LineSearchResult) {
            let t = zip(theta, d).map { $0 + alpha * $1 }
            let (e, g) = try lossAndGradient(at: t)
            evaluations += 1
            let slope = zip(g, d).reduce(0) { $0 + $1.0 * $1.1 }
            let r = LineSearchResult(alpha: alpha, errors: e, gradient: g, evaluations: 0)
            if e.loss.isFinite && e.loss < (best?.errors.loss ?? f0) { best = r }
            return (e.loss.isFinite ? e.loss : .infinity, slope, r)
        }
        func finish(_ r: LineSearchResult) -> LineSearchResult {
            var out = r
            out.evaluations = evaluations
            return out
        }
        func zoom(_ loIn: (Double, Double, Double), _ hiIn: (Double, Double, Double)) throws -> LineSearchResult {
            var lo = loIn, hi = hiIn   // (alpha, f, slope)
            while evaluations < budget {
                // Quadratic through lo's value and slope and hi's value: it
                // shrinks fast when hi's loss is far above (the cubic does not).
                let span = hi.0 - lo.0
                let curvature = hi.1 - lo.1 - lo.2 * span
                var a = curvature > 0 ? lo.0 - lo.2 * span * span / (2 * curvature) : .nan
                if hi.1 < 10 * max(abs(lo.1), 1e-300) && abs(hi.2).isFinite {
                    let c = Trainer.cubicMinimum(lo, hi)
                    if c.isFinite { a = c }
                }
                let lower = min(lo.0, hi.0), upper = max(lo.0, hi.0), width = upper - lower
                if !(a >= lower + 1e-3 * width && a <= upper - 0.1 * width) {
                    a = a.isFinite ? min(max(a, lower + 1e-3 * width), upper - 0.1 * width) : 0.5 * (lo.0 + hi.0)
                }
                let (f, s, r) = try at(a)
                if f > f0 + c1 * a * g0 || f >= lo.1 {
                    hi = (a, f, s)
                } else {
                    if abs(s) <= -c2 * g0 { return finish(r) }
                    if s * (hi.0 - lo.0) >= 0 { hi = lo }
                    lo = (a, f, s)
                }
            }
            return finish(best ?? LineSearchResult(alpha: 0, errors: TrainingErrors(loss: .infinity, energyRMSE: .nan, forceRMSE: .nan, stressRMSE: .nan), gradient: [], evaluations: 0))
        }
        var prev = (0.0, f0, g0)
        var alpha = 1.0
        while evaluations < budget {
            let (f, s, r) = try at(alpha)
            if f > f0 + c1 * alpha * g0 || (evaluations > 1 && f >= prev.1) {
                return try zoom(prev, (alpha, f, s))
            }
            if abs(s) <= -c2 * g0 { return finish(r) }
            if s >= 0 { return try zoom((alpha, f, s), prev) }
            prev = (alpha, f, s)
            alpha *= 2.5
        }
        return finish(best ?? LineSearchResult(alpha: 0, errors: TrainingErrors(loss: .infinity, energyRMSE: .nan, forceRMSE: .nan, stressRMSE: .nan), gradient: [], evaluations: 0))
    }

    /// The minimiser of the cubic through two points with their slopes.
    static func cubicMinimum(_ p: (Double, Double, Double), _ q: (Double, Double, Double)) -> Double {
        let (a0, f0, g0) = p, (a1, f1, g1) = q
        let d1 = g0 + g1 - 3 * (f0 - f1) / (a0 - a1)
        let disc = d1 * d1 - g0 * g1
        guard disc >= 0 else { return .nan }
        let d2 = (a1 > a0 ? 1.0 : -1.0) * disc.squareRoot()
        return a1 - (a1 - a0) * (g1 + d2 - d1) / (g1 - g0 + 2 * d2)
    }

    /// scale * I, n x n, row-major.
    static func scaledIdentity(_ scale: Double, _ n: Int) -> [Double] {
        var h = [Double](repeating: 0, count: n * n)
        for i in 0..<n { h[i * n + i] = scale }
        return h
    }

    /// H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T.
    static func bfgsUpdate(_ h: inout [Double], s: [Double], y: [Double], sy: Double, _ n: Int) {
        let rho = 1 / sy
        let hy = multiply(h, y, n)
        let yhy = zip(y, hy).reduce(0) { $0 + $1.0 * $1.1 }
        let c = (1 + rho * yhy) * rho
        for i in 0..<n {
            for j in 0..<n {
                h[i * n + j] += c * s[i] * s[j] - rho * (hy[i] * s[j] + s[i] * hy[j])
            }
        }
    }

    static func multiply(_ h: [Double], _ v: [Double], _ n: Int) -> [Double] {
        var out = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var acc = 0.0
            for j in 0..<n { acc += h[i * n + j] * v[j] }
            out[i] = acc
        }
        return out
    }

    /// The least-squares linear coefficients (species and moment) for the
    /// current radial functions, and the condition number of that problem.
    ///
    /// BFGS needs a start that is the same on every rank count, bit for bit,
    /// because its line search amplifies any difference. So this solve uses
    /// the Gram matrix A^T A of the linear Jacobian columns, accumulated per
    /// configuration in double-double arithmetic like the gradient (exactly
    /// rank-independent), and solved by SVD with singular values below 1e-13
    /// of the largest dropped: a pseudo-inverse, as squaring the condition
    /// number makes the smallest directions meaningless. The optimiser then
    /// refines every parameter anyway.
    func linearStart(_ theta: [Double]) throws -> ([Double], Double) {
        var pot = potential
        pot.parameters = theta
        let ev = try Evaluator(pot)
        let l = linearCount
        let first = potential.radialCoeffCount
        var gHi = [Double](repeating: 0, count: l * l), gLo = gHi
        var hHi = [Double](repeating: 0, count: l), hLo = hHi
        var gc = [Double](repeating: 0, count: l * l), hc = [Double](repeating: 0, count: l)
        for (c, config) in configs.enumerated() {
            let (e, d) = try ev.derivatives(config, neighbors: neighbors[c])
            for x in 0..<(l * l) { gc[x] = 0 }
            for x in 0..<l { hc[x] = 0 }
            rows[c].forEachRow(model: e, derivatives: d, reference: config) { row, residual in
                for a in 0..<l {
                    let ra = row[first + a]
                    if ra == 0 { continue }
                    hc[a] += ra * residual
                    for b in a..<l { gc[a * l + b] += ra * row[first + b] }
                }
            }
            for a in 0..<l {
                DoubleDouble.add(hc[a], to: &hHi[a], &hLo[a])
                for b in a..<l { DoubleDouble.add(gc[a * l + b], to: &gHi[a * l + b], &gLo[a * l + b]) }
            }
        }
        let gathered = communicator.allGatherOrdered(gHi + gLo + hHi + hLo)
        let block = 2 * l * l + 2 * l
        var G = [Double](repeating: 0, count: l * l), GLo = G, h = [Double](repeating: 0, count: l), hL = h
        for rank in 0..<(gathered.count / block) {
            let base = rank * block
            for x in 0..<(l * l) {
                DoubleDouble.add(gathered[base + x], to: &G[x], &GLo[x])
                DoubleDouble.add(gathered[base + l * l + x], to: &G[x], &GLo[x])
            }
            for x in 0..<l {
                DoubleDouble.add(gathered[base + 2 * l * l + x], to: &h[x], &hL[x])
                DoubleDouble.add(gathered[base + 2 * l * l + l + x], to: &h[x], &hL[x])
            }
        }
        for x in 0..<(l * l) { G[x] += GLo[x] }
        for x in 0..<l { h[x] += hL[x] }
        for a in 0..<l { for b in 0..<a { G[a * l + b] = G[b * l + a] } }
        // min |A delta + r|^2 + ridge |theta + delta|^2 over the linear parameters.
        if options.ridge > 0 {
            for a in 0..<l {
                G[a * l + a] += options.ridge
                h[a] += options.ridge * theta[first + a]
            }
        }
        let (delta, cond) = try SmallLinearAlgebra.pseudoSolve(G, n: l, h.map { -$0 }, cutoff: 1e-13)
        var out = theta
        for a in 0..<l where delta[a].isFinite { out[first + a] += delta[a] }
        return (out, cond.squareRoot())
    }
}
