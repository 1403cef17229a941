import Atomistic

/// Rows over the neighbours of the atoms of one block (one set per lane),
/// padded to a multiple of 4, in one aligned allocation reused for every
/// block of a configuration. A lane's rows are filled once and read by both
/// the moment pass and the gradient pass.
final class RowScratch {
    var ev: Evaluator
    let mp: Int          // padded neighbour count
    let monos: Int
    let nuCount: Int
    let laneStride: Int  // doubles per lane
    let raw: UnsafeMutableRawPointer
    let lanesBase: UnsafeMutablePointer<Double>
    let aNu: UnsafeMutablePointer<Double>      // [k][nuCount][mp] adjoint-weighted monomials per (mu, nu)
    let g: UnsafeMutablePointer<Double>        // [3][k][mp] adjoint-weighted monomial gradients
    let work: UnsafeMutablePointer<Double>     // [8][mp] temporaries
    let ints: UnsafeMutablePointer<Int>        // per slot: [mp] pair index, [mp] neighbour atom
    /// Sets of rows held: `laneCount` for a block of atoms, or one per atom
    /// of a configuration when the rows are kept between evaluations.
    let slots: Int
    var counts: [Int]
    /// The basis's basic moments (mu, monomial, powers, lowered monomials),
    /// copied once so that the kernels read them without reference counting.
    let basicCount: Int
    let bMu, bMono, bA, bB, bC, bLowX, bLowY, bLowZ: UnsafeMutablePointer<Int32>

    /// Rows of one lane.
    struct Lane {
        var u: UnsafeMutablePointer<Double>      // [monos][mp] monomials of the unit vector
        var f: UnsafeMutablePointer<Double>      // [k][mp] radial functions
        var fp: UnsafeMutablePointer<Double>     // [k][mp] their r-derivatives
        var phi: UnsafeMutablePointer<Double>    // [r][mp] radial basis
        var dphi: UnsafeMutablePointer<Double>   // [r][mp] its r-derivative (the loss gradient needs it)
        var dist: UnsafeMutablePointer<Double>   // [mp]
        var invR: UnsafeMutablePointer<Double>   // [mp]
        var e: UnsafeMutablePointer<Double>      // [3][mp] unit vectors
        var pair: UnsafeMutablePointer<Int>      // [mp] index into the neighbour list
        var atom: UnsafeMutablePointer<Int>      // [mp] neighbour atom
    }

