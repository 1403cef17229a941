import Atomistic

/// The weights of one configuration's residuals in a loss gradient: the
/// gradient of a sum of squares sum r^2 is 2 sum r dr/dtheta, so a fit needs
/// only sum_x w_x d(model_x)/dtheta with w_x = 2 r_x * scale_x, never the
/// individual rows of the Jacobian.
public struct ResidualWeights: Sendable {
    /// Weight of the energy.
    public var energy: Double
    /// Weight of each force component, [3 * atom + axis]; empty for none.
    public var forces: [Double]
    /// Weights of the virial in Voigt order xx yy zz yz xz xy; empty for none.
    public var virial: [Double]

    public init(energy: Double = 0, forces: [Double] = [], virial: [Double] = []) {
        self.energy = energy; self.forces = forces; self.virial = virial
    }
}

extension Evaluator {
    /// Adds to `gradient` (room for `parameterCount` values) the derivative
    /// with respect to every parameter of
    ///
    ///     Phi = w_E E + sum_j w_F,j . F_j + sum_v w_W,v W_v.
    ///
    /// With the weights of `ResidualWeights` this is the gradient of a
    /// configuration's loss, at a few times the cost of one evaluation
    /// instead of the cost of the Jacobian.
    ///
    /// Why it is cheap: forces and virial are derivatives of the site
    /// energies with respect to the neighbour vectors d_ij, so their weighted
    /// sum is one directional derivative of the energy, along
    /// delta_ij = (w_F,i - w_F,j) - Lambda d_ij (Lambda the symmetric matrix
    /// of the virial weights). One forward tangent through the contraction
    /// graph gives it; one backward sweep over the values and that tangent
    /// gives its derivative with respect to every coefficient.
    public func accumulateGradient(_ config: Configuration, neighbors nl: NeighborList,
                                   weights: ResidualWeights, into gradient: UnsafeMutablePointer<Double>,
                                   workspace: EvaluationWorkspace) throws {
        try checkSpecies(config)
        precondition(nl.atomCount == config.atomCount, "neighbour list of another configuration")
        precondition(nl.cutoff >= rCut, "neighbour list cutoff \(nl.cutoff) is below the potential's \(rCut)")
        let rows = workspace.rows(for: self, maxNeighbors: nl.maxNeighbors(within: rCut))
        accumulateGradient(config, rows: rows, nl: nl, weights: weights, into: gradient, workspace: workspace)
    }

    /// The same from rows kept between evaluations.
    public func accumulateGradient(_ config: Configuration, cache: NeighborhoodCache,
                                   weights: ResidualWeights, into gradient: UnsafeMutablePointer<Double>,
                                   workspace: EvaluationWorkspace) throws {
        try checkSpecies(config)
        cache.refresh(for: self, config: config)
        accumulateGradient(config, rows: cache.rows, nl: nil, weights: weights, into: gradient, workspace: workspace)
    }

