import Atomistic

/// Atoms whose contraction graphs are evaluated together, one per SIMD lane:
/// the graph's index traffic is paid once per block instead of once per atom.
typealias Lanes = SIMD8<Double>
let laneCount = 8

extension Evaluator {
    /// Energy, forces and virial.
    public func evaluate(_ config: Configuration, neighbors nl: NeighborList) throws -> EFS {
        try evaluate(config, neighbors: nl, energyGradient: nil)
    }

    /// Energy, forces and virial; with `energyGradient` (room for
    /// `parameterCount` values), also dE/dtheta, which falls out of the same
    /// backward sweep at little cost.
    ///
    /// Per atom, the neighbour data is laid out as rows over neighbours
    /// (radial functions, unit-vector monomials), so that the basic moments
    /// are dot products of rows and the gradient pass is a set of row
    /// updates, both vectorised. The contraction graph runs on blocks of
    /// `laneCount` atoms at once.
    public func evaluate(_ config: Configuration, neighbors nl: NeighborList,
                         energyGradient: UnsafeMutablePointer<Double>?) throws -> EFS {
        try checkSpecies(config)
        precondition(nl.atomCount == config.atomCount, "neighbour list of another configuration")
        precondition(nl.cutoff >= rCut, "neighbour list cutoff \(nl.cutoff) is below the potential's \(rCut)")
        let n = config.atomCount
        let P = parameterCount
        let radialCount = s * s * k * r
        if let g = energyGradient { g.initialize(repeating: 0, count: P) }

        var maxM = 0
        for i in 0..<n {
            var c = 0
            for p in nl.offsets[i]..<nl.offsets[i + 1] where nl.distance[p] < rCut { c += 1 }
            maxM = max(maxM, c)
        }
        let rows = RowScratch(evaluator: self, maxNeighbours: maxM)
        defer { rows.release() }
        let T = momentsCount
        let mB = UnsafeMutablePointer<Lanes>.allocate(capacity: T)
        let adjB = UnsafeMutablePointer<Lanes>.allocate(capacity: T)
        defer { mB.deallocate(); adjB.deallocate() }

        var forces = [Double](repeating: 0, count: 3 * n)
        var site = [Double](repeating: 0, count: n)
        var w = [Double](repeating: 0, count: 9)
        var energy = 0.0

        var start = 0
        while start < n {
            let lanes = min(laneCount, n - start)
            mB.initialize(repeating: Lanes(), count: T)
            for lane in 0..<lanes {
                let i = start + lane
                let m = rows.gather(atom: i, config: config, nl: nl)
                rows.basicMoments(count: m, into: mB, lane: lane)
            }
            contractForward(mB)
            // Site energies and the seed of the backward sweep.
            var v = Lanes()
            adjB.initialize(repeating: Lanes(), count: T)
            for a in 0..<slots.count {
                let slot = Int(slots[a])
                v += xi[a] * mB[slot]
                adjB[slot] += Lanes(repeating: xi[a])
            }
            for lane in 0..<lanes {
                let vi = v[lane] + c0[config.species[start + lane]]
                site[start + lane] = vi
                energy += vi
            }
            if let g = energyGradient {
                for lane in 0..<lanes { g[radialCount + config.species[start + lane]] += 1 }
                for a in 0..<slots.count {
                    let m = mB[Int(slots[a])]
                    var sum = 0.0
                    for lane in 0..<lanes { sum += m[lane] }
                    g[radialCount + s + a] += sum
                }
            }
            contractBackward(mB, adjB)
            for lane in 0..<lanes {
                let i = start + lane
                let m = rows.gather(atom: i, config: config, nl: nl)
                forces.withUnsafeMutableBufferPointer { f in
                    w.withUnsafeMutableBufferPointer { wv in
                        rows.gradient(atom: i, count: m, adjoint: adjB, lane: lane, config: config,
                                      forces: f.baseAddress!, virial: wv.baseAddress!, energyGradient: energyGradient)
                    }
                }
            }
            start += lanes
        }
        return EFS(energy: energy,
                   forces: (0..<n).map { Vec3(forces[3 * $0], forces[3 * $0 + 1], forces[3 * $0 + 2]) },
                   virial: Virial(xx: w[0], yy: w[4], zz: w[8],
                                  yz: 0.5 * (w[5] + w[7]), xz: 0.5 * (w[2] + w[6]), xy: 0.5 * (w[1] + w[3])),
                   siteEnergies: site)
    }

