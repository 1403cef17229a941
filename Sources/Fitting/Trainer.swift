import Foundation
import Atomistic
import MTP
import Parallel

/// What the user chooses about a fit.
public struct TrainingOptions: Codable, Equatable, Sendable {
    public var loss = LossSettings()
    public var maxIterations = 100
    /// Stop when an accepted step lowers the loss by less than this fraction.
    public var tolerance = 1e-9
    /// Ridge penalty ridge * |xi|^2 on the species and moment coefficients.
    public var ridge = 0.0
    public var optimizer = Optimizer.levenbergMarquardt
    public init() {}

    public init(loss: LossSettings, maxIterations: Int, tolerance: Double, ridge: Double,
                optimizer: Optimizer = .levenbergMarquardt) {
        self.loss = loss
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.ridge = ridge
        self.optimizer = optimizer
    }
}

/// How parameters move.
public enum Optimizer: String, Codable, Sendable, CaseIterable {
    /// Gauss-Newton steps from the full Jacobian (damped when a step fails):
    /// few iterations, each one Jacobian pass.
    case levenbergMarquardt = "lm"
    /// MLIP's method: dense BFGS on all parameters with a line search, from
    /// loss gradients that cost a few evaluations each, after one exact
    /// solve of the linear coefficients.
    case bfgs
}

/// Everything needed to continue a fit exactly where it stopped.
public struct TrainerState: Codable, Equatable, Sendable {
    public var iteration = 0
    public var parameters: [Double]
    public var lambda = 1e-3
    public var loss = Double.infinity
    public var jacobianPasses = 0
    public var lossEvaluations = 0
    /// Evaluations of loss and gradient together (BFGS).
    public var gradientEvaluations = 0
    public var converged = false
    /// BFGS only: the gradient at `parameters` and the inverse Hessian
    /// approximation (row-major), so that a resumed run continues exactly.
    public var gradient: [Double]? = nil
    public var inverseHessian: [Double]? = nil
    /// BFGS only: consecutive iterations that lowered the loss by less than
    /// the tolerance, and whether H was just reset.
    public var stalls: Int? = nil
    public var freshHessian: Bool? = nil
}

/// Errors of the current potential on the whole training set.
public struct TrainingErrors: Sendable {
    public var loss: Double
    public var energyRMSE: Double      // meV/atom
    public var forceRMSE: Double       // eV/A per component
    public var stressRMSE: Double      // GPa
}

public struct IterationReport: Sendable {
    public var state: TrainerState
    public var errors: TrainingErrors
    public var seconds: Double
    public var conditionNumber: Double
}

/// Fits a potential to the configurations of every rank.
///
/// Each iteration is one Levenberg-Marquardt step on all parameters at once.
/// Every rank turns its configurations' scaled Jacobian rows (and residuals)
/// into a triangular factor by streaming Householder QR; the small factors
/// are gathered in rank order and factored again, so every rank holds the
/// same R of the whole problem and takes the same step. Because the model
/// is linear in the species and moment coefficients, a Gauss-Newton step
/// solves them exactly for the current radial functions (the variable
/// projection property) while moving the radial coefficients along the
/// projected Gauss-Newton direction; the damping only acts when a step fails.
///
/// Losses are sums of per-configuration terms gathered in configuration
/// order, so they do not depend on the number of ranks.
public final class Trainer {
    public let communicator: Communicator
    public internal(set) var potential: Potential
    public let options: TrainingOptions
    let configs: [Configuration]
    let neighbors: [NeighborList]
    let rows: [ResidualRows]
    let totalCount: Int
    /// Column order of the least-squares problem: linear parameters first
    /// (so the leading block of R is the factor of the linear problem), then
    /// radial coefficients, then the residual.
    let order: [Int]
    let workspace = EvaluationWorkspace()
    let gauge: Gauge
    /// Bytes this rank may spend on neighbourhood caches kept between
    /// evaluations. Default 0: the neighbour lists are kept, and each
    /// configuration's rows are rebuilt into one small cache per evaluation,
    /// which stays in the processor's caches; keeping every configuration's
    /// rows instead streams them from memory, and measured no faster
    /// (docs/training.md).
    public let cacheBudget: Int
    private var caches: [NeighbourhoodCache?]? = nil
    private var transient: NeighbourhoodCache? = nil
    /// Where this rank's time went (wall and CPU seconds per kind of pass).
    public internal(set) var timings = PassTimings()
    /// Bytes held by neighbourhood caches and how many configurations have one.
    public private(set) var cacheBytes = 0, cachedConfigurations = 0

