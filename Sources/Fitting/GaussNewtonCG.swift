import Foundation
import Logging
import MTP
import Parallel

/// Levenberg-Marquardt without the Jacobian: the damped Gauss-Newton step
/// solved by preconditioned conjugate gradients on products with J^T J,
/// each product one forward directional derivative (J v) and one reverse
/// pass (J^T u) over the data, no row stored (`MatrixFreeProducts`).
///
/// The step minimises |J d + r|^2 + ridge |xi + d_xi|^2 + lambda |D d|^2
/// with D^2 the squared column norms of [J; sqrt(ridge) E] (Marquardt
/// scaling, as `LevenbergMarquardt` takes them from R), i.e. solves
/// (J^T J + ridge E + lambda D^2) d = -(J^T r + ridge E xi) by CG with the
/// Jacobi preconditioner (1 + lambda) D^2 (E: the linear parameters), stopped
/// when the preconditioned residual has fallen by `relativeTolerance` or
/// after `maxInnerIterations`. Damping, acceptance and stopping are LM's: a
/// trial loss decides, accepted steps divide lambda by 3 and move to the
/// gauge of unit radial norms, rejected ones multiply it by 4.
///
/// Why it exists: a Levenberg-Marquardt iteration costs one Jacobian pass,
/// 7-11 loss+gradient evaluations at levels 16-24 (docs/training.md); an
/// inner CG iteration here costs about two, and memory is O(P) instead of
/// O(P^2). It pays when the inner solve needs few iterations. The column
/// norms need the Jacobian kernel (without a factor): once at the start and
/// every `columnRefresh` iterations. A fresh start first solves the linear
/// coefficients exactly (`linearStart`, as BFGS does), since CG from zero
/// linear coefficients would spend its iterations on that linear problem.
public struct GaussNewtonCG: Optimizer {
    public static let name = "gn-cg"
    public static let summary = "matrix-free Levenberg-Marquardt: damped Gauss-Newton steps by conjugate gradients on J^T J products (O(P) memory)"

    /// Inner CG iterations per step at most: each costs about two loss+gradient
    /// evaluations, so 8 keep a step below two Jacobian passes at level 16.
    static let maxInnerIterations = 8
    /// The inner solve stops when the preconditioned residual norm has fallen
    /// by this factor (an inexact Newton step).
    static let relativeTolerance = 0.1
    /// Iterations between recomputations of the column norms D.
    static let columnRefresh = 10

    /// The damping of the next step and the squared column norms of J with
    /// the iteration they were computed at, so that a resumed run takes the
    /// same steps.
    public struct Memory: Codable, Sendable {
        public var lambda = 1e-3
        public var columnSquares: [Double] = []
        public var columnsIteration = 0
    }

    public init() {}

    public func run(_ trainer: Trainer, from start: TrainerState, memory: Memory?,
                    progress: (IterationReport) -> Void,
                    checkpoint: (TrainerState, Memory) throws -> Void) throws -> TrainerState {
        try trainer.runGaussNewtonCG(from: start, memory: memory ?? Memory(), progress: progress, checkpoint: checkpoint)
    }
}

