import Foundation
import Atomistic
import Reference

/// Which degrees of freedom a relaxation moves. The bracketed names are the
/// ASSYST stages the modes serve.
public enum RelaxationMode: String, Sendable, CaseIterable {
    case volume            // isotropic cell scaling only (fractional coordinates fixed)  [VOLMIN]
    case cellShape         // full cell, fractional coordinates fixed                      [CELLMIN]
    case positions         // atoms only, cell fixed                                       [INTMIN]
    case positionsAndVolume  // atoms + isotropic volume (vacancy relaxations)
    case positionsAndCell    // atoms + full cell
    /// Atoms plus the length of the third cell vector: the first two rows
    /// (the slab's lateral cell) stay exactly as they are.
    case positionsLateralFixed

    var movesAtoms: Bool {
        switch self {
        case .volume, .cellShape: return false
        case .positions, .positionsAndVolume, .positionsAndCell, .positionsLateralFixed: return true
        }
    }

    var movesCell: Bool { self != .positions }
}

public struct RelaxationOptions: Sendable {
    public var mode: RelaxationMode
    public var forceTolerance: Double = 1e-3   // eV/A, max atomic force
    public var stressTolerance: Double = 1e-4  // eV/A^3 on the relaxed stress components (when the cell moves)
    public var maxSteps: Int = 2000
    public var pressure: Double = 0            // eV/A^3
    /// Largest displacement of any atom in one step (A), and the largest
    /// strain component of one cell step: FIRE's step limit, which keeps a
    /// relaxation that starts far from equilibrium from flinging atoms.
    public var maxStep: Double = 0.2
    public var maxStrainStep: Double = 0.02

    public init(mode: RelaxationMode, forceTolerance: Double = 1e-3, stressTolerance: Double = 1e-4, maxSteps: Int = 2000, pressure: Double = 0) {
        self.mode = mode
        self.forceTolerance = forceTolerance
        self.stressTolerance = stressTolerance
        self.maxSteps = maxSteps
        self.pressure = pressure
    }
}

public struct RelaxationResult: Sendable {
    public var configuration: Configuration  // relaxed, labelled with its final energy/forces/virial
    public var labels: Labels
    public var steps: Int
    public var converged: Bool
    public var maxDisplacement: Double       // largest atomic displacement from the start (A), cell change removed (fractional difference mapped through the final cell, minimum image)
}

/// Relaxations that went wrong in a way the caller should discard rather
/// than label: the structure is not a sensible member of a training set.
public enum RelaxationError: Error, CustomStringConvertible {
    /// The calculator refused a geometry because atoms came too close.
    case overlappingAtoms(step: Int, detail: String)
    /// The volume left [start / 10, start * 10]: the cell is collapsing or exploding.
    case runawayCell(step: Int, volumeRatio: Double)
    case nonFinite(step: Int, what: String)
    /// Cell modes need a cell periodic along all three axes.
    case needsPeriodicCell(RelaxationMode)
    /// Any other calculator failure (unknown species, ...).
    case calculatorFailed(step: Int, detail: String)

    public var description: String {
        switch self {
        case let .overlappingAtoms(step, detail): return "relaxation step \(step): overlapping atoms (\(detail))"
        case let .runawayCell(step, ratio):
            return "relaxation step \(step): runaway cell (volume \(String(format: "%.3g", ratio)) times the starting volume)"
        case let .nonFinite(step, what): return "relaxation step \(step): non-finite \(what)"
        case .needsPeriodicCell(let mode): return "relaxation mode \(mode.rawValue) moves the cell, which needs periodicity along all three axes"
        case let .calculatorFailed(step, detail): return "relaxation step \(step): \(detail)"
        }
    }
}