    /// m[k] += mult * m[i] * m[j] over the graph, for a block of atoms.
    func contractForward(_ m: UnsafeMutablePointer<Lanes>) {
        tI.withUnsafeBufferPointer { ti in
        tJ.withUnsafeBufferPointer { tj in
        tK.withUnsafeBufferPointer { tk in
        tMult.withUnsafeBufferPointer { tm in
            for t in 0..<ti.count {
                m[Int(tk[t])] += tm[t] * (m[Int(ti[t])] * m[Int(tj[t])])
            }
        }}}}
    }

    /// The reverse sweep: adj = dV/dm for every slot, for a block of atoms.
    func contractBackward(_ m: UnsafeMutablePointer<Lanes>, _ adj: UnsafeMutablePointer<Lanes>) {
        tI.withUnsafeBufferPointer { ti in
        tJ.withUnsafeBufferPointer { tj in
        tK.withUnsafeBufferPointer { tk in
        tMult.withUnsafeBufferPointer { tm in
            var t = ti.count - 1
            while t >= 0 {
                let g = tm[t] * adj[Int(tk[t])]
                let i = Int(ti[t]), j = Int(tj[t])
                adj[i] += g * m[j]
                adj[j] += g * m[i]
                t -= 1
            }
        }}}}
    }
}

/// Rows over one atom's neighbours, padded to a multiple of 4, in one
/// aligned allocation reused for every atom of a configuration.
final class RowScratch {
    let ev: Evaluator
    let mp: Int          // padded neighbour count
    let monos: Int
    let nuCount: Int
    let raw: UnsafeMutableRawPointer
    let u: UnsafeMutablePointer<Double>        // [monos][mp] monomials of the unit vector
    let f: UnsafeMutablePointer<Double>        // [k][mp] radial functions
    let fp: UnsafeMutablePointer<Double>       // [k][mp] their r-derivatives
    let phi: UnsafeMutablePointer<Double>      // [r][mp] radial basis
    let dphi: UnsafeMutablePointer<Double>     // [r][mp]
    let invR: UnsafeMutablePointer<Double>     // [mp]
    let e: UnsafeMutablePointer<Double>        // [3][mp] unit vectors
    let aNu: UnsafeMutablePointer<Double>      // [k][nuCount][mp] adjoint-weighted monomials per (mu, nu)
    let g: UnsafeMutablePointer<Double>        // [3][k][mp] adjoint-weighted monomial gradients
    let pair: UnsafeMutablePointer<Int>        // [mp] index into the neighbour list
    let nbAtom: UnsafeMutablePointer<Int>      // [mp] neighbour atom

    init(evaluator: Evaluator, maxNeighbours: Int) {
        ev = evaluator
        let mp = max(4, (maxNeighbours + 3) & ~3)
        self.mp = mp
        monos = evaluator.monoParent.count
        nuCount = evaluator.maxNu + 1
        let k = evaluator.k, r = evaluator.r
        let doubles = mp * (monos + 2 * k + 2 * r + 4 + k * nuCount + 3 * k)
        raw = .allocate(byteCount: doubles * 8 + 2 * mp * MemoryLayout<Int>.stride, alignment: 64)
        let d = raw.bindMemory(to: Double.self, capacity: doubles)
        d.initialize(repeating: 0, count: doubles)
        var o = 0
        let take = { (c: Int) -> UnsafeMutablePointer<Double> in defer { o += c * mp }; return d + o }
        u = take(monos); f = take(k); fp = take(k); phi = take(r); dphi = take(r)
        invR = take(1); e = take(3); aNu = take(k * nuCount); g = take(3 * k)
        let ints = (raw + doubles * 8).bindMemory(to: Int.self, capacity: 2 * mp)
        ints.initialize(repeating: 0, count: 2 * mp)
        pair = ints
        nbAtom = ints + mp
    }

    func release() { raw.deallocate() }