extension Trainer {
    func runGaussNewtonCG(from start: TrainerState, memory: GaussNewtonCG.Memory, progress: (IterationReport) -> Void,
                          checkpoint: (TrainerState, GaussNewtonCG.Memory) throws -> Void) throws -> TrainerState {
        var state = start
        var mem = memory
        let clock = ContinuousClock()
        var cond = Double.nan
        if state.iteration == 0 && state.jacobianPasses == 0 {
            let (theta, c) = try timings.measure(\.jacobian) { try linearStart(state.parameters) }
            state.jacobianPasses += 1
            cond = c
            state.parameters = theta
            state.loss = .infinity
        }
        if state.loss == .infinity {
            state.loss = try errors(at: state.parameters).loss
            state.lossEvaluations += 1
        }
        let linearFirst = potential.radialCoeffCount
        let P = potential.parameterCount
        let ridge = options.ridge
        while state.iteration < options.maxIterations && !state.converged {
            let t0 = clock.now
            let theta = state.parameters
            if mem.columnSquares.count != P || state.iteration - mem.columnsIteration >= GaussNewtonCG.columnRefresh {
                mem.columnSquares = try columnSquares(at: theta)
                mem.columnsIteration = state.iteration
                state.jacobianPasses += 1
            }
            var dd = mem.columnSquares
            for p in linearFirst..<P { dd[p] += ridge }
            // A column of zeros (an unused basis function) gets unit scale.
            for p in 0..<P where !(dd[p] > 0) { dd[p] = 1 }
            let ev = try evaluator(at: theta)
            let (_, g) = try lossAndGradient(at: theta)
            state.gradientEvaluations += 1
            // Right-hand side -(J^T r + ridge E xi) = -g / 2.
            let b = g.map { -0.5 * $0 }
            var accepted = false
            var trial = TrainingErrors(loss: state.loss, energyRMSE: .nan, forceRMSE: .nan, stressRMSE: .nan)
            var inner = 0
            let innerCPU0 = ProcessTime.cpuSeconds()
            while !accepted && mem.lambda < 1e16 {
                let (d, used) = try dampedStepByCG(b, columnSquares: dd, lambda: mem.lambda, evaluator: ev)
                inner += used
                state.gradientEvaluations += used
                var next = theta
                for p in 0..<P { next[p] += d[p] }
                trial = try errors(at: next)
                state.lossEvaluations += 1
                if trial.loss.isFinite && trial.loss < state.loss {
                    let decrease = (state.loss - trial.loss) / max(state.loss, 1e-300)
                    state.parameters = normalised(next)
                    state.loss = trial.loss
                    mem.lambda = max(mem.lambda / 3, 1e-12)
                    accepted = true
                    if decrease < options.tolerance { state.converged = true }
                } else {
                    mem.lambda *= 4
                }
            }
            if !accepted { state.converged = true }
            state.iteration += 1
            potential.parameters = state.parameters
            let elapsed = clock.now - t0
            Trainer.log.debug("\(String(format: "gn-cg %d inner iterations %d lambda %.3e, %.3f s CPU in the steps and trial losses", state.iteration, inner, mem.lambda, ProcessTime.cpuSeconds() - innerCPU0))")
            if !accepted { trial = try errors(at: state.parameters) }
            progress(IterationReport(state: state, errors: trial, seconds: ProcessTime.seconds(elapsed),
                                     conditionNumber: cond, damping: mem.lambda))
            cond = .nan
            try checkpoint(state, mem)
        }
        potential.parameters = state.parameters
        return state
    }

    /// Solves (J^T J + ridge E + lambda D^2) d = b by conjugate gradients
    /// with the Jacobi preconditioner (1 + lambda) D^2 (`dd`: D^2); returns
    /// d and the number of J^T J products used.
    /// Every scalar is reduced in fixed order, so every rank holds the same d.
    func dampedStepByCG(_ b: [Double], columnSquares dd: [Double], lambda: Double,
                        evaluator ev: Evaluator) throws -> ([Double], Int) {
        let P = b.count
        let linearFirst = potential.radialCoeffCount
        let ridge = options.ridge
        let precondition = dd.map { (1 + lambda) * $0 }
        var x = [Double](repeating: 0, count: P)
        var res = b
        var z = (0..<P).map { res[$0] / precondition[$0] }
        var p = z
        var gamma = zip(res, z).reduce(0) { $0 + $1.0 * $1.1 }
        let gamma0 = gamma
        let target = GaussNewtonCG.relativeTolerance * GaussNewtonCG.relativeTolerance * gamma0
        var used = 0
        while used < GaussNewtonCG.maxInnerIterations && gamma > target && gamma > 0 {
            // M p = J^T J p + ridge E p + lambda D^2 p, and p . M p from |J p|^2.
            var (mp, pmp) = try normalTimes(p, evaluator: ev)
            for i in 0..<P {
                let extra = (i >= linearFirst ? ridge : 0) + lambda * dd[i]
                mp[i] += extra * p[i]
                pmp += extra * p[i] * p[i]
            }
            used += 1
            guard pmp > 0, pmp.isFinite else { break }
            let alpha = gamma / pmp
            for i in 0..<P {
                x[i] += alpha * p[i]
                res[i] -= alpha * mp[i]
                z[i] = res[i] / precondition[i]
            }
            let next = zip(res, z).reduce(0) { $0 + $1.0 * $1.1 }
            let beta = next / gamma
            gamma = next
            for i in 0..<P { p[i] = z[i] + beta * p[i] }
        }
        return (x, used)
    }
}
