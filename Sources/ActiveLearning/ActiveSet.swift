import Foundation
import Atomistic
import MTP
import Parallel
import TrainingStore

/// How an active set is chosen.
public struct ActiveSetOptions: Equatable, Sendable {
    public var rows: RowSettings
    /// Singular values of the training rows (every parameter column scaled
    /// to unit norm) at or below this fraction of the largest count as zero.
    /// The rows of an MTP are exactly rank deficient: scaling radial function
    /// mu by s and every moment coefficient by s^-(number of times mu occurs
    /// in its basis function) leaves every energy unchanged, so each
    /// radial function contributes one direction no row can ever have a
    /// component along; those directions must be left out, not inverted.
    public var rankTolerance: Double
    /// MaxVol stops when no training row has a coefficient above 1 + this.
    public var swapTolerance: Double

    public init(rows: RowSettings = .configuration, rankTolerance: Double = 1e-13, swapTolerance: Double = 1e-9) {
        self.rows = rows
        self.rankTolerance = rankTolerance
        self.swapTolerance = swapTolerance
    }
}

/// Errors of building or using an active set that the user can act on.
public struct ActiveSetError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// The extrapolation grade of configurations with respect to a training set
/// (Podryabinkin and Shapeev's MaxVol active learning, as MLIP's
/// `calc-grade`): the training rows (parameter derivatives of the energy per
/// atom, of the forces, stresses or site energies, see `RowSettings`) span a
/// space; MaxVol picks as many of them as that space has dimensions, the
/// rows A of largest volume; a new row b is then written as b = c A, and
/// gamma = max_j |c_j| says how far outside the training data it lies
/// (<= 1: interpolation; above 1: extrapolation by that factor).
///
/// A configuration's grade is the largest gamma of its rows. Computing it
/// costs one energy-gradient evaluation (plus site gradients in
/// neighbourhood mode) and a product with a parameters x rank matrix, cheap
/// enough to call at every molecular-dynamics step:
///
///     let set = try ActiveSet.load(path: "pot.mtp.activeset", potential: pot)
///     let gamma = try set.grade(of: config)   // > 5: stop; > 1.001: keep for labelling
///
/// An `ActiveSet` reuses evaluation buffers between calls: use one per
/// thread.
public struct ActiveSet {
    public let potential: Potential
    public let options: ActiveSetOptions
    /// The training rows of the set, position j holding row j of A.
    public let selected: [RowLabel]
    /// Dimension of the spanned parameter space (number of rows in the set).
    public var rank: Int { selected.count }
    public let potentialDigest: UInt64
    public let trainingDigest: UInt64
    public let trainingCount: Int
    /// Largest grade among the training rows after MaxVol (1 up to the swap tolerance).
    public let maxTrainingCoefficient: Double
    /// Parameters whose column is identically zero over the training rows
    /// (for example the coefficients of species absent from the training
    /// set). A row touching one of them lies outside the training space
    /// altogether and grades +infinity.
    public let zeroParameters: [Int]
    /// Nonzero parameter columns minus rank: the directions left out.
    public let droppedDirections: Int
    /// Singular values of the training rows (unit-norm parameter columns),
    /// divided by the largest: the first `rank` were kept.
    public let singularValues: [Double]
    public var smallestKept: Double { singularValues[rank - 1] }
    public var largestDropped: Double { rank < singularValues.count ? singularValues[rank] : 0 }

    /// P x r: raw rows to coordinates in the basis of the rows of the set.
    let projection: [Double]
    /// r x r: the rows of the set in projected coordinates.
    let active: [Double]
    /// Raw rows to coefficients: c = (b projection) A^-1.
    let projector: Projector
    let factors: LUFactors
    let maker: RowMaker

    public var parameterCount: Int { potential.parameterCount }

    init(potential: Potential, options: ActiveSetOptions, selected: [RowLabel], potentialDigest: UInt64,
         trainingDigest: UInt64, trainingCount: Int, maxTrainingCoefficient: Double, zeroParameters: [Int],
         droppedDirections: Int, singularValues: [Double],
         projection: [Double], active: [Double]) throws {
        self.potential = potential
        self.options = options
        self.selected = selected
        self.potentialDigest = potentialDigest
        self.trainingDigest = trainingDigest
        self.trainingCount = trainingCount
        self.maxTrainingCoefficient = maxTrainingCoefficient
        self.zeroParameters = zeroParameters
        self.droppedDirections = droppedDirections
        self.singularValues = singularValues
        self.projection = projection
        self.active = active
        BLASThreads.useOne()
        projector = Projector(parameters: potential.parameterCount, rank: selected.count, projection: projection)
        factors = try LUFactors(rowMajor: active, n: selected.count)
        maker = RowMaker(evaluator: try Evaluator(potential), settings: options.rows)
    }

    // MARK: - Grades

    /// The grade of one configuration and, in neighbourhood mode, of each atom.
    public struct Grades: Sendable {
        public var grade: Double
        /// Per atom: the largest grade of its neighbourhood row (nil without neighbourhood rows).
        public var atoms: [Double]?
    }

