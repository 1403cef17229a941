import Atomistic

/// Energy, forces and virial of one configuration.
public struct EFS: Equatable, Sendable {
    public var energy: Double
    public var forces: [Vec3]
    /// MLIP's W = -sigma * V (eV), Voigt order xx yy zz yz xz xy.
    public var virial: Virial
    /// V_i per atom.
    public var siteEnergies: [Double]
}

/// Derivatives of energy, forces and virial with respect to every parameter,
/// in the order of `Potential.parameters` (radial, species, moment).
public struct EFSDerivatives: Equatable, Sendable {
    public var parameterCount: Int
    /// dE/dtheta_p.
    public var energy: [Double]
    /// dF_(atom, component)/dtheta_p at [(atom*3 + component)*P + p].
    public var forces: [Double]
    /// dW_v/dtheta_p at [v*P + p], v in Voigt order xx yy zz yz xz xy.
    public var virial: [Double]
}

public enum EvaluationError: Error, CustomStringConvertible, Equatable {
    case untrained
    case speciesOutOfRange(atom: Int, species: Int, speciesCount: Int)
    public var description: String {
        switch self {
        case .untrained:
            return "the potential is untrained (it has no species_coeffs/moment_coeffs); train it first"
        case let .speciesOutOfRange(atom, species, count):
            return "atom \(atom + 1) has type \(species), but the potential has species_count \(count) (types 0...\(count - 1))"
        }
    }
}

/// Evaluates a trained MTP. The potential is compiled once into flat arrays;
/// every call walks the neighbour list once, gathering what both the values
/// and, on request, the parameter derivatives need.
///
/// Forces use reverse mode through the contraction graph (one backward sweep
/// per atom), which is what makes plain evaluation cheap at high levels. The
/// parameter derivatives of forces additionally carry forward tangents with
/// respect to neighbour positions and to the atom's radial coefficients.
public struct Evaluator: Sendable {
    public let potential: Potential

    // Compiled model.
    let s: Int, k: Int, r: Int
    let scaling: Double, rMin: Double, rCut: Double
    /// `RBChebyshev_repuls`: distances below rMin are evaluated at rMin.
    let clampsBelowMin: Bool
    let radial: [Double]
    let c0: [Double]
    let xi: [Double]
    let basicCount: Int
    let momentsCount: Int
    let bMu: [Int32], bA: [Int32], bB: [Int32], bC: [Int32]
    let bNu: [Double]
    let maxNu: Int
    let tI: [Int32], tJ: [Int32], tK: [Int32]
    let tMult: [Double]
    let slots: [Int32]
    /// Monomials u_x^a u_y^b u_z^c of degree <= maxNu, in an order where
    /// each one is its parent times one unit-vector component.
    let monoParent: [Int32], monoAxis: [Int32]
    /// Per basic moment: its monomial, and the monomials one degree lower
    /// along x, y, z (-1 when the power is 0).
    let bMono: [Int32], bLowX: [Int32], bLowY: [Int32], bLowZ: [Int32]

    public init(_ pot: Potential) throws {
        guard let rc = pot.radialCoeffs, let sc = pot.speciesCoeffs, let mc = pot.momentCoeffs else {
            throw EvaluationError.untrained
        }
        potential = pot
        s = pot.speciesCount; k = pot.radialFuncsCount; r = pot.radialBasisSize
        scaling = pot.scaling; rMin = pot.minDist; rCut = pot.maxDist
        clampsBelowMin = pot.radialBasisType.clampsBelowMinDist
        radial = rc; c0 = sc; xi = mc
        let b = pot.basis
        basicCount = b.basic.count
        momentsCount = b.momentsCount
        bMu = b.basic.map { Int32($0.mu) }
        bA = b.basic.map { Int32($0.a) }
        bB = b.basic.map { Int32($0.b) }
        bC = b.basic.map { Int32($0.c) }
        bNu = b.basic.map { Double($0.nu) }
        maxNu = b.basic.map(\.nu).max() ?? 0
        tI = b.contractions.map { Int32($0.i) }
        tJ = b.contractions.map { Int32($0.j) }
        tK = b.contractions.map { Int32($0.k) }
        tMult = b.contractions.map { Double($0.mult) }
        slots = b.scalarSlots.map { Int32($0) }
        var index: [SIMD3<Int32>: Int32] = [SIMD3(0, 0, 0): 0]
        var parent: [Int32] = [-1], axis: [Int32] = [-1]
        for degree in 0..<maxNu {
            for a in stride(from: degree, through: 0, by: -1) {
                for bb in stride(from: degree - a, through: 0, by: -1) {
                    let c = degree - a - bb
                    let from = index[SIMD3(Int32(a), Int32(bb), Int32(c))]!
                    for (ax, next) in [(0, SIMD3(Int32(a + 1), Int32(bb), Int32(c))),
                                       (1, SIMD3(Int32(a), Int32(bb + 1), Int32(c))),
                                       (2, SIMD3(Int32(a), Int32(bb), Int32(c + 1)))] where index[next] == nil {
                        index[next] = Int32(parent.count)
                        parent.append(from); axis.append(Int32(ax))
                    }
                }
            }
        }
        monoParent = parent; monoAxis = axis
        func mono(_ a: Int, _ bb: Int, _ c: Int) -> Int32 {
            a < 0 || bb < 0 || c < 0 ? -1 : index[SIMD3(Int32(a), Int32(bb), Int32(c))]!
        }
        bMono = b.basic.map { mono($0.a, $0.b, $0.c) }
        bLowX = b.basic.map { mono($0.a - 1, $0.b, $0.c) }
        bLowY = b.basic.map { mono($0.a, $0.b - 1, $0.c) }
        bLowZ = b.basic.map { mono($0.a, $0.b, $0.c - 1) }
    }