    init(evaluator: Evaluator, maxNeighbors: Int, slots: Int = laneCount) {
        ev = evaluator
        self.slots = slots
        counts = [Int](repeating: 0, count: slots)
        basicCount = evaluator.bMu.count
        func copy(_ a: [Int32]) -> UnsafeMutablePointer<Int32> {
            let p = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, a.count))
            p.initialize(from: a, count: a.count)
            return p
        }
        bMu = copy(evaluator.bMu); bMono = copy(evaluator.bMono); bA = copy(evaluator.bA); bB = copy(evaluator.bB)
        bC = copy(evaluator.bC); bLowX = copy(evaluator.bLowX); bLowY = copy(evaluator.bLowY); bLowZ = copy(evaluator.bLowZ)
        let mp = max(4, (maxNeighbors + 3) & ~3)
        self.mp = mp
        monos = evaluator.monoParent.count
        nuCount = evaluator.maxNu + 1
        let k = evaluator.k, r = evaluator.r
        laneStride = mp * (monos + 2 * k + 2 * r + 5)
        let shared = mp * (k * nuCount + 3 * k + 8)
        let doubles = slots * laneStride + shared
        raw = .allocate(byteCount: doubles * 8 + 2 * slots * mp * MemoryLayout<Int>.stride, alignment: 64)
        let d = raw.bindMemory(to: Double.self, capacity: doubles)
        d.initialize(repeating: 0, count: doubles)
        lanesBase = d
        aNu = d + slots * laneStride
        g = aNu + k * nuCount * mp
        work = g + 3 * k * mp
        ints = (raw + doubles * 8).bindMemory(to: Int.self, capacity: 2 * slots * mp)
        ints.initialize(repeating: 0, count: 2 * slots * mp)
    }

    func release() {
        raw.deallocate()
        for p in [bMu, bMono, bA, bB, bC, bLowX, bLowY, bLowZ] { p.deallocate() }
    }

    /// Whether these buffers are large enough for this potential's shape and
    /// neighbour count (the coefficients themselves come from `ev`, set per call).
    func fits(_ other: Evaluator, _ maxNeighbors: Int) -> Bool {
        guard maxNeighbors <= mp && other.k == ev.k && other.r == ev.r && other.s == ev.s
            && other.monoParent.count == monos && other.maxNu + 1 == nuCount
            && other.bMu.count == basicCount else { return false }
        for b in 0..<basicCount where other.bMu[b] != bMu[b] || other.bA[b] != bA[b]
            || other.bB[b] != bB[b] || other.bC[b] != bC[b] { return false }
        return true
    }

    func lane(_ l: Int) -> Lane {
        let k = ev.k, r = ev.r
        let b = lanesBase + l * laneStride
        let u = b, f = u + monos * mp, fp = f + k * mp, phi = fp + k * mp
        let dphi = phi + r * mp
        let dist = dphi + r * mp, invR = dist + mp, e = invR + mp
        return Lane(u: u, f: f, fp: fp, phi: phi, dphi: dphi, dist: dist, invR: invR, e: e,
                    pair: ints + 2 * l * mp, atom: ints + (2 * l + 1) * mp)
    }

    /// Fills the rows of `slot` for atom i. Padding columns get zero radial
    /// functions, so they contribute nothing to any sum.
    func gather(atom i: Int, lane l: Int, config: Configuration, nl: NeighborList,
                order: UnsafeBufferPointer<Int>? = nil) {
        gatherGeometry(atom: i, slot: l, config: config, nl: nl, order: order)
        radialFunctions(atom: i, slot: l, config: config)
    }

    /// The rows that depend only on positions: neighbours, distances, unit
    /// vectors, radial basis and monomials. A fit computes them once.
    /// `order`, if given, lists the neighbour-list entries (within the
    /// cutoff) in the order the rows should hold them: the Jacobian kernel
    /// groups the periodic images of one atom together (`JacobianPass.neighbourOrder`).
    func gatherGeometry(atom i: Int, slot l: Int, config: Configuration, nl: NeighborList,
                        order: UnsafeBufferPointer<Int>? = nil) {
        let r = ev.r
        let L = lane(l)
        var m = 0
        nl.neighbor.withUnsafeBufferPointer { nb in
        nl.dx.withUnsafeBufferPointer { dx in
        nl.dy.withUnsafeBufferPointer { dy in
        nl.dz.withUnsafeBufferPointer { dz in
        nl.distance.withUnsafeBufferPointer { dist in
            @inline(__always) func add(_ p: Int) {
                let d = dist[p]
                let inv = 1 / d
                L.pair[m] = p
                L.atom[m] = Int(nb[p])
                L.dist[m] = d
                L.invR[m] = inv
                L.e[m] = dx[p] * inv; L.e[mp + m] = dy[p] * inv; L.e[2 * mp + m] = dz[p] * inv
                m += 1
            }
            if let order {
                for p in order { add(p) }
            } else {
                for p in nl.offsets[i]..<nl.offsets[i + 1] where dist[p] < ev.rCut { add(p) }
            }
        }}}}}
        counts[l] = m
        for q in m..<mp { L.dist[q] = ev.rCut; L.invR[q] = 0; L.e[q] = 0; L.e[mp + q] = 0; L.e[2 * mp + q] = 0 }

        // Radial basis rows by the Chebyshev recurrence, phi_k = T_k(t)(R_cut - r)^2.
        let span = ev.rCut - ev.rMin
        let tRow = work, qRow = work + mp, dqRow = work + 2 * mp
        let tPrev = work + 3 * mp, tCur = work + 4 * mp, dPrev = work + 5 * mp, dCur = work + 6 * mp
        var anyInside = false
        for q in 0..<mp {
            var d = L.dist[q]
            // RBChebyshev_repuls: evaluated at min_dist inside it (see RadialBasisType).
            if ev.clampsBelowMin && d <= ev.rMin { d = ev.rMin; anyInside = true }
            tRow[q] = (2 * d - (ev.rMin + ev.rCut)) / span
            qRow[q] = (ev.rCut - d) * (ev.rCut - d)
            dqRow[q] = -2 * (ev.rCut - d)
            tPrev[q] = 1; tCur[q] = tRow[q]; dPrev[q] = 0; dCur[q] = 1
        }
        let dtdr = 2 / span
        do {
            for kk in 0..<r {
                let ph = L.phi + kk * mp, dphi = L.dphi + kk * mp
                if kk == 0 {
                    for q in 0..<mp { ph[q] = qRow[q]; dphi[q] = dqRow[q] }
                } else if kk == 1 {
                    for q in 0..<mp { ph[q] = tRow[q] * qRow[q]; dphi[q] = dtdr * qRow[q] + tRow[q] * dqRow[q] }
                } else {
                    for q in 0..<mp {
                        let tn = 2 * tRow[q] * tCur[q] - tPrev[q]
                        let dn = 2 * tCur[q] + 2 * tRow[q] * dCur[q] - dPrev[q]
                        ph[q] = tn * qRow[q]
                        dphi[q] = dn * dtdr * qRow[q] + tn * dqRow[q]
                        tPrev[q] = tCur[q]; tCur[q] = tn
                        dPrev[q] = dCur[q]; dCur[q] = dn
                    }
                }
            }
        }

        if anyInside {
            // ... with zero r-derivatives there, as MLIP.
            for q in 0..<m where L.dist[q] <= ev.rMin {
                for kk in 0..<r { L.dphi[kk * mp + q] = 0 }
            }
        }

        // Monomials: row 0 is 1, every other row its parent times one component.
        for q in 0..<mp { L.u[q] = 1 }
        ev.monoParent.withUnsafeBufferPointer { parent in
        ev.monoAxis.withUnsafeBufferPointer { axis in
            for t in 1..<monos {
                mulRows(L.u + t * mp, L.u + Int(parent[t]) * mp, L.e + Int(axis[t]) * mp, mp)
            }
        }}
    }

    /// f_mu and f'_mu rows from the radial basis rows and the current
    /// radial coefficients.
    func radialFunctions(atom i: Int, slot l: Int, config: Configuration) {
        let s = ev.s, k = ev.k, r = ev.r
        let L = lane(l)
        let m = counts[l]
        let zi = config.species[i]
        for mu in 0..<k { for q in 0..<mp { L.f[mu * mp + q] = 0; L.fp[mu * mp + q] = 0 } }
        ev.radial.withUnsafeBufferPointer { c in
            for kk in 0..<r {
                let ph = L.phi + kk * mp, dphi = L.dphi + kk * mp
                if s == 1 {
                    // One species: the same coefficients for every neighbour.
                    for mu in 0..<k {
                        let cc = ev.scaling * c[mu * r + kk]
                        axpyRow(L.f + mu * mp, cc, ph, mp)
                        axpyRow(L.fp + mu * mp, cc, dphi, mp)
                    }
                } else {
                    for q in 0..<m {
                        let base = (zi * s + config.species[L.atom[q]]) * k * r + kk
                        for mu in 0..<k {
                            let cc = ev.scaling * c[base + mu * r]
                            L.f[mu * mp + q] += cc * ph[q]
                            L.fp[mu * mp + q] += cc * dphi[q]
                        }
                    }
                }
            }
        }
        for q in m..<mp { for mu in 0..<k { L.f[mu * mp + q] = 0; L.fp[mu * mp + q] = 0 } }
    }

    /// The block form: slot and lane coincide.
    func basicMoments(lane l: Int, into mB: UnsafeMutablePointer<Lanes>) {
        basicMoments(slot: l, lane: l, into: mB)
    }

    func gradient(atom i: Int, lane l: Int, adjoint adjB: UnsafeMutablePointer<Lanes>,
                  config: Configuration, forces: UnsafeMutablePointer<Double>, virial w: UnsafeMutablePointer<Double>,
                  energyGradient: UnsafeMutablePointer<Double>?) {
        gradient(atom: i, slot: l, lane: l, adjoint: adjB, config: config, forces: forces, virial: w,
                 energyGradient: energyGradient)
    }

    /// m[b] = sum over neighbours of f_mu * monomial, from the rows of
    /// `slot` into one SIMD lane.
    func basicMoments(slot: Int, lane l: Int, into mB: UnsafeMutablePointer<Lanes>) {
        let L = lane(slot)
        let mu = bMu
        let mono = bMono
            for b in 0..<basicCount {
                mB[b][l] = dotRows(L.f + Int(mu[b]) * mp, L.u + Int(mono[b]) * mp, mp)
            }
    }

    /// dV_i/dr_ij for every neighbour from the adjoint of the basic moments,
    /// scattered into forces and the virial (and dE/dc_radial on request).
    func gradient(atom i: Int, slot: Int, lane l: Int, adjoint adjB: UnsafeMutablePointer<Lanes>,
                  config: Configuration, forces: UnsafeMutablePointer<Double>, virial w: UnsafeMutablePointer<Double>,
                  energyGradient: UnsafeMutablePointer<Double>?) {
        let k = ev.k, r = ev.r, s = ev.s
        let L = lane(slot)
        let m = counts[slot]
        aNu.initialize(repeating: 0, count: k * nuCount * mp)
        g.initialize(repeating: 0, count: 3 * k * mp)
        let bMu = bMu
        let mono = bMono
        let bA = bA
        let bB = bB
        let bC = bC
        let lowX = bLowX
        let lowY = bLowY
        let lowZ = bLowZ
            for b in 0..<basicCount {
                let wb = adjB[b][l]
                if wb == 0 { continue }
                let mu = Int(bMu[b])
                let a = Int(bA[b]), bb = Int(bB[b]), c = Int(bC[b])
                axpyRow(aNu + (mu * nuCount + a + bb + c) * mp, wb, L.u + Int(mono[b]) * mp, mp)
                if a > 0 { axpyRow(g + mu * mp, wb * Double(a), L.u + Int(lowX[b]) * mp, mp) }
                if bb > 0 { axpyRow(g + (k + mu) * mp, wb * Double(bb), L.u + Int(lowY[b]) * mp, mp) }
                if c > 0 { axpyRow(g + (2 * k + mu) * mp, wb * Double(c), L.u + Int(lowZ[b]) * mp, mp) }
            }
        // Combine per radial function, as rows over neighbours:
        //   dV/dr_ij = rad e + (gx, gy, gz), with
        //   rad = sum_mu f'_mu A_mu - f_mu/r B_mu,  g = sum_mu f_mu/r G_mu,
        //   A_mu = sum_nu aNu, B_mu = sum_nu nu aNu.
        let aRow = work, bRow = work + mp, rad = work + 2 * mp, fr = work + 3 * mp
        let gx = work + 4 * mp, gy = work + 5 * mp, gz = work + 6 * mp
        for x in 0..<(7 * mp) { work[x] = 0 }
        for mu in 0..<k {
            for q in 0..<mp { aRow[q] = 0; bRow[q] = 0 }
            for nu in 0..<nuCount {
                let row = aNu + (mu * nuCount + nu) * mp
                axpyRow(aRow, 1, row, mp)
                if nu > 0 { axpyRow(bRow, Double(nu), row, mp) }
            }
            let f = L.f + mu * mp, fp = L.fp + mu * mp
            for q in 0..<mp {
                fr[q] = f[q] * L.invR[q]
                rad[q] += fp[q] * aRow[q] - fr[q] * bRow[q]
                gx[q] += fr[q] * g[mu * mp + q]
                gy[q] += fr[q] * g[(k + mu) * mp + q]
                gz[q] += fr[q] * g[(2 * k + mu) * mp + q]
            }
            if let gr = energyGradient {
                // dE/dc[zi, zj, mu, kk] = scaling * sum_j phi_kk(r_ij) A_mu(j)
                let zi = config.species[i]
                for q in 0..<m {
                    let base = (zi * s + config.species[L.atom[q]]) * k * r + mu * r
                    let sa = ev.scaling * aRow[q]
                    for kk in 0..<r { gr[base + kk] += sa * L.phi[kk * mp + q] }
                }
            }
        }
        for q in 0..<m {
            let ex = L.e[q], ey = L.e[mp + q], ez = L.e[2 * mp + q]
            let dvx = rad[q] * ex + gx[q], dvy = rad[q] * ey + gy[q], dvz = rad[q] * ez + gz[q]
            let j = L.atom[q]
            forces[3 * i] += dvx; forces[3 * i + 1] += dvy; forces[3 * i + 2] += dvz
            forces[3 * j] -= dvx; forces[3 * j + 1] -= dvy; forces[3 * j + 2] -= dvz
            let d = L.dist[q]
            let rx = ex * d, ry = ey * d, rz = ez * d
            w[0] -= dvx * rx; w[1] -= dvx * ry; w[2] -= dvx * rz
            w[3] -= dvy * rx; w[4] -= dvy * ry; w[5] -= dvy * rz
            w[6] -= dvz * rx; w[7] -= dvz * ry; w[8] -= dvz * rz
        }
    }
}