    func accumulateGradient(_ config: Configuration, rows: RowScratch, nl: NeighborList?,
                            weights: ResidualWeights, into gradient: UnsafeMutablePointer<Double>,
                            workspace: EvaluationWorkspace) {
        precondition(weights.forces.isEmpty || weights.forces.count == 3 * config.atomCount)
        precondition(weights.virial.isEmpty || weights.virial.count == 6)
        let n = config.atomCount
        let radialCount = s * s * k * r
        let tangent = workspace.tangentRows(for: rows)
        let T = momentsCount
        let mB = workspace.moments(T), adjB = workspace.adjoints(T)
        let dB = workspace.tangents(T), adjD = workspace.tangentAdjoints(T)

        // Lambda: the coefficient of W9_ab in sum_v w_v W_v (W_v symmetrised).
        var lam = [Double](repeating: 0, count: 9)
        if !weights.virial.isEmpty {
            let v = weights.virial
            lam[0] = v[0]; lam[4] = v[1]; lam[8] = v[2]
            lam[5] = 0.5 * v[3]; lam[7] = 0.5 * v[3]
            lam[2] = 0.5 * v[4]; lam[6] = 0.5 * v[4]
            lam[1] = 0.5 * v[5]; lam[3] = 0.5 * v[5]
        }
        let wE = weights.energy
        let wF = weights.forces

        var start = 0
        while start < n {
            let lanes = min(laneCount, n - start)
            mB.initialize(repeating: Lanes(), count: T)
            dB.initialize(repeating: Lanes(), count: T)
            for lane in 0..<lanes {
                let i = start + lane
                let slot = nl == nil ? i : lane
                if let nl { rows.gather(atom: i, lane: lane, config: config, nl: nl) }
                tangent.directions(atom: i, slot: slot, lane: lane, rows: rows, forceWeights: wF, lambda: lam)
                rows.basicMoments(slot: slot, lane: lane, into: mB)
                tangent.basicTangents(slot: slot, lane: lane, rows: rows, into: dB)
            }
            contractForward(mB, tangent: dB)
            // Linear coefficients: dPhi/dc0 = w_E per atom, dPhi/dxi_a = sum w_E B_a + dB_a.
            for lane in 0..<lanes { gradient[radialCount + config.species[start + lane]] += wE }
            adjB.initialize(repeating: Lanes(), count: T)
            adjD.initialize(repeating: Lanes(), count: T)
            var active = Lanes()
            for lane in 0..<lanes { active[lane] = 1 }
            for a in 0..<slots.count {
                let slot = Int(slots[a])
                let sum = (wE * mB[slot] + dB[slot]) * active
                gradient[radialCount + s + a] += sum.sum()
                adjB[slot] += Lanes(repeating: wE * xi[a])
                adjD[slot] += Lanes(repeating: xi[a])
            }
            contractBackward(mB, adjB, tangent: dB, tangentAdjoint: adjD)
            for lane in 0..<lanes {
                tangent.radialGradient(atom: start + lane, slot: nl == nil ? start + lane : lane, lane: lane, rows: rows, adjoint: adjB,
                                       tangentAdjoint: adjD, config: config, gradient: gradient)
            }
            start += lanes
        }
    }

    /// Values and tangents through the graph: m_k += mult m_i m_j and
    /// dm_k += mult (dm_i m_j + m_i dm_j).
    func contractForward(_ m: UnsafeMutablePointer<Lanes>, tangent d: UnsafeMutablePointer<Lanes>) {
        tI.withUnsafeBufferPointer { ti in
        tJ.withUnsafeBufferPointer { tj in
        tK.withUnsafeBufferPointer { tk in
        tMult.withUnsafeBufferPointer { tm in
            for t in 0..<ti.count {
                let i = Int(ti[t]), j = Int(tj[t]), k = Int(tk[t])
                let mi = m[i], mj = m[j]
                m[k] += tm[t] * (mi * mj)
                d[k] += tm[t] * (d[i] * mj + mi * d[j])
            }
        }}}}
    }

    /// The reverse sweep over values and tangents together.
    func contractBackward(_ m: UnsafeMutablePointer<Lanes>, _ adj: UnsafeMutablePointer<Lanes>,
                          tangent d: UnsafeMutablePointer<Lanes>, tangentAdjoint adjD: UnsafeMutablePointer<Lanes>) {
        tI.withUnsafeBufferPointer { ti in
        tJ.withUnsafeBufferPointer { tj in
        tK.withUnsafeBufferPointer { tk in
        tMult.withUnsafeBufferPointer { tm in
            var t = ti.count - 1
            while t >= 0 {
                let i = Int(ti[t]), j = Int(tj[t]), k = Int(tk[t])
                let a = tm[t] * adj[k], ad = tm[t] * adjD[k]
                let mi = m[i], mj = m[j]
                adj[i] += a * mj + ad * d[j]
                adj[j] += a * mi + ad * d[i]
                adjD[i] += ad * mj
                adjD[j] += ad * mi
                t -= 1
            }
        }}}}
    }
}

/// Rows over the neighbours for the loss gradient's tangent, one set per
/// lane, beside the evaluation rows of the same block.
final class TangentScratch {
    let mp: Int
    let k: Int, nuCount: Int
    let raw: UnsafeMutablePointer<Double>
    let laneStride: Int
    let per: UnsafeMutablePointer<Double>   // shared rows of the current lane's products