    /// Fills the rows for atom i; returns its neighbour count. Padding
    /// columns have zero radial functions, so they contribute nothing.
    func gather(atom i: Int, config: Configuration, nl: NeighborList) -> Int {
        let s = ev.s, k = ev.k, r = ev.r
        let zi = config.species[i]
        var m = 0
        nl.distance.withUnsafeBufferPointer { dist in
            for p in nl.offsets[i]..<nl.offsets[i + 1] where dist[p] < ev.rCut {
                pair[m] = p
                m += 1
            }
        }
        let phiTmp = UnsafeMutablePointer<Double>.allocate(capacity: 2 * r)
        defer { phiTmp.deallocate() }
        ev.radial.withUnsafeBufferPointer { c in
        nl.neighbor.withUnsafeBufferPointer { nb in
        nl.dx.withUnsafeBufferPointer { dx in
        nl.dy.withUnsafeBufferPointer { dy in
        nl.dz.withUnsafeBufferPointer { dz in
        nl.distance.withUnsafeBufferPointer { dist in
            for q in 0..<m {
                let p = pair[q]
                let j = Int(nb[p])
                nbAtom[q] = j
                let d = dist[p]
                let inv = 1 / d
                invR[q] = inv
                e[q] = dx[p] * inv; e[mp + q] = dy[p] * inv; e[2 * mp + q] = dz[p] * inv
                ev.radialBasis(d, phiTmp, phiTmp + r)
                for kk in 0..<r { phi[kk * mp + q] = phiTmp[kk]; dphi[kk * mp + q] = phiTmp[r + kk] }
                let base = (zi * s + config.species[j]) * k * r
                for mu in 0..<k {
                    var v = 0.0, dv = 0.0
                    for kk in 0..<r {
                        v += c[base + mu * r + kk] * phiTmp[kk]
                        dv += c[base + mu * r + kk] * phiTmp[r + kk]
                    }
                    f[mu * mp + q] = ev.scaling * v
                    fp[mu * mp + q] = ev.scaling * dv
                }
            }
        }}}}}}
        for q in m..<mp {
            invR[q] = 0; e[q] = 0; e[mp + q] = 0; e[2 * mp + q] = 0
            for mu in 0..<k { f[mu * mp + q] = 0; fp[mu * mp + q] = 0 }
            for kk in 0..<r { phi[kk * mp + q] = 0; dphi[kk * mp + q] = 0 }
        }
        // Monomials: row 0 is 1, every other row its parent times one component.
        for q in 0..<mp { u[q] = 1 }
        ev.monoParent.withUnsafeBufferPointer { parent in
        ev.monoAxis.withUnsafeBufferPointer { axis in
            for t in 1..<monos {
                mulRows(u + t * mp, u + Int(parent[t]) * mp, e + Int(axis[t]) * mp, mp)
            }
        }}
        return m
    }

    /// m[b] = sum over neighbours of f_mu * monomial, into one lane.
    func basicMoments(count m: Int, into mB: UnsafeMutablePointer<Lanes>, lane: Int) {
        ev.bMu.withUnsafeBufferPointer { mu in
        ev.bMono.withUnsafeBufferPointer { mono in
            for b in 0..<mu.count {
                mB[b][lane] = dotRows(f + Int(mu[b]) * mp, u + Int(mono[b]) * mp, mp)
            }
        }}
    }