/// Relaxes with FIRE (Bitzek et al., PRL 97, 170201 (2006), with the
/// half-step correction of FIRE 2.0 on uphill steps): robust far from
/// equilibrium, where random and strongly strained structures start, and
/// needs nothing but forces.
///
/// The cell moves by strain steps applied to cell and atoms together, so
/// fractional coordinates only change through atomic steps. A strain
/// direction M (a 3x3 matrix) has the generalised force -dH/dq =
/// W : M - P V tr(M) with H = E + P V and W = -dE/d(strain) the virial. The
/// strain coordinate is scaled by L = sqrt(N) (V/N)^(1/3), which makes the
/// curvature along it comparable to an atom's, so one FIRE time step suits
/// both. Convergence: every atomic force below `forceTolerance`, and along
/// every cell direction the stress residual (W : M / V - P tr M) / |M|^2
/// (for the axes simply sigma_aa + P and sigma_ab) below `stressTolerance`.
public func relax(_ config: Configuration, with calculator: Calculator, options: RelaxationOptions) throws -> RelaxationResult {
    let mode = options.mode
    if mode.movesCell && !(config.pbc.x && config.pbc.y && config.pbc.z) {
        throw RelaxationError.needsPeriodicCell(mode)
    }
    let n = config.atomCount
    var current = config
    current.energy = nil; current.forces = nil; current.virial = nil
    let startVolume = config.volume

    // FIRE parameters (the usual ones).
    let nMin = 5, fInc = 1.1, fDec = 0.5, alphaStart = 0.1, fAlpha = 0.99
    let dtMax = 1.0
    var dt = 0.1, alpha = alphaStart, sincePositive = 0
    let atomDOF = mode.movesAtoms ? 3 * n : 0
    var velocity: [Double] = []
    var step = 0

    while true {
        let labels: Labels
        do { labels = try calculator.calculate(current) } catch {
            throw classify(error, step: step)
        }
        guard labels.energy.isFinite else { throw RelaxationError.nonFinite(step: step, what: "energy") }
        guard labels.forces.allSatisfy({ $0.x.isFinite && $0.y.isFinite && $0.z.isFinite }) else {
            throw RelaxationError.nonFinite(step: step, what: "forces")
        }
        guard labels.virial.voigt.allSatisfy(\.isFinite) else { throw RelaxationError.nonFinite(step: step, what: "virial") }

        let volume = current.volume
        let directions = mode.movesCell ? strainDirections(mode, cell: current.cell) : []
        let w = labels.virial.matrix
        let scale = mode.movesCell ? Double(max(n, 1)).squareRoot() * cbrt(volume / Double(max(n, 1))) : 1
        var cellForce = [Double](repeating: 0, count: directions.count)
        var stressResidual = 0.0
        for (k, m) in directions.enumerated() {
            var wm = 0.0, trace = 0.0, norm2 = 0.0
            for a in 0..<3 {
                trace += m[a][a]
                for b in 0..<3 { wm += w[a][b] * m[a][b]; norm2 += m[a][b] * m[a][b] }
            }
            let g = wm - options.pressure * volume * trace
            cellForce[k] = g / scale
            stressResidual = max(stressResidual, abs(g / (volume * norm2)))
        }
        let maxForce = mode.movesAtoms ? labels.forces.map { norm($0) }.max() ?? 0 : 0
        let converged = maxForce < options.forceTolerance && stressResidual < options.stressTolerance
        if converged || step >= options.maxSteps {
            return RelaxationResult(configuration: current.labelled(with: labels), labels: labels, steps: step,
                                    converged: converged, maxDisplacement: maxDisplacement(from: config, to: current))
        }

        // Generalised force: atoms (Cartesian) then cell strain coordinates.
        var force = [Double](repeating: 0, count: atomDOF + directions.count)
        if mode.movesAtoms {
            for a in 0..<n { force[3 * a] = labels.forces[a].x; force[3 * a + 1] = labels.forces[a].y; force[3 * a + 2] = labels.forces[a].z }
        }
        for k in 0..<directions.count { force[atomDOF + k] = cellForce[k] }

        if velocity.isEmpty {
            velocity = [Double](repeating: 0, count: force.count)
        } else {
            var power = 0.0, vv = 0.0, ff = 0.0
            for q in 0..<force.count { power += force[q] * velocity[q]; vv += velocity[q] * velocity[q]; ff += force[q] * force[q] }
            if power > 0 {
                let mix = ff > 0 ? alpha * (vv / ff).squareRoot() : 0
                for q in 0..<force.count { velocity[q] = (1 - alpha) * velocity[q] + mix * force[q] }
                if sincePositive > nMin { dt = min(dt * fInc, dtMax); alpha *= fAlpha }
                sincePositive += 1
            } else {
                // Uphill: step half back, stop, and slow down.
                var back = [Double](repeating: 0, count: force.count)
                for q in 0..<force.count { back[q] = -0.5 * dt * velocity[q] }
                apply(back, to: &current, atomDOF: atomDOF, directions: directions, scale: scale)
                for q in 0..<force.count { velocity[q] = 0 }
                dt *= fDec; alpha = alphaStart; sincePositive = 0
            }
        }
        for q in 0..<force.count { velocity[q] += dt * force[q] }
        var move = velocity.map { dt * $0 }
        // Step limits: the largest atomic displacement and strain component.
        var limit = 1.0
        for a in 0..<(atomDOF / 3) {
            let d = (move[3 * a] * move[3 * a] + move[3 * a + 1] * move[3 * a + 1] + move[3 * a + 2] * move[3 * a + 2]).squareRoot()
            if d * limit > options.maxStep { limit = options.maxStep / d }
        }
        for k in 0..<directions.count {
            let e = abs(move[atomDOF + k]) / scale
            if e * limit > options.maxStrainStep { limit = options.maxStrainStep / e }
        }
        if limit < 1 { for q in 0..<move.count { move[q] *= limit } }
        apply(move, to: &current, atomDOF: atomDOF, directions: directions, scale: scale)
        step += 1

        if mode.movesCell {
            let ratio = current.volume / startVolume
            guard ratio.isFinite else { throw RelaxationError.nonFinite(step: step, what: "cell") }
            if ratio > 10 || ratio < 0.1 { throw RelaxationError.runawayCell(step: step, volumeRatio: ratio) }
        }
    }
}

