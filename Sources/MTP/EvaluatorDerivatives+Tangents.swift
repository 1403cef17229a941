import Atomistic
import COpenBLAS

extension Evaluator {
    /// Energy, forces and virial with their parameter derivatives by forward
    /// tangents through the whole contraction graph: the first kernel, kept as
    /// the reference the fast one (`derivatives`, JacobianKernel.swift) is
    /// tested and benchmarked against. Its cost per atom is (contractions) x
    /// (3 x neighbours + 3 x radial coefficients), which grows much faster
    /// than the parameter count at high levels.
    ///
    /// One walk over each atom's neighbours gathers the basic moments, their
    /// gradients with respect to the neighbour positions and their
    /// derivatives with respect to the atom's radial coefficients. The rest
    /// is algebra on the contraction graph: forward tangents (positions and
    /// radial coefficients) and the tangent of the backward sweep with
    /// respect to the radial coefficients, which gives the mixed second
    /// derivatives that force derivatives need.
    public func derivativesByTangents(_ config: Configuration, neighbors nl: NeighborList) throws -> (EFS, EFSDerivatives) {
        try checkSpecies(config)
        precondition(nl.atomCount == config.atomCount, "neighbour list of another configuration")
        precondition(nl.cutoff >= rCut, "neighbour list cutoff \(nl.cutoff) is below the potential's \(rCut)")
        // The products here are small: threads would cost more than they
        // save, and under MPI every core already runs a rank.
        BLASThreads.useOne()
        let n = config.atomCount
        let P = parameterCount
        let L = s * k * r                 // radial coefficients of one central species
        let radialCount = s * L
        let A = slots.count
        let T = momentsCount
        let nbasic = basicCount

        var dE = [Double](repeating: 0, count: P)
        var dF = [Double](repeating: 0, count: 3 * n * P)
        var dW9 = [Double](repeating: 0, count: 9 * P)
        var forces = [Double](repeating: 0, count: 3 * n)
        var site = [Double](repeating: 0, count: n)
        var w = [Double](repeating: 0, count: 9)
        var energy = 0.0

        let maxM = nl.maxNeighbors(within: rCut)
        let np = maxNu + 2
        let D = 3 * maxM
        let scratch = Scratch(count: maxM * (2 * r + 2 * k + 3 * np) + T * (2 + D + 2 * L) + 3 * (L + A) + 5 * k
                              + nbasic * 3 * maxM + L * 3 * maxM)
        defer { scratch.release() }
        let phiAll = scratch.take(maxM * r), dphiAll = scratch.take(maxM * r)
        let fAll = scratch.take(maxM * k), fpAll = scratch.take(maxM * k)
        let uxAll = scratch.take(maxM * np), uyAll = scratch.take(maxM * np), uzAll = scratch.take(maxM * np)
        let m = scratch.take(T), adj = scratch.take(T)
        let Dm = scratch.take(T * D)          // dm/d(neighbour positions)
        let Cm = scratch.take(T * L)          // dm/d(radial coefficients of zi)
        let dAdj = scratch.take(T * L)        // d adj/d(radial coefficients of zi)
        let dg = scratch.take(3 * (L + A))    // d(dV_i/dr_ij)/d(local parameters)
        let aMu = scratch.take(k), bMuSum = scratch.take(k)
        let gMu = scratch.take(3 * k)
        let G = scratch.take(nbasic * 3 * maxM)  // gradient of each basic moment term per neighbour
        let dAG = scratch.take(L * 3 * maxM)     // [L][3 maxM] = dAdj(basic)^T G
        var nbIndex = [Int](repeating: 0, count: maxM)
        var nbPair = [Int](repeating: 0, count: maxM)

        for i in 0..<n {
            let zi = config.species[i]
            // Gather the neighbours within the cutoff.
            var M = 0
            for p in nl.offsets[i]..<nl.offsets[i + 1] where nl.distance[p] < rCut {
                nbPair[M] = p
                nbIndex[M] = Int(nl.neighbor[p])
                M += 1
            }
            let Di = 3 * M
            m.initialize(repeating: 0, count: T)
            Dm.initialize(repeating: 0, count: T * D)
            Cm.initialize(repeating: 0, count: T * L)
            for q in 0..<M {
                let p = nbPair[q]
                let zj = config.species[nbIndex[q]]
                let f = fAll + q * k, fp = fpAll + q * k
                let ux = uxAll + q * np, uy = uyAll + q * np, uz = uzAll + q * np
                let phi = phiAll + q * r, dphi = dphiAll + q * r
                prepareNeighbour(dist: nl.distance[p], x: nl.dx[p], y: nl.dy[p], z: nl.dz[p],
                                 pairBase: (zi * s + zj) * k * r,
                                 phi: phi, dphi: dphi, f: f, fp: fp, ux: ux, uy: uy, uz: uz)
                let invR = 1 / nl.distance[p]
                let ex = nl.dx[p] * invR, ey = nl.dy[p] * invR, ez = nl.dz[p] * invR
                for b in 0..<nbasic {
                    let mu = Int(bMu[b])
                    let a = Int(bA[b]), bb = Int(bB[b]), c = Int(bC[b])
                    let u = ux[a + 1] * uy[bb + 1] * uz[c + 1]
                    m[b] += f[mu] * u
                    let radialPart = u * (fp[mu] - bNu[b] * f[mu] * invR)
                    let fr = f[mu] * invR
                    let g = G + (b * maxM + q) * 3
                    g[0] = radialPart * ex + fr * Double(a) * ux[a] * uy[bb + 1] * uz[c + 1]
                    g[1] = radialPart * ey + fr * Double(bb) * ux[a + 1] * uy[bb] * uz[c + 1]
                    g[2] = radialPart * ez + fr * Double(c) * ux[a + 1] * uy[bb + 1] * uz[c]
                    let dm = Dm + b * D + 3 * q
                    dm[0] = g[0]; dm[1] = g[1]; dm[2] = g[2]
                    let cm = Cm + b * L + (zj * k + mu) * r
                    for kk in 0..<r { cm[kk] += scaling * phi[kk] * u }
                }
            }
            // Forward through the contractions: values and both tangents.
            for t in 0..<tI.count {
                let ti = Int(tI[t]), tj = Int(tJ[t]), tk = Int(tK[t])
                let mult = tMult[t]
                let mi = m[ti], mj = m[tj]
                m[tk] += mult * mi * mj
                let dk = Dm + tk * D, di = Dm + ti * D, dj = Dm + tj * D
                for x in 0..<Di { dk[x] += mult * (mj * di[x] + mi * dj[x]) }
                let ck = Cm + tk * L, ci = Cm + ti * L, cj = Cm + tj * L
                for x in 0..<L { ck[x] += mult * (mj * ci[x] + mi * cj[x]) }
            }
            var v = c0[zi]
            for a in 0..<A { v += xi[a] * m[Int(slots[a])] }
            site[i] = v
            energy += v
            // Backward sweep and its tangent with respect to the radial coefficients.
            adj.initialize(repeating: 0, count: T)
            dAdj.initialize(repeating: 0, count: T * L)
            for a in 0..<A { adj[Int(slots[a])] += xi[a] }
            var t = tI.count - 1
            while t >= 0 {
                let ti = Int(tI[t]), tj = Int(tJ[t]), tk = Int(tK[t])
                let mult = tMult[t]
                let ak = adj[tk]
                adj[ti] += mult * ak * m[tj]
                adj[tj] += mult * ak * m[ti]
                let dk = dAdj + tk * L, di = dAdj + ti * L, dj = dAdj + tj * L
                let ci = Cm + ti * L, cj = Cm + tj * L
                let mi = m[ti], mj = m[tj]
                for x in 0..<L {
                    let dkx = dk[x]
                    di[x] += mult * (ak * cj[x] + mj * dkx)
                    dj[x] += mult * (ak * ci[x] + mi * dkx)
                }
                t -= 1
            }
            // Energy derivatives.
            dE[radialCount + zi] += 1
            for a in 0..<A { dE[radialCount + s + a] += m[Int(slots[a])] }
            for b in 0..<nbasic where adj[b] != 0 {
                let cb = Cm + b * L
                for x in 0..<L { dE[zi * L + x] += adj[b] * cb[x] }
            }
            // Through the backward sweep's dependence on the radial
            // coefficients: sum_b dAdj[b][x] G[b][q][c] for every neighbour,
            // one matrix product (the bulk of the work, so BLAS does it).
            if M > 0 && L > 0 {
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(L), Int32(3 * maxM), Int32(nbasic),
                            1.0, dAdj, Int32(L), G, Int32(3 * maxM), 0.0, dAG, Int32(3 * maxM))
            }
            // Per neighbour: dV_i/dr_ij and its parameter derivatives.
            for q in 0..<M {
                let p = nbPair[q]
                let j = nbIndex[q]
                let zj = config.species[j]
                let ux = uxAll + q * np, uy = uyAll + q * np, uz = uzAll + q * np
                let phi = phiAll + q * r, dphi = dphiAll + q * r
                let invR = 1 / nl.distance[p]
                let e = Vec3(nl.dx[p], nl.dy[p], nl.dz[p]) * invR
                let d = Vec3(nl.dx[p], nl.dy[p], nl.dz[p])
                var gv = Vec3.zero
                dg.initialize(repeating: 0, count: 3 * (L + A))
                aMu.initialize(repeating: 0, count: k)
                bMuSum.initialize(repeating: 0, count: k)
                gMu.initialize(repeating: 0, count: 3 * k)
                for b in 0..<nbasic {
                    let g = G + (b * maxM + q) * 3
                    let wb = adj[b]
                    gv[0] += wb * g[0]; gv[1] += wb * g[1]; gv[2] += wb * g[2]
                    if wb != 0 {
                        let mu = Int(bMu[b])
                        let a = Int(bA[b]), bb = Int(bB[b]), c = Int(bC[b])
                        let u = ux[a + 1] * uy[bb + 1] * uz[c + 1]
                        aMu[mu] += wb * u
                        bMuSum[mu] += wb * bNu[b] * u
                        gMu[3 * mu] += wb * Double(a) * ux[a] * uy[bb + 1] * uz[c + 1]
                        gMu[3 * mu + 1] += wb * Double(bb) * ux[a + 1] * uy[bb] * uz[c + 1]
                        gMu[3 * mu + 2] += wb * Double(c) * ux[a + 1] * uy[bb + 1] * uz[c]
                    }
                }
                for x in 0..<L {
                    let row = dAG + x * 3 * maxM + 3 * q
                    dg[x] = row[0]; dg[L + A + x] = row[1]; dg[2 * (L + A) + x] = row[2]
                }
                // Direct dependence of the term's gradient on c[zi, zj, mu, kk].
                for mu in 0..<k {
                    let base = (zj * k + mu) * r
                    for kk in 0..<r {
                        for comp in 0..<3 {
                            dg[comp * (L + A) + base + kk] += scaling * (dphi[kk] * aMu[mu] * e[comp]
                                + phi[kk] * invR * (gMu[3 * mu + comp] - bMuSum[mu] * e[comp]))
                        }
                    }
                }
                // Moment coefficients: the tangent of B_a along this neighbour.
                for a in 0..<A {
                    let row = Dm + Int(slots[a]) * D + 3 * q
                    dg[L + a] = row[0]; dg[(L + A) + L + a] = row[1]; dg[2 * (L + A) + L + a] = row[2]
                }
                for comp in 0..<3 {
                    forces[3 * i + comp] += gv[comp]
                    forces[3 * j + comp] -= gv[comp]
                    for cb in 0..<3 { w[comp * 3 + cb] -= gv[comp] * d[cb] }
                    let src = dg + comp * (L + A)
                    let rowI = (3 * i + comp) * P, rowJ = (3 * j + comp) * P
                    for x in 0..<L {
                        dF[rowI + zi * L + x] += src[x]
                        dF[rowJ + zi * L + x] -= src[x]
                    }
                    for a in 0..<A {
                        dF[rowI + radialCount + s + a] += src[L + a]
                        dF[rowJ + radialCount + s + a] -= src[L + a]
                    }
                    for cb in 0..<3 {
                        let rowW = (comp * 3 + cb) * P
                        for x in 0..<L { dW9[rowW + zi * L + x] -= src[x] * d[cb] }
                        for a in 0..<A { dW9[rowW + radialCount + s + a] -= src[L + a] * d[cb] }
                    }
                }
            }
        }
        // Symmetrise the virial into Voigt order xx yy zz yz xz xy.
        var dW = [Double](repeating: 0, count: 6 * P)
        let pairs = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
        for (v, (a, b)) in pairs.enumerated() {
            for x in 0..<P { dW[v * P + x] = 0.5 * (dW9[(a * 3 + b) * P + x] + dW9[(b * 3 + a) * P + x]) }
        }
        let efs = EFS(energy: energy,
                      forces: (0..<n).map { Vec3(forces[3 * $0], forces[3 * $0 + 1], forces[3 * $0 + 2]) },
                      virial: Virial(xx: w[0], yy: w[4], zz: w[8],
                                     yz: 0.5 * (w[5] + w[7]), xz: 0.5 * (w[2] + w[6]), xy: 0.5 * (w[1] + w[3])),
                      siteEnergies: site)
        return (efs, EFSDerivatives(parameterCount: P, energy: dE, forces: dF, virial: dW))
    }
}