    /// The extrapolation grade gamma of `config`: at most 1 (up to rounding)
    /// inside the training data, above 1 outside it.
    public func grade(of config: Configuration) throws -> Double {
        try grades(of: config).grade
    }

    public func grades(of config: Configuration) throws -> Grades {
        var rows: [Double] = []
        var labels: [RowLabel]? = []
        let k = try maker.append(config, index: 0, to: &rows, labels: &labels)
        let gammas = rowGrades(rows, count: k)
        var atoms: [Double]? = options.rows.nbhWeight > 0 ? [Double](repeating: 0, count: config.atomCount) : nil
        for (q, l) in labels!.enumerated() where l.kind == .neighbourhood {
            atoms![l.atom] = max(atoms![l.atom], gammas[q])
        }
        return Grades(grade: gammas.max() ?? 0, atoms: atoms)
    }

    /// gamma of each of `count` raw rows.
    func rowGrades(_ rows: [Double], count k: Int) -> [Double] {
        let c = coefficients(rows, count: k)
        let r = rank, P = parameterCount
        var out = [Double](repeating: 0, count: k)
        for q in 0..<k {
            var m = 0.0
            for j in 0..<r { m = max(m, abs(c[q * r + j])) }
            for p in zeroParameters where rows[q * P + p] != 0 { m = .infinity }
            out[q] = m
        }
        return out
    }

    /// C = (B M) A^-1: each raw row as a combination of the rows of the set.
    func coefficients(_ rows: [Double], count k: Int) -> [Double] {
        var c = projector.project(rows, count: k)
        c.withUnsafeMutableBufferPointer { cp in
            for q in 0..<k { factors.solveRight(cp.baseAddress! + q * rank) }
        }
        return c
    }

    // MARK: - Building

    /// Builds the active set of a training set split over the ranks of
    /// `communicator` (nil: one process). Each rank passes its contiguous
    /// shard `local`, the configurations `first..<first + local.count` of
    /// `totalCount`. Every rank computes its rows; the rows are gathered in
    /// configuration order and rank 0 runs the (deterministic) selection and
    /// broadcasts it, so the set does not depend on the number of ranks.
    /// Every rank must call it; every rank gets the same set.
    public static func build(potential: Potential, local: [Configuration], first: Int, totalCount: Int,
                             options: ActiveSetOptions, communicator comm: Communicator? = nil) throws -> ActiveSet {
        guard options.rows.isValid else { throw ActiveSetError("row weights must be non-negative and at least one positive") }
        let evaluator = try Evaluator(potential)
        let P = potential.parameterCount
        let maker = RowMaker(evaluator: evaluator, settings: options.rows)
        var rows: [Double] = []
        var labels: [RowLabel]? = []
        var failure: String? = nil
        for (n, c) in local.enumerated() {
            do { try maker.append(c, index: first + n, to: &rows, labels: &labels) } catch {
                failure = "configuration \(first + n + 1): \(error)"
                break
            }
        }
        // Ranks agree on failure before any collective that would wait for a failed rank.
        if let comm {
            if let message = Collective.firstFailure(failure, comm) { throw ActiveSetError(message) }
        } else if let failure { throw ActiveSetError(failure) }

        let digest = trainingDigest(local: local, communicator: comm)
        var flatLabels: [Double] = []
        flatLabels.reserveCapacity(4 * labels!.count)
        for l in labels! { flatLabels += [Double(l.configuration), Double(l.kind.rawValue), Double(l.atom), Double(l.component)] }
        let allRows = comm.map { $0.allGatherOrdered(rows) } ?? rows
        let allLabels = comm.map { $0.allGatherOrdered(flatLabels) } ?? flatLabels
        let m = allRows.count / P

        // Rank 0 selects; the others receive the result.
        let payload: [Double]
        do {
            payload = try Collective.doublesFromRoot(comm) { try select(rows: allRows, count: m, parameters: P, options: options) }
        } catch let e as CollectiveFailure { throw ActiveSetError(e.message) } catch { throw ActiveSetError("\(error)") }
        // payload: r, zeroCount, maxCoefficient, dropped,
        // selected rows (r), zero parameters, projection (P r), active (r r), singular values.
        let r = Int(payload[0]), z = Int(payload[1])
        var o = 4
        let rowIndex = payload[o..<(o + r)].map { Int($0) }; o += r
        let zero = payload[o..<(o + z)].map { Int($0) }; o += z
        let projection = Array(payload[o..<(o + P * r)]); o += P * r
        let active = Array(payload[o..<(o + r * r)]); o += r * r
        let spectrum = Array(payload[o...])
        let selected = rowIndex.map { q in
            RowLabel(configuration: Int(allLabels[4 * q]), kind: RowLabel.Kind(rawValue: Int(allLabels[4 * q + 1]))!,
                     atom: Int(allLabels[4 * q + 2]), component: Int(allLabels[4 * q + 3]))
        }
        return try ActiveSet(potential: potential, options: options, selected: selected,
                             potentialDigest: potentialDigest(potential), trainingDigest: digest,
                             trainingCount: totalCount, maxTrainingCoefficient: payload[2], zeroParameters: zero,
                             droppedDirections: Int(payload[3]), singularValues: spectrum,
                             projection: projection, active: active)
    }