    /// `neighbors`, when given, are the configurations' neighbour lists at
    /// a cutoff no smaller than the potential's (a sweep builds them once at
    /// its largest cutoff); otherwise they are built here.
    public init(potential start: Potential, configurations: [Configuration], totalCount: Int,
                options: TrainingOptions, communicator: Communicator, neighbors given: [NeighborList]? = nil,
                cacheBudget: Int = 0) throws {
        self.cacheBudget = cacheBudget
        var pot = start
        if pot.radialCoeffs == nil {
            pot.radialCoeffs = Potential.defaultRadialCoeffs(speciesCount: pot.speciesCount,
                                                             radialFuncsCount: pot.radialFuncsCount,
                                                             radialBasisSize: pot.radialBasisSize)
        }
        if pot.speciesCoeffs == nil { pot.speciesCoeffs = [Double](repeating: 0, count: pot.speciesCount) }
        if pot.momentCoeffs == nil { pot.momentCoeffs = [Double](repeating: 0, count: pot.basis.scalarCount) }
        gauge = Gauge(pot.basis)
        potential = pot
        self.options = options
        self.communicator = communicator
        self.totalCount = totalCount
        configs = configurations
        if let given {
            precondition(given.count == configurations.count && given.allSatisfy { $0.cutoff >= pot.maxDist },
                         "neighbour lists must match the configurations and reach the potential's cutoff")
            neighbors = given.map { $0.cutoff > pot.maxDist ? $0.restricted(to: pot.maxDist) : $0 }
        } else {
            neighbors = try configurations.map { try NeighborList($0, cutoff: pot.maxDist) }
        }
        rows = configurations.map { ResidualRows($0, settings: options.loss, totalConfigurations: totalCount) }
        let radial = pot.radialCoeffCount
        order = Array(radial..<pot.parameterCount) + Array(0..<radial)
        for (c, config) in configurations.enumerated() {
            for (a, z) in config.species.enumerated() where z < 0 || z >= pot.speciesCount {
                throw TrainingError.species(configuration: c, atom: a, species: z, count: pot.speciesCount)
            }
        }
    }

    public enum TrainingError: Error, CustomStringConvertible {
        case species(configuration: Int, atom: Int, species: Int, count: Int)
        case noData
        public var description: String {
            switch self {
            case let .species(c, a, z, n):
                return "configuration \(c + 1) (on this rank), atom \(a + 1): type \(z), but the potential has species_count \(n)"
            case .noData: return "the training set has no energies, forces or stresses to fit"
            }
        }
    }

    var linearCount: Int { potential.speciesCount + potential.basis.scalarCount }

    /// What does not depend on the parameters, computed at the first
    /// evaluation for as many configurations (in order) as the budget holds.
    func neighbourhoodCaches(_ ev: Evaluator) throws -> [NeighbourhoodCache?] {
        if let caches { return caches }
        var out: [NeighbourhoodCache?] = []
        var used = 0
        for (c, config) in configs.enumerated() {
            let bytes = NeighbourhoodCache.bytes(for: ev, config: config, neighbors: neighbors[c])
            if used + bytes <= cacheBudget {
                out.append(try NeighbourhoodCache(ev, config: config, neighbors: neighbors[c]))
                used += bytes
                cachedConfigurations += 1
            } else {
                out.append(nil)
            }
        }
        cacheBytes = used
        caches = out
        return out
    }

    /// Configurations with more atoms than this are evaluated block by
    /// block from their neighbour lists: their rows (about 14 kB per atom at
    /// level 8, more at higher levels) would neither stay in the processor's
    /// caches nor be small.
    var largestRebuilt = 4096