    init(rows: RowScratch) {
        mp = rows.mp
        k = rows.ev.k
        nuCount = rows.nuCount
        laneStride = 4 * mp                               // delta x, y, z and e . delta
        let shared = mp * (k * nuCount + 3 * k            // P rows (per mu, nu), Q rows (per axis, mu)
                           + k + k * nuCount + 3 * k      // Um, UdNu, Gd
                           + 4)                           // temporaries
        raw = .allocate(capacity: laneCount * laneStride + shared)
        raw.initialize(repeating: 0, count: laneCount * laneStride + shared)
        per = raw + laneCount * laneStride
    }

    deinit { raw.deallocate() }

    func fits(_ rows: RowScratch) -> Bool { rows.mp == mp && rows.ev.k == k && rows.nuCount == nuCount }

    func delta(_ lane: Int) -> UnsafeMutablePointer<Double> { raw + lane * laneStride }

    /// delta_q = (w_F,i - w_F,j) - Lambda d_q for each neighbour of atom i,
    /// and e_q . delta_q; padding columns stay zero.
    func directions(atom i: Int, slot: Int, lane l: Int, rows: RowScratch, forceWeights wF: [Double], lambda lam: [Double]) {
        let L = rows.lane(slot)
        let m = rows.counts[slot]
        let dx = delta(l), dy = dx + mp, dz = dy + mp, eu = dz + mp
        for x in 0..<(4 * mp) { dx[x] = 0 }
        let hasF = !wF.isEmpty
        for q in 0..<m {
            let ex = L.e[q], ey = L.e[mp + q], ez = L.e[2 * mp + q]
            let r = L.dist[q]
            let rx = ex * r, ry = ey * r, rz = ez * r
            var vx = -(lam[0] * rx + lam[1] * ry + lam[2] * rz)
            var vy = -(lam[3] * rx + lam[4] * ry + lam[5] * rz)
            var vz = -(lam[6] * rx + lam[7] * ry + lam[8] * rz)
            if hasF {
                let j = L.atom[q]
                vx += wF[3 * i] - wF[3 * j]
                vy += wF[3 * i + 1] - wF[3 * j + 1]
                vz += wF[3 * i + 2] - wF[3 * j + 2]
            }
            dx[q] = vx; dy[q] = vy; dz[q] = vz
            eu[q] = ex * vx + ey * vy + ez * vz
        }
    }

    /// dm_b = sum_q grad_{d_q} m_b . delta_q for one lane, where
    /// grad m_b = (f'_mu - nu f_mu / r) u_b e + f_mu / r grad_e u_b.
    func basicTangents(slot: Int, lane l: Int, rows: RowScratch, into dB: UnsafeMutablePointer<Lanes>) {
        let L = rows.lane(slot)
        let dx = delta(l), dy = dx + mp, dz = dy + mp, eu = dz + mp
        let pRows = per, qRows = per + k * nuCount * mp
        for mu in 0..<k {
            let f = L.f + mu * mp, fp = L.fp + mu * mp
            for nu in 0..<nuCount {
                let row = pRows + (mu * nuCount + nu) * mp
                let dnu = Double(nu)
                for q in 0..<mp { row[q] = (fp[q] - dnu * f[q] * L.invR[q]) * eu[q] }
            }
            let qx = qRows + mu * mp, qy = qRows + (k + mu) * mp, qz = qRows + (2 * k + mu) * mp
            for q in 0..<mp {
                let fr = f[q] * L.invR[q]
                qx[q] = fr * dx[q]; qy[q] = fr * dy[q]; qz[q] = fr * dz[q]
            }
        }
        let bMu = rows.bMu
        let mono = rows.bMono
        let bA = rows.bA
        let bB = rows.bB
        let bC = rows.bC
        let lowX = rows.bLowX
        let lowY = rows.bLowY
        let lowZ = rows.bLowZ
            for b in 0..<rows.basicCount {
                let mu = Int(bMu[b])
                let a = Int(bA[b]), bb = Int(bB[b]), c = Int(bC[b])
                var v = dotRows(pRows + (mu * nuCount + a + bb + c) * mp, L.u + Int(mono[b]) * mp, mp)
                if a > 0 { v += Double(a) * dotRows(qRows + mu * mp, L.u + Int(lowX[b]) * mp, mp) }
                if bb > 0 { v += Double(bb) * dotRows(qRows + (k + mu) * mp, L.u + Int(lowY[b]) * mp, mp) }
                if c > 0 { v += Double(c) * dotRows(qRows + (2 * k + mu) * mp, L.u + Int(lowZ[b]) * mp, mp) }
                dB[b][l] = v
            }
    }