    /// The selection on the gathered rows (m x P, row-major), flattened for broadcasting.
    static func select(rows b: [Double], count m: Int, parameters P: Int, options: ActiveSetOptions) throws -> [Double] {
        guard m > 0 else { throw ActiveSetError("the training set gives no rows (no atoms, or only stress rows of non-periodic cells)") }
        // One thread: OpenBLAS splits work by its thread count, which
        // follows the CPUs mpirun binds a rank to; the set must not depend
        // on how the job was launched.
        BLASThreads.useOne()
        // Columns to unit norm, so that the rank decision does not depend on
        // the units of each parameter; identically zero columns are set aside.
        var norm = [Double](repeating: 0, count: P)
        for i in 0..<m { for p in 0..<P { norm[p] += b[i * P + p] * b[i * P + p] } }
        let kept = (0..<P).filter { norm[$0] > 0 }
        let zero = (0..<P).filter { norm[$0] == 0 }
        guard !kept.isEmpty else { throw ActiveSetError("every training row is zero") }
        for p in kept { norm[p] = norm[p].squareRoot() }
        let pk = kept.count
        var scaled = [Double](repeating: 0, count: m * pk)
        for i in 0..<m { for (c, p) in kept.enumerated() { scaled[i * pk + c] = b[i * P + p] / norm[p] } }
        let (sigma, v) = try Dense.rightSingular(&scaled, rows: m, cols: pk)
        let k = sigma.count
        let top = sigma[0]
        guard top > 0 else { throw ActiveSetError("every training row is zero") }
        let r = sigma.filter { $0 > options.rankTolerance * top }.count
        // projection[p][c] = V[p][c] / (norm_p sigma_c): training rows map to
        // orthonormal columns, a well-conditioned matrix for MaxVol.
        var projection = [Double](repeating: 0, count: P * r)
        for (c0, p) in kept.enumerated() {
            for c in 0..<r { projection[p * r + c] = v[c0 * k + c] / (norm[p] * sigma[c]) }
        }
        let u = Projector(parameters: P, rank: r, projection: projection).project(b, count: m)
        let result = try MaxVol.select(u, rows: m, cols: r, tolerance: options.swapTolerance, maxSwaps: 100 * r + 1000)
        var active = [Double](repeating: 0, count: r * r)
        for (j, row) in result.selected.enumerated() { for c in 0..<r { active[j * r + c] = u[row * r + c] } }
        var payload: [Double] = [Double(r), Double(zero.count), result.maxCoefficient, Double(pk - r)]
        payload += result.selected.map(Double.init)
        payload += zero.map(Double.init)
        payload += projection
        payload += active
        payload += sigma.map { $0 / top }
        return payload
    }

    // MARK: - Digests

    /// A fingerprint of the model: shape, basis and every parameter's bits.
    public static func potentialDigest(_ p: Potential) -> UInt64 {
        var h = FNV()
        h.mix(UInt64(p.speciesCount)); h.mix(UInt64(p.radialBasisSize)); h.mix(UInt64(p.radialFuncsCount))
        h.mix(p.scaling); h.mix(p.minDist); h.mix(p.maxDist)
        h.mix(UInt64(p.basis.momentsCount))
        for b in p.basis.basic { h.mix(UInt64(b.mu)); h.mix(UInt64(b.a)); h.mix(UInt64(b.b)); h.mix(UInt64(b.c)) }
        for t in p.basis.contractions { h.mix(UInt64(t.i)); h.mix(UInt64(t.j)); h.mix(UInt64(t.mult)); h.mix(UInt64(t.k)) }
        for s in p.basis.scalarSlots { h.mix(UInt64(s)) }
        for x in p.parameters { h.mix(x) }
        return h.value
    }

    /// A fingerprint of a training set split over ranks (collective when
    /// `communicator` is given): the configurations' digests in order.
    public static func trainingDigest(local: [Configuration], communicator comm: Communicator?) -> UInt64 {
        let mine = local.map { Double(bitPattern: ConfigurationDigest.of($0)) }
        let all = comm.map { $0.allGatherOrdered(mine) } ?? mine
        var h = FNV()
        h.mix(UInt64(all.count))
        for d in all { h.mix(d.bitPattern) }
        return h.value
    }
}

/// FNV-1a over 64-bit words, byte by byte.
struct FNV {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func mix(_ x: UInt64) {
        var v = x
        for _ in 0..<8 { value ^= v & 0xff; value = value &* 0x100_0000_01b3; v >>= 8 }
    }
    mutating func mix(_ d: Double) { mix(d.bitPattern) }
}