    /// The rows of configuration c: its kept cache, or else the one
    /// transient cache refilled for it (once per configuration and
    /// evaluation, read by every pass over that configuration); nil for a
    /// configuration too large for either.
    func neighbourhood(_ ev: Evaluator, _ c: Int) throws -> NeighbourhoodCache? {
        if let cache = try neighbourhoodCaches(ev)[c] { return cache }
        if configs[c].atomCount > largestRebuilt { return nil }
        if let t = transient {
            if t.tag != c { try t.refill(ev, config: configs[c], neighbors: neighbors[c], tag: c) }
            return t
        }
        let t = try NeighbourhoodCache(ev, config: configs[c], neighbors: neighbors[c], tag: c)
        transient = t
        return t
    }

    /// Energy, forces and virial of configuration c.
    func evaluate(_ ev: Evaluator, _ c: Int) throws -> EFS {
        if let rows = try neighbourhood(ev, c) { return try ev.evaluate(configs[c], cache: rows, workspace: workspace) }
        return try ev.evaluate(configs[c], neighbors: neighbors[c], workspace: workspace)
    }

    /// Loss and errors at the given parameters, identical on every rank.
    public func errors(at theta: [Double]) throws -> TrainingErrors {
        try timings.measure(\.loss) { try lossOnly(at: theta) }
    }

    func lossOnly(at theta: [Double]) throws -> TrainingErrors {
        var pot = potential
        pot.parameters = theta
        let ev = try Evaluator(pot)
        var local = [Double](repeating: 0, count: 6 * configs.count)
        for (c, config) in configs.enumerated() {
            let e = try evaluate(ev, c)
            let r = rows[c].residuals(model: e, reference: config)
            statistics(model: e, reference: config, residuals: r, into: &local, at: c)
        }
        return reduce(local, theta: theta)
    }

    /// Per configuration: loss, energy error^2 (eV/atom), force sq sum,
    /// force count, stress sq sum (GPa^2), stress count.
    func statistics(model e: EFS, reference config: Configuration, residuals r: [Double],
                    into local: inout [Double], at c: Int) {
        var l = 0.0
        for x in r { l += x * x }
        local[6 * c] = l
        if let er = config.energy {
            let d = (e.energy - er) / config.normalisationCount
            local[6 * c + 1] = d * d
        }
        if let fr = config.forces {
            for (a, b) in zip(e.forces, fr) { let d = a - b; local[6 * c + 2] += dot(d, d) }
            local[6 * c + 3] = Double(3 * fr.count)
        }
        if let wr = config.virial, config.pbc == .all, config.volume > 0 {
            let s = LabelErrors.gpaPerEVPerA3 / config.volume
            for (a, b) in zip(e.virial.voigt, wr.voigt) { local[6 * c + 4] += (a - b) * (a - b) * s * s }
            local[6 * c + 5] = 6
        }
    }

    /// The statistics of every rank, summed in configuration order.
    func reduce(_ local: [Double], theta: [Double]) -> TrainingErrors {
        let all = communicator.allGatherOrdered(local)
        var t = [Double](repeating: 0, count: 6)
        for c in 0..<(all.count / 6) {
            for x in 0..<6 { t[x] += all[6 * c + x] }
        }
        var loss = t[0]
        if options.ridge > 0 {
            let r = potential.radialCoeffCount
            for p in r..<theta.count { loss += options.ridge * theta[p] * theta[p] }
        }
        let withEnergy = configsWithEnergy
        return TrainingErrors(loss: loss,
                              energyRMSE: withEnergy > 0 ? (t[1] / Double(withEnergy)).squareRoot() * 1000 : .nan,
                              forceRMSE: t[3] > 0 ? (t[2] / t[3]).squareRoot() : .nan,
                              stressRMSE: t[5] > 0 ? (t[4] / t[5]).squareRoot() : .nan)
    }

    lazy var configsWithEnergy: Int = {
        let local = [Double(configs.filter { $0.energy != nil }.count)]
        return Int(communicator.allGatherOrdered(local).reduce(0, +))
    }()

