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

    public init(_ pot: Potential) throws {
        guard let rc = pot.radialCoeffs, let sc = pot.speciesCoeffs, let mc = pot.momentCoeffs else {
            throw EvaluationError.untrained
        }
        potential = pot
        s = pot.speciesCount; k = pot.radialFuncsCount; r = pot.radialBasisSize
        scaling = pot.scaling; rMin = pot.minDist; rCut = pot.maxDist
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
    }

    public var cutoff: Double { rCut }
    public var parameterCount: Int { potential.parameterCount }

    func checkSpecies(_ config: Configuration) throws {
        for (a, z) in config.species.enumerated() where z < 0 || z >= s {
            throw EvaluationError.speciesOutOfRange(atom: a, species: z, speciesCount: s)
        }
    }

    // MARK: - Per-neighbour geometry

    /// Radial basis values and r-derivatives: phi_k = T_k(t) (R_cut - r)^2.
    @inline(__always)
    func radialBasis(_ dist: Double, _ phi: UnsafeMutablePointer<Double>, _ dphi: UnsafeMutablePointer<Double>) {
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

    // MARK: - Energy, forces, virial

    /// Energy, forces and virial; with `energyGradient`, also dE/dtheta
    /// (cheap: it falls out of the same backward sweep).
    public func evaluate(_ config: Configuration, neighbors nl: NeighborList) throws -> EFS {
        try evaluate(config, neighbors: nl, energyGradient: nil)
    }

    public func evaluate(_ config: Configuration, neighbors nl: NeighborList,
                         energyGradient: UnsafeMutablePointer<Double>?) throws -> EFS {
        try checkSpecies(config)
        precondition(nl.atomCount == config.atomCount, "neighbour list of another configuration")
        precondition(nl.cutoff >= rCut, "neighbour list cutoff \(nl.cutoff) is below the potential's \(rCut)")
        let n = config.atomCount
        var forces = [Double](repeating: 0, count: 3 * n)
        var site = [Double](repeating: 0, count: n)
        var w = [Double](repeating: 0, count: 9)
        var energy = 0.0

        var maxM = 0
        for i in 0..<n { maxM = max(maxM, nl.offsets[i + 1] - nl.offsets[i]) }
        let np = maxNu + 2
        let scratch = Scratch(count: r * 2 + momentsCount * 2 + maxM * (2 * k + 3 * np) + k + 3)
        defer { scratch.release() }
        let phi = scratch.take(r), dphi = scratch.take(r)
        let m = scratch.take(momentsCount), adj = scratch.take(momentsCount)
        let fAll = scratch.take(maxM * k), fpAll = scratch.take(maxM * k)
        let uxAll = scratch.take(maxM * np), uyAll = scratch.take(maxM * np), uzAll = scratch.take(maxM * np)
        let wMu = scratch.take(k)

        let P = parameterCount
        let radialCount = s * s * k * r
        if let g = energyGradient { g.initialize(repeating: 0, count: P) }

        let cutoff2 = rCut
        nl.neighbor.withUnsafeBufferPointer { nb in
        nl.dx.withUnsafeBufferPointer { dx in
        nl.dy.withUnsafeBufferPointer { dy in
        nl.dz.withUnsafeBufferPointer { dz in
        nl.distance.withUnsafeBufferPointer { dist in
        config.species.withUnsafeBufferPointer { species in
        bMu.withUnsafeBufferPointer { bMu in
        bA.withUnsafeBufferPointer { bA in
        bB.withUnsafeBufferPointer { bB in
        bC.withUnsafeBufferPointer { bC in
        bNu.withUnsafeBufferPointer { bNu in
        forces.withUnsafeMutableBufferPointer { F in
            for i in 0..<n {
                let zi = species[i]
                let lo = nl.offsets[i], hi = nl.offsets[i + 1]
                m.initialize(repeating: 0, count: momentsCount)
                // Pass 1: basic moments.
                var cnt = 0
                for p in lo..<hi where dist[p] < cutoff2 {
                    let zj = species[Int(nb[p])]
                    let f = fAll + cnt * k, fp = fpAll + cnt * k
                    let ux = uxAll + cnt * np, uy = uyAll + cnt * np, uz = uzAll + cnt * np
                    prepareNeighbour(dist: dist[p], x: dx[p], y: dy[p], z: dz[p],
                                     pairBase: (zi * s + zj) * k * r,
                                     phi: phi, dphi: dphi, f: f, fp: fp, ux: ux, uy: uy, uz: uz)
                    for b in 0..<basicCount {
                        m[b] += f[Int(bMu[b])] * ux[Int(bA[b]) + 1] * uy[Int(bB[b]) + 1] * uz[Int(bC[b]) + 1]
                    }
                    cnt += 1
                }
                contractForward(m)
                var v = c0[zi]
                for a in 0..<slots.count { v += xi[a] * m[Int(slots[a])] }
                site[i] = v
                energy += v
                // Backward sweep: adj = dV_i/dm.
                adj.initialize(repeating: 0, count: momentsCount)
                for a in 0..<slots.count { adj[Int(slots[a])] += xi[a] }
                contractBackward(m, adj)
                if let g = energyGradient {
                    g[radialCount + zi] += 1
                    for a in 0..<slots.count { g[radialCount + s + a] += m[Int(slots[a])] }
                }
                // Pass 2: dV_i/dr_ij for every neighbour.
                cnt = 0
                for p in lo..<hi where dist[p] < cutoff2 {
                    let f = fAll + cnt * k, fp = fpAll + cnt * k
                    let ux = uxAll + cnt * np, uy = uyAll + cnt * np, uz = uzAll + cnt * np
                    let d = dist[p]
                    let invR = 1 / d
                    var radialPart = 0.0, gx = 0.0, gy = 0.0, gz = 0.0
                    if energyGradient != nil { wMu.initialize(repeating: 0, count: k) }
                    for b in 0..<basicCount {
                        let wb = adj[b]
                        if wb == 0 { continue }
                        let mu = Int(bMu[b])
                        let a = Int(bA[b]), bb = Int(bB[b]), c = Int(bC[b])
                        let pyz = uy[bb + 1] * uz[c + 1]
                        let u = ux[a + 1] * pyz
                        let fr = f[mu] * invR * wb
                        radialPart += wb * u * (fp[mu] - bNu[b] * f[mu] * invR)
                        gx += fr * Double(a) * ux[a] * pyz
                        gy += fr * Double(bb) * ux[a + 1] * uy[bb] * uz[c + 1]
                        gz += fr * Double(c) * ux[a + 1] * uy[bb + 1] * uz[c]
                        if energyGradient != nil { wMu[mu] += wb * u }
                    }
                    let ex = dx[p] * invR, ey = dy[p] * invR, ez = dz[p] * invR
                    let dvx = radialPart * ex + gx, dvy = radialPart * ey + gy, dvz = radialPart * ez + gz
                    let j = Int(nb[p])
                    F[3 * i] += dvx; F[3 * i + 1] += dvy; F[3 * i + 2] += dvz
                    F[3 * j] -= dvx; F[3 * j + 1] -= dvy; F[3 * j + 2] -= dvz
                    w[0] -= dvx * dx[p]; w[1] -= dvx * dy[p]; w[2] -= dvx * dz[p]
                    w[3] -= dvy * dx[p]; w[4] -= dvy * dy[p]; w[5] -= dvy * dz[p]
                    w[6] -= dvz * dx[p]; w[7] -= dvz * dy[p]; w[8] -= dvz * dz[p]
                    if let g = energyGradient {
                        radialBasis(d, phi, dphi)
                        let zj = species[Int(nb[p])]
                        let base = (zi * s + zj) * k * r
                        for mu in 0..<k {
                            let wm = scaling * wMu[mu]
                            for kk in 0..<r { g[base + mu * r + kk] += wm * phi[kk] }
                        }
                    }
                    cnt += 1
                }
            }
        }}}}}}}}}}}}
        return EFS(energy: energy,
                   forces: (0..<n).map { Vec3(forces[3 * $0], forces[3 * $0 + 1], forces[3 * $0 + 2]) },
                   virial: Virial(xx: w[0], yy: w[4], zz: w[8],
                                  yz: 0.5 * (w[5] + w[7]), xz: 0.5 * (w[2] + w[6]), xy: 0.5 * (w[1] + w[3])),
                   siteEnergies: site)
    }

    @inline(__always)
    func contractForward(_ m: UnsafeMutablePointer<Double>) {
        tI.withUnsafeBufferPointer { ti in
        tJ.withUnsafeBufferPointer { tj in
        tK.withUnsafeBufferPointer { tk in
        tMult.withUnsafeBufferPointer { tm in
            for t in 0..<ti.count {
                m[Int(tk[t])] += tm[t] * m[Int(ti[t])] * m[Int(tj[t])]
            }
        }}}}
    }

    @inline(__always)
    func contractBackward(_ m: UnsafeMutablePointer<Double>, _ adj: UnsafeMutablePointer<Double>) {
        tI.withUnsafeBufferPointer { ti in
        tJ.withUnsafeBufferPointer { tj in
        tK.withUnsafeBufferPointer { tk in
        tMult.withUnsafeBufferPointer { tm in
            var t = ti.count - 1
            while t >= 0 {
                let g = adj[Int(tk[t])] * tm[t]
                if g != 0 {
                    let i = Int(ti[t]), j = Int(tj[t])
                    adj[i] += g * m[j]
                    adj[j] += g * m[i]
                }
                t -= 1
            }
        }}}}
    }
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