    /// dPhi/dc for the radial coefficients of atom i from the adjoints of the
    /// basic moments (adj) and of their tangents (adjD):
    ///   dPhi/df_mu  = sum_b adj_b u_b + adjD_b (grad_e u_b . delta - nu u_b e.delta) / r
    ///   dPhi/df'_mu = sum_b adjD_b u_b e.delta
    /// and f_mu = scaling sum_k c_k phi_k, f'_mu = scaling sum_k c_k phi'_k.
    func radialGradient(atom i: Int, slot: Int, lane l: Int, rows: RowScratch, adjoint adjB: UnsafeMutablePointer<Lanes>,
                        tangentAdjoint adjD: UnsafeMutablePointer<Lanes>, config: Configuration,
                        gradient: UnsafeMutablePointer<Double>) {
        let r = rows.ev.r, s = rows.ev.s, scaling = rows.ev.scaling
        let L = rows.lane(slot)
        let m = rows.counts[slot]
        let dx = delta(l), dy = dx + mp, dz = dy + mp, eu = dz + mp
        let um = per, udNu = um + k * mp, gd = udNu + k * nuCount * mp
        let af = gd + 3 * k * mp, afp = af + mp, sumNu = afp + mp, sumAll = sumNu + mp
        for x in 0..<((k + k * nuCount + 3 * k) * mp) { um[x] = 0 }
        let bMu = rows.bMu
        let mono = rows.bMono
        let bA = rows.bA
        let bB = rows.bB
        let bC = rows.bC
        let lowX = rows.bLowX
        let lowY = rows.bLowY
        let lowZ = rows.bLowZ
            for b in 0..<rows.basicCount {
                let wa = adjB[b][l], wd = adjD[b][l]
                let mu = Int(bMu[b])
                let u = L.u + Int(mono[b]) * mp
                if wa != 0 { axpyRow(um + mu * mp, wa, u, mp) }
                if wd == 0 { continue }
                let a = Int(bA[b]), bb = Int(bB[b]), c = Int(bC[b])
                axpyRow(udNu + (mu * nuCount + a + bb + c) * mp, wd, u, mp)
                if a > 0 { axpyRow(gd + mu * mp, wd * Double(a), L.u + Int(lowX[b]) * mp, mp) }
                if bb > 0 { axpyRow(gd + (k + mu) * mp, wd * Double(bb), L.u + Int(lowY[b]) * mp, mp) }
                if c > 0 { axpyRow(gd + (2 * k + mu) * mp, wd * Double(c), L.u + Int(lowZ[b]) * mp, mp) }
            }
        let zi = config.species[i]
        for mu in 0..<k {
            for q in 0..<mp { sumNu[q] = 0; sumAll[q] = 0 }
            for nu in 0..<nuCount {
                let row = udNu + (mu * nuCount + nu) * mp
                axpyRow(sumAll, 1, row, mp)
                if nu > 0 { axpyRow(sumNu, Double(nu), row, mp) }
            }
            let gx = gd + mu * mp, gy = gd + (k + mu) * mp, gz = gd + (2 * k + mu) * mp
            let umu = um + mu * mp
            for q in 0..<mp {
                af[q] = umu[q] + L.invR[q] * (gx[q] * dx[q] + gy[q] * dy[q] + gz[q] * dz[q] - sumNu[q] * eu[q])
                afp[q] = sumAll[q] * eu[q]
            }
            if s == 1 {
                let base = mu * r
                for kk in 0..<r {
                    gradient[base + kk] += scaling * (dotRows(af, L.phi + kk * mp, mp) + dotRows(afp, L.dphi + kk * mp, mp))
                }
            } else {
                for q in 0..<m {
                    let base = (zi * s + config.species[L.atom[q]]) * k * r + mu * r
                    let a = scaling * af[q], ap = scaling * afp[q]
                    for kk in 0..<r { gradient[base + kk] += a * L.phi[kk * mp + q] + ap * L.dphi[kk * mp + q] }
                }
            }
        }
    }
}