    /// R of [J | r] over all ranks' rows, columns in `order` then the residual.
    func factor(at theta: [Double]) throws -> [Double] {
        try timings.measure(\.jacobian) { try jacobianFactor(at: theta) }
    }

    func jacobianFactor(at theta: [Double]) throws -> [Double] {
        var pot = potential
        pot.parameters = theta
        let ev = try Evaluator(pot)
        let p = pot.parameterCount
        let n = p + 1
        var qr = StreamingQR(columns: n)
        var permuted = [Double](repeating: 0, count: n)
        for (c, config) in configs.enumerated() {
            let (e, d) = try ev.derivatives(config, neighbors: neighbors[c])
            try rows[c].forEachRow(model: e, derivatives: d, reference: config) { row, residual in
                for (col, src) in order.enumerated() { permuted[col] = row[src] }
                permuted[p] = residual
                try qr.append(permuted)
            }
        }
        try qr.flush()
        let gathered = communicator.allGatherOrdered(qr.r)
        var factors: [[Double]] = []
        for rank in 0..<(gathered.count / (n * n)) {
            factors.append(Array(gathered[(rank * n * n)..<((rank + 1) * n * n)]))
        }
        var r = factors.count == 1 ? factors[0] : try StreamingQR.combine(factors, columns: n)
        if options.ridge > 0 {
            // Rows sqrt(ridge) * e_p with residual sqrt(ridge) * theta_p for the linear parameters.
            let sr = options.ridge.squareRoot()
            var extra: [[Double]] = [r]
            var ridgeRows = StreamingQR(columns: n)
            for col in 0..<linearCount {
                var row = [Double](repeating: 0, count: n)
                row[col] = sr
                row[p] = sr * theta[order[col]]
                try ridgeRows.append(row)
            }
            try ridgeRows.flush()
            extra.append(ridgeRows.r)
            r = try StreamingQR.combine(extra, columns: n)
        }
        return r
    }

    /// The damped step from R: minimise |R_J d + r1|^2 + lambda |D d|^2 with
    /// D the column norms of R_J (Marquardt scaling), by QR of the stacked
    /// system. Returns the step in parameter order.
    func step(_ r: [Double], lambda: Double) throws -> [Double] {
        let d = try Trainer.dampedSolution(r, lambda: lambda)
        var out = [Double](repeating: 0, count: d.count)
        for (col, src) in order.enumerated() { out[src] = d[col] }
        return out
    }

    /// The damped least-squares solution in column order, from the
    /// column-major triangular factor of [J | r].
    static func dampedSolution(_ r: [Double], lambda: Double) throws -> [Double] {
        let n = r.count.squareRootInt
        let p = n - 1
        var scale = [Double](repeating: 0, count: p)
        for c in 0..<p {
            var s = 0.0
            for row in 0...c { s += r[c * n + row] * r[c * n + row] }
            scale[c] = max(s.squareRoot(), 1e-300)
        }
        // Stack [R_J, -r1; sqrt(lambda) D, 0] as rows and factor.
        var q = StreamingQR(columns: n)
        var row = [Double](repeating: 0, count: n)
        for i in 0..<p {
            for c in 0..<p { row[c] = c >= i ? r[c * n + i] : 0 }
            row[p] = -r[p * n + i]
            try q.append(row)
        }
        let sl = lambda.squareRoot()
        for i in 0..<p {
            for c in 0..<n { row[c] = 0 }
            row[i] = sl * scale[i]
            try q.append(row)
        }
        try q.flush()
        let rr = q.r
        var rj = [Double](repeating: 0, count: p * p)
        var rhs = [Double](repeating: 0, count: p)
        for c in 0..<p { for i in 0...c { rj[c * p + i] = rr[c * n + i] } }
        for i in 0..<p { rhs[i] = rr[p * n + i] }
        return SmallLinearAlgebra.solveUpper(rj, n: p, rhs)
    }