/// Atomic steps, then the strain I + sum_k dq_k M_k applied to cell rows and
/// positions alike.
private func apply(_ move: [Double], to c: inout Configuration, atomDOF: Int, directions: [[[Double]]], scale: Double) {
    for a in 0..<(atomDOF / 3) {
        c.positions[a] += Vec3(move[3 * a], move[3 * a + 1], move[3 * a + 2])
    }
    guard !directions.isEmpty else { return }
    var d = [[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]
    for (k, m) in directions.enumerated() {
        let q = move[atomDOF + k] / scale
        for a in 0..<3 { for b in 0..<3 { d[a][b] += q * m[a][b] } }
    }
    func deform(_ x: Vec3) -> Vec3 {
        Vec3(d[0][0] * x.x + d[0][1] * x.y + d[0][2] * x.z,
             d[1][0] * x.x + d[1][1] * x.y + d[1][2] * x.z,
             d[2][0] * x.x + d[2][1] * x.y + d[2][2] * x.z)
    }
    c.cell = c.cell.map(deform)
    c.positions = c.positions.map(deform)
}

/// The strain directions a mode moves along.
private func strainDirections(_ mode: RelaxationMode, cell: [Vec3]) -> [[[Double]]] {
    func unit(_ a: Int, _ b: Int) -> [[Double]] {
        var m = [[0.0, 0, 0], [0.0, 0, 0], [0.0, 0, 0]]
        m[a][b] = 1; m[b][a] = 1
        return m
    }
    switch mode {
    case .positions: return []
    case .volume, .positionsAndVolume: return [[[1, 0, 0], [0, 1, 0], [0, 0, 1]]]
    case .cellShape, .positionsAndCell:
        return [unit(0, 0), unit(1, 1), unit(2, 2), unit(1, 2), unit(0, 2), unit(0, 1)]
    case .positionsLateralFixed:
        // D = I + s c n^T / (n . c), n = a x b: a and b stay, c stretches.
        let nrm = cross(cell[0], cell[1]), c = cell[2]
        let nc = dot(nrm, c)
        return [(0..<3).map { a in (0..<3).map { b in c[a] * nrm[b] / nc } }]
    }
}

private func classify(_ error: Error, step: Int) -> RelaxationError {
    if let e = error as? RelaxationError { return e }
    if case .overlappingAtoms = error as? EAMError { return .overlappingAtoms(step: step, detail: "\(error)") }
    if case .overlappingAtoms = error as? NeighborList.Failure { return .overlappingAtoms(step: step, detail: "\(error)") }
    if case .notFinite = error as? NeighborList.Failure { return .nonFinite(step: step, what: "positions (\(error))") }
    if case .notFinite = error as? EAMError { return .nonFinite(step: step, what: "\(error)") }
    return .calculatorFailed(step: step, detail: "\(error)")
}

/// Largest atomic displacement with the cell change removed: fractional
/// differences (minimum image along periodic axes) through the final cell.
/// Without full periodicity, plain Cartesian differences.
func maxDisplacement(from start: Configuration, to end: Configuration) -> Double {
    guard start.pbc == .all, end.atomCount == start.atomCount else {
        return zip(start.positions, end.positions).map { norm($1 - $0) }.max() ?? 0
    }
    let i0 = inverseRows(start.cell), i1 = inverseRows(end.cell)
    var largest = 0.0
    for a in 0..<start.atomCount {
        var ds = fractional(end.positions[a], i1) - fractional(start.positions[a], i0)
        ds -= ds.rounded(.toNearestOrEven)
        let dx = ds.x * end.cell[0] + ds.y * end.cell[1] + ds.z * end.cell[2]
        largest = max(largest, norm(dx))
    }
    return largest
}

/// Fractional coordinates s with x = s0 a + s1 b + s2 c, from the columns of
/// the inverse of the row matrix.
private func fractional(_ x: Vec3, _ inv: [Vec3]) -> Vec3 {
    Vec3(dot(x, inv[0]), dot(x, inv[1]), dot(x, inv[2]))
}

/// Vectors g_k with g_k . row_l = delta_kl (the reciprocal basis without 2 pi).
private func inverseRows(_ m: [Vec3]) -> [Vec3] {
    let det = determinant(m)
    return [cross(m[1], m[2]) / det, cross(m[2], m[0]) / det, cross(m[0], m[1]) / det]
}