    /// dV_i/dr_ij for every neighbour from the adjoint of the basic moments,
    /// scattered into forces and the virial (and dE/dc_radial on request).
    func gradient(atom i: Int, count m: Int, adjoint adjB: UnsafeMutablePointer<Lanes>, lane: Int,
                  config: Configuration, forces: UnsafeMutablePointer<Double>, virial w: UnsafeMutablePointer<Double>,
                  energyGradient: UnsafeMutablePointer<Double>?) {
        let k = ev.k, r = ev.r, s = ev.s
        aNu.initialize(repeating: 0, count: k * nuCount * mp)
        g.initialize(repeating: 0, count: 3 * k * mp)
        ev.bMu.withUnsafeBufferPointer { bMu in
        ev.bMono.withUnsafeBufferPointer { mono in
        ev.bA.withUnsafeBufferPointer { bA in
        ev.bB.withUnsafeBufferPointer { bB in
        ev.bC.withUnsafeBufferPointer { bC in
        ev.bLowX.withUnsafeBufferPointer { lowX in
        ev.bLowY.withUnsafeBufferPointer { lowY in
        ev.bLowZ.withUnsafeBufferPointer { lowZ in
            for b in 0..<bMu.count {
                let wb = adjB[b][lane]
                if wb == 0 { continue }
                let mu = Int(bMu[b])
                let a = Int(bA[b]), bb = Int(bB[b]), c = Int(bC[b])
                axpyRow(aNu + (mu * nuCount + a + bb + c) * mp, wb, u + Int(mono[b]) * mp, mp)
                if a > 0 { axpyRow(g + mu * mp, wb * Double(a), u + Int(lowX[b]) * mp, mp) }
                if bb > 0 { axpyRow(g + (k + mu) * mp, wb * Double(bb), u + Int(lowY[b]) * mp, mp) }
                if c > 0 { axpyRow(g + (2 * k + mu) * mp, wb * Double(c), u + Int(lowZ[b]) * mp, mp) }
            }
        }}}}}}}}
        let zi = config.species[i]
        for q in 0..<m {
            let inv = invR[q]
            var rad = 0.0, gx = 0.0, gy = 0.0, gz = 0.0
            for mu in 0..<k {
                let fq = f[mu * mp + q], fpq = fp[mu * mp + q]
                let fr = fq * inv
                var nuTerm = 0.0
                for nu in 0..<nuCount {
                    nuTerm += aNu[(mu * nuCount + nu) * mp + q] * (fpq - Double(nu) * fr)
                }
                rad += nuTerm
                gx += fr * g[mu * mp + q]
                gy += fr * g[(k + mu) * mp + q]
                gz += fr * g[(2 * k + mu) * mp + q]
            }
            let ex = e[q], ey = e[mp + q], ez = e[2 * mp + q]
            let dvx = rad * ex + gx, dvy = rad * ey + gy, dvz = rad * ez + gz
            let j = nbAtom[q]
            forces[3 * i] += dvx; forces[3 * i + 1] += dvy; forces[3 * i + 2] += dvz
            forces[3 * j] -= dvx; forces[3 * j + 1] -= dvy; forces[3 * j + 2] -= dvz
            let d = 1 / inv
            let rx = ex * d, ry = ey * d, rz = ez * d
            w[0] -= dvx * rx; w[1] -= dvx * ry; w[2] -= dvx * rz
            w[3] -= dvy * rx; w[4] -= dvy * ry; w[5] -= dvy * rz
            w[6] -= dvz * rx; w[7] -= dvz * ry; w[8] -= dvz * rz
            if let gr = energyGradient {
                let base = (zi * s + config.species[j]) * k * r
                for mu in 0..<k {
                    var am = 0.0
                    for nu in 0..<nuCount { am += aNu[(mu * nuCount + nu) * mp + q] }
                    let sa = ev.scaling * am
                    for kk in 0..<r { gr[base + mu * r + kk] += sa * phi[kk * mp + q] }
                }
            }
        }
    }
}

// Row kernels over a padded length (a multiple of 4).

@inline(__always)
func load4(_ p: UnsafePointer<Double>) -> SIMD4<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
}

@inline(__always)
func store4(_ v: SIMD4<Double>, _ p: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Double>.self)
}

@inline(__always)
func mulRows(_ out: UnsafeMutablePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ count: Int) {
    var q = 0
    while q < count {
        store4(load4(x + q) * load4(y + q), out + q)
        q += 4
    }
}

@inline(__always)
func dotRows(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ count: Int) -> Double {
    var acc = SIMD4<Double>()
    var q = 0
    while q < count {
        acc += load4(x + q) * load4(y + q)
        q += 4
    }
    return acc.sum()
}

@inline(__always)
func axpyRow(_ y: UnsafeMutablePointer<Double>, _ a: Double, _ x: UnsafePointer<Double>, _ count: Int) {
    let av = SIMD4<Double>(repeating: a)
    var q = 0
    while q < count {
        var v = load4(y + q)
        v += av * load4(x + q)
        store4(v, y + q)
        q += 4
    }
}