    public var cutoff: Double { rCut }
    public var parameterCount: Int { potential.parameterCount }

    func checkSpecies(_ config: Configuration) throws {
        for (a, z) in config.species.enumerated() where z < 0 || z >= s {
            throw EvaluationError.speciesOutOfRange(atom: a, species: z, speciesCount: s)
        }
    }

    // MARK: - Per-neighbour geometry

    /// Radial basis values and r-derivatives: phi_k = T_k(t) (R_cut - r)^2
    /// (at r = min_dist with zero derivatives inside min_dist for
    /// `RBChebyshev_repuls`, as MLIP).
    @inline(__always)
    func radialBasis(_ r0: Double, _ phi: UnsafeMutablePointer<Double>, _ dphi: UnsafeMutablePointer<Double>) {
        let inside = clampsBelowMin && r0 <= rMin
        let dist = inside ? rMin : r0
        let span = rCut - rMin
        let t = (2 * dist - (rMin + rCut)) / span
        let dtdr = 2 / span
        let q = (rCut - dist) * (rCut - dist)
        let dq = -2 * (rCut - dist)
        var tPrev = 1.0, tCur = t
        var dPrev = 0.0, dCur = 1.0
        phi[0] = q
        dphi[0] = dq
        if r > 1 {
            phi[1] = t * q
            dphi[1] = dtdr * q + t * dq
        }
        var kk = 2
        while kk < r {
            let tNext = 2 * t * tCur - tPrev
            let dNext = 2 * tCur + 2 * t * dCur - dPrev
            phi[kk] = tNext * q
            dphi[kk] = dNext * dtdr * q + tNext * dq
            tPrev = tCur; tCur = tNext
            dPrev = dCur; dCur = dNext
            kk += 1
        }
        if inside { for kk in 0..<r { dphi[kk] = 0 } }
    }

    /// Everything about one neighbour that the moment loops read: radial
    /// functions f_mu, f'_mu and the powers of the unit vector, stored with a
    /// leading zero so that index (power - 1) + 1 is valid for power 0.
    @inline(__always)
    func prepareNeighbour(dist: Double, x: Double, y: Double, z: Double, pairBase: Int,
                          phi: UnsafeMutablePointer<Double>, dphi: UnsafeMutablePointer<Double>,
                          f: UnsafeMutablePointer<Double>, fp: UnsafeMutablePointer<Double>,
                          ux: UnsafeMutablePointer<Double>, uy: UnsafeMutablePointer<Double>,
                          uz: UnsafeMutablePointer<Double>) {
        radialBasis(dist, phi, dphi)
        radial.withUnsafeBufferPointer { c in
            for mu in 0..<k {
                var v = 0.0, d = 0.0
                let base = pairBase + mu * r
                for kk in 0..<r {
                    v += c[base + kk] * phi[kk]
                    d += c[base + kk] * dphi[kk]
                }
                f[mu] = scaling * v
                fp[mu] = scaling * d
            }
        }
        let inv = 1 / dist
        let x1 = x * inv, y1 = y * inv, z1 = z * inv
        ux[0] = 0; uy[0] = 0; uz[0] = 0
        ux[1] = 1; uy[1] = 1; uz[1] = 1
        var p = 1
        while p <= maxNu {
            ux[p + 1] = ux[p] * x1
            uy[p + 1] = uy[p] * y1
            uz[p + 1] = uz[p] * z1
            p += 1
        }
    }

    // (Energy, forces and virial: EvaluationKernel.swift.)

}

/// One allocation per call, carved into the buffers a kernel needs, so the
/// neighbour loops never allocate.
final class Scratch {
    let base: UnsafeMutablePointer<Double>
    let count: Int
    var used = 0
    init(count: Int) {
        self.count = max(count, 1)
        base = .allocate(capacity: self.count)
        base.initialize(repeating: 0, count: self.count)
    }
    func take(_ n: Int) -> UnsafeMutablePointer<Double> {
        precondition(used + n <= count, "scratch buffer too small")
        defer { used += n }
        return base + used
    }
    func release() { base.deallocate() }
}

extension EvaluationError: AtomLocatedError {
    public var atom: Int? {
        if case let .speciesOutOfRange(a, _, _) = self { return a }
        return nil
    }
}
