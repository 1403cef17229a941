import Foundation
import Atomistic
import MTP
import Parallel

/// The training problem on this rank's configurations: losses, errors,
/// gradients and the Jacobian's triangular factor, identical on every rank.
/// The optimizers (`Optimizer`) move its parameters; `Fit` drives a whole
/// fit from data to a trained potential.
///
/// Losses are sums of per-configuration terms in a fixed tree over
/// configuration index (`FixedOrderSum`), and the Jacobian's factor is
/// combined from fixed blocks of configurations in a fixed tree
/// (`factor(at:)`), so neither depends on the number of ranks.
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
    private var caches: [NeighborhoodCache?]? = nil
    private var transient: NeighborhoodCache? = nil
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
    func neighbourhoodCaches(_ ev: Evaluator) throws -> [NeighborhoodCache?] {
        if let caches { return caches }
        var out: [NeighborhoodCache?] = []
        var used = 0
        for (c, config) in configs.enumerated() {
            let bytes = NeighborhoodCache.bytes(for: ev, config: config, neighbors: neighbors[c])
            if used + bytes <= cacheBudget {
                out.append(try NeighborhoodCache(ev, config: config, neighbors: neighbors[c]))
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
    func neighbourhood(_ ev: Evaluator, _ c: Int) throws -> NeighborhoodCache? {
        if let cache = try neighbourhoodCaches(ev)[c] { return cache }
        if configs[c].atomCount > largestRebuilt { return nil }
        if let t = transient {
            if t.tag != c { try t.refill(ev, config: configs[c], neighbors: neighbors[c], tag: c) }
            return t
        }
        let t = try NeighborhoodCache(ev, config: configs[c], neighbors: neighbors[c], tag: c)
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

    /// One loss pass at `theta`; `each` sees every configuration's model
    /// values (the final evaluation collects its per-group errors there).
    func lossOnly(at theta: [Double], each: (Int, EFS) -> Void = { _, _ in }) throws -> TrainingErrors {
        var pot = potential
        pot.parameters = theta
        let ev = try Evaluator(pot)
        var local = [Double](repeating: 0, count: 6 * configs.count)
        for (c, config) in configs.enumerated() {
            let e = try evaluate(ev, c)
            let r = rows[c].residuals(model: e, reference: config)
            statistics(model: e, reference: config, residuals: r, into: &local, at: c)
            each(c, e)
        }
        return try reduce(local, theta: theta)
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

    /// The statistics of every rank (6 per configuration), summed in the
    /// fixed order of `FixedOrderSum` (the same under any number of ranks).
    func reduce(_ local: [Double], theta: [Double]) throws -> TrainingErrors {
        finish(try FixedOrderSum.sum(local, width: 6, layout: configurationLayout, communicator: communicator), theta: theta)
    }

    /// One configuration per block, over the ranks (collective the first time).
    lazy var configurationLayout = BlockLayout(localCount: configs.count, blockSize: 1, communicator: communicator)

    /// Errors and loss from the six totals of the statistics.
    func finish(_ t: [Double], theta: [Double]) -> TrainingErrors {
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

    /// R of [J | r] over all ranks' rows, columns in `order` then the
    /// residual, identical on every rank and under any number of ranks: the
    /// R of each fixed block of configurations (`factorLayout`), combined in
    /// a fixed binary tree over block index (`FactorTree`), the ridge rows
    /// added last (`combine`). Per rank: O(n^2 log blocks) memory (the
    /// bound is in `FactorTree`), O(log blocks) messages of n^2 / 2 doubles.
    func factor(at theta: [Double]) throws -> [Double] {
        try timings.measure(\.jacobian) { try combine([try treeFactor(at: theta)], theta: theta) }
    }

    /// The rows per block of the factor: about `factorBlockRows` x n on
    /// average (whole configurations). With blocks of n rows, a block's QR
    /// (n x n, 4/3 n^3 flops) and its combination with a neighbour (the
    /// triangular-pentagonal QR of two triangles, 2/3 n^3) cost less than
    /// folding the same n rows into a running R (a 2n x n QR, 10/3 n^3);
    /// and a block's rows, sent whole to its owner when it straddles two
    /// ranks, stay as small as a factor.
    static let factorBlockRows = 1

    /// Fixed blocks of configurations for the factor: the block size
    /// depends only on the whole data set and n (collective the first time).
    lazy var factorLayout: BlockLayout = {
        var totals = [Double(rows.reduce(0) { $0 + $1.count })]
        communicator.allReduceSum(&totals)   // a sum of integers: exact
        let all = BlockLayout(localCount: configs.count, blockSize: 1, communicator: communicator)
        let n = potential.parameterCount + 1
        let perConfiguration = max(totals[0] / Double(max(all.itemCount, 1)), 1)
        let size = Int((Double(Trainer.factorBlockRows * n) / perConfiguration).rounded(.up))
        return BlockLayout(counts: (0..<all.rankCount).map { all.starts[$0 + 1] - all.starts[$0] },
                           blockSize: min(max(size, 1), max(all.itemCount, 1)), rank: communicator.rank)
    }()

    /// R of [J | r] without the ridge rows, by the fixed block tree.
    public func treeFactor(at theta: [Double]) throws -> [Double] {
        var pot = potential
        pot.parameters = theta
        let ev = try Evaluator(pot)
        let n = pot.parameterCount + 1
        let layout = factorLayout
        let first = layout.localItems.lowerBound
        func local(_ items: Range<Int>) -> Range<Int> { (items.lowerBound - first)..<(items.upperBound - first) }
        return try FactorTree.reduce(layout, columns: n, communicator: communicator,
                                     rowCount: { items in local(items).reduce(0) { $0 + rows[$1].count } },
                                     rows: { items, body in try forEachPermutedRow(ev, configurations: local(items), body) })
    }

    /// Every row [J | r] of the configurations (local indices), in order,
    /// columns permuted to `order` then the residual.
    func forEachPermutedRow(_ ev: Evaluator, configurations: Range<Int>,
                            _ body: (UnsafeBufferPointer<Double>) throws -> Void) throws {
        let p = potential.parameterCount
        var permuted = [Double](repeating: 0, count: p + 1)
        let workspace = JacobianWorkspace()
        for c in configurations {
            let (e, d) = try ev.derivatives(configs[c], neighbors: neighbors[c], workspace: workspace)
            try rows[c].forEachRow(model: e, derivatives: d, reference: configs[c]) { row, residual in
                for (col, src) in order.enumerated() { permuted[col] = row[src] }
                permuted[p] = residual
                try permuted.withUnsafeBufferPointer { try body($0) }
            }
        }
    }

    /// Seconds a local factor spent on the derivatives of the labelled
    /// quantities and on the QR of their rows: the two costs grow
    /// differently with the basis (`PhaseBenchmark` reports them apart).
    struct LocalFactorTimes {
        var derivatives = 0.0
        var qr = 0.0
    }

    /// R of this rank's rows [J | r] (streaming QR, column-major, n x n with
    /// n = parameters + 1), the first of the three parts of the former
    /// Jacobian pass (then `gathered`, `combine`), kept to compare the
    /// combinations (`PhaseBenchmark`, benchmarks/solve).
    public func localFactor(at theta: [Double]) throws -> [Double] {
        var times = LocalFactorTimes()
        return try localFactor(at: theta, times: &times)
    }

    /// `localFactor(at:)`, adding its derivative and QR seconds to `times`
    /// (clock readings per configuration only: the same arithmetic).
    func localFactor(at theta: [Double], times: inout LocalFactorTimes) throws -> [Double] {
        var pot = potential
        pot.parameters = theta
        let ev = try Evaluator(pot)
        let p = pot.parameterCount
        let n = p + 1
        var qr = StreamingQR(columns: n)
        var permuted = [Double](repeating: 0, count: n)
        let clock = ContinuousClock()
        let workspace = JacobianWorkspace()
        for (c, config) in configs.enumerated() {
            let t0 = clock.now
            let (e, d) = try ev.derivatives(config, neighbors: neighbors[c], workspace: workspace)
            let t1 = clock.now
            try rows[c].forEachRow(model: e, derivatives: d, reference: config) { row, residual in
                for (col, src) in order.enumerated() { permuted[col] = row[src] }
                permuted[p] = residual
                try qr.append(permuted)
            }
            times.derivatives += ProcessTime.seconds(t1 - t0)
            times.qr += ProcessTime.seconds(clock.now - t1)
        }
        let t2 = clock.now
        try qr.flush()
        times.qr += ProcessTime.seconds(clock.now - t2)
        return qr.r
    }

    /// Every rank's local factor, in rank order, on every rank.
    public func gathered(_ localR: [Double]) -> [[Double]] {
        let n = localR.count.squareRootInt
        let gathered = communicator.allGatherOrdered(localR)
        var factors: [[Double]] = []
        for rank in 0..<(gathered.count / (n * n)) {
            factors.append(Array(gathered[(rank * n * n)..<((rank + 1) * n * n)]))
        }
        return factors
    }

    /// R of the whole problem from the ranks' factors (TSQR in rank order),
    /// with the ridge rows of the linear parameters at `theta` when
    /// `options.ridge` > 0; identical on every rank.
    public func combine(_ factors: [[Double]], theta: [Double]) throws -> [Double] {
        let p = potential.parameterCount
        let n = p + 1
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

    /// Runs the chosen optimizer (`options.optimizer`) from `start` (a
    /// fresh state when nil) until converged or `maxIterations`; calls
    /// `progress` after each iteration and `checkpoint` with what to save.
    public func run(from start: SavedFit? = nil,
                    progress: (IterationReport) -> Void = { _ in },
                    checkpoint: (SavedFit) throws -> Void = { _ in }) throws -> TrainerState {
        try Optimizers.run(self, from: start, progress: progress, checkpoint: checkpoint)
    }

    /// `theta` moved along the radial-scaling symmetry to unit radial norms
    /// (`Gauge`): the same energies, a better conditioned linear problem.
    func normalised(_ theta: [Double]) -> [Double] {
        var moved = potential
        moved.parameters = theta
        return gauge.normalised(moved).parameters
    }
}