    /// Condition number of the linear least-squares problem (species and
    /// moment coefficients) at the current radial coefficients.
    func linearCondition(_ r: [Double]) throws -> Double {
        let n = r.count.squareRootInt
        let l = linearCount
        var a = [Double](repeating: 0, count: l * l)
        for c in 0..<l { for i in 0...c { a[c * l + i] = r[c * n + i] } }
        let s = try SmallLinearAlgebra.singularValues(a, n: l)
        guard let hi = s.first, let lo = s.last, lo > 0 else { return .infinity }
        return hi / lo
    }

    /// Runs iterations from `state` (a fresh state when nil) until converged
    /// or `maxIterations`; calls `progress` after each iteration and
    /// `checkpoint` with the state to save.
    public func run(from start: TrainerState? = nil,
                    progress: (IterationReport) -> Void = { _ in },
                    checkpoint: (TrainerState) throws -> Void = { _ in }) throws -> TrainerState {
        if options.optimizer == .bfgs { return try runBFGS(from: start, progress: progress, checkpoint: checkpoint) }
        var state = start ?? TrainerState(parameters: potential.parameters)
        let clock = ContinuousClock()
        if state.loss == .infinity {
            state.loss = try errors(at: state.parameters).loss
            state.lossEvaluations += 1
        }
        while state.iteration < options.maxIterations && !state.converged {
            let t0 = clock.now
            let r = try factor(at: state.parameters)
            state.jacobianPasses += 1
            let cond = try linearCondition(r)
            var accepted = false
            var trial = TrainingErrors(loss: state.loss, energyRMSE: .nan, forceRMSE: .nan, stressRMSE: .nan)
            while !accepted && state.lambda < 1e16 {
                let d = try step(r, lambda: state.lambda)
                var theta = state.parameters
                for x in theta.indices { theta[x] += d[x] }
                trial = try errors(at: theta)
                state.lossEvaluations += 1
                if trial.loss.isFinite && trial.loss < state.loss {
                    let decrease = (state.loss - trial.loss) / max(state.loss, 1e-300)
                    var moved = potential
                    moved.parameters = theta
                    state.parameters = gauge.normalised(moved).parameters
                    state.loss = trial.loss
                    state.lambda = max(state.lambda / 3, 1e-12)
                    accepted = true
                    if decrease < options.tolerance { state.converged = true }
                } else {
                    state.lambda *= 4
                }
            }
            if !accepted { state.converged = true }
            state.iteration += 1
            potential.parameters = state.parameters
            let elapsed = clock.now - t0
            if !accepted { trial = try errors(at: state.parameters) }
            progress(IterationReport(state: state, errors: trial,
                                     seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                                     conditionNumber: cond))
            try checkpoint(state)
        }
        potential.parameters = state.parameters
        return state
    }
}

extension Int {
    /// The integer square root of a perfect square.
    var squareRootInt: Int { Int(Double(self).squareRoot().rounded()) }
}

/// Wall and CPU time spent in each kind of pass over the training data, so
/// that users (and the benchmarks) see the cost of one evaluation.
public struct PassTimings: Codable, Sendable {
    public struct Tally: Codable, Sendable {
        public var count = 0
        public var wall = 0.0
        public var cpu = 0.0
        public var wallPerPass: Double { count > 0 ? wall / Double(count) : .nan }
        public var cpuPerPass: Double { count > 0 ? cpu / Double(count) : .nan }
    }
    /// Loss only (trial points of Levenberg-Marquardt, final errors).
    public var loss = Tally()
    /// Loss and gradient (BFGS).
    public var gradient = Tally()
    /// Jacobian passes (Levenberg-Marquardt, the linear solve).
    public var jacobian = Tally()

    mutating func measure<T>(_ which: WritableKeyPath<PassTimings, Tally>, _ body: () throws -> T) rethrows -> T {
        let w0 = DispatchTime.now().uptimeNanoseconds, c0 = PassTimings.cpuSeconds()
        let out = try body()
        self[keyPath: which].count += 1
        self[keyPath: which].wall += Double(DispatchTime.now().uptimeNanoseconds - w0) * 1e-9
        self[keyPath: which].cpu += PassTimings.cpuSeconds() - c0
        return out
    }

    /// CPU time of this process (all threads).
    static func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
