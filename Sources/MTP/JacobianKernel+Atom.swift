import Atomistic
import COpenBLAS
import Foundation

extension JacobianPass {
    /// One atom's share of a block's stacked matrices: its rows of G (the
    /// gradients of its basic moments, scattered into force and virial
    /// columns), and in the stacked operands (`stackOffset`) its d adj/dc =
    /// H S and adjoint; its direct radial term (adj dG/dc) straight into the
    /// radial output; its dE/dc.
    func atomRows(atom i: Int, position p: Int, lane: Int, lanes: Int, blockAtoms na: Int, rows: RowScratch, column: [Int],
                  columnCount u: Int, mB: UnsafeMutablePointer<Lanes>, adjB: UnsafeMutablePointer<Lanes>,
                  hLanes: UnsafeMutablePointer<Double>,
                  G: UnsafeMutablePointer<Double>, stack: UnsafeMutablePointer<Double>,
                  outRad: UnsafeMutablePointer<Double>, dE: inout [Double]) {
        let ln = rows.lane(lane)
        let M = rows.counts[lane]
        let mp = rows.mp
        let nuCount = ev.maxNu + 1
        let zi = config.species[i]
        let nc = 3 * u + 9
        let selfCol = 3 * column[i]
        let vir = 3 * u
        let sr = s * r
        // Work rows over neighbours.
        let work = ws.buffer(.rowsWork, mp * (k * nuCount + k + 6 + 3 + 2 * s * r + 5 * k + 9))
        let fr = work, rp = fr + k * mp, dRow = rp + k * nuCount * mp, gRow = dRow + 3 * mp
        let rad = gRow + 3 * mp, phiZ = rad + 3 * mp, dphiZ = phiZ + s * r * mp
        let aMu = dphiZ + s * r * mp, bMu = aMu + k * mp, gMu = bMu + k * mp
        let tRows = gMu + 3 * k * mp, vRows = tRows + 6 * mp
        let colq = ws.buffer(.neighbourColumns, max(M, 1), as: Int.self)
        for q in 0..<M { colq[q] = 3 * column[ln.atom[q]] }
        // Runs of neighbours sharing a column (the rows are sorted by
        // column, `neighbourOrder`): run t ends at segEnd[t], column segCol[t].
        let segEnd = ws.buffer(.segments, 2 * max(M, 1), as: Int.self), segCol = segEnd + max(M, 1)
        var nseg = 0
        do {
            var q = 0
            while q < M {
                let c = colq[q]
                var e = q + 1
                while e < M && colq[e] == c { e += 1 }
                segEnd[nseg] = e; segCol[nseg] = c; nseg += 1
                q = e
            }
        }
        // Stacked row of each basic moment of this atom (in G), and where
        // its d adj/dc and adjoint go in its group's stacked operand.
        let rowOf = ws.buffer(.stackedRows, 2 * nb, as: Int.self), dOf = rowOf + nb
        // Within a group, the rows of a chunk of `lanes` atoms (positions
        // p - lane ..< p - lane + lanes) are ordered (column, lane), as the
        // tangents come (`fillBlocks`).
        for b in 0..<nb {
            let local = (p - lane) * plan.basicGroupSize[b] + Int(plan.columnOf[b]) * lanes + lane
            rowOf[b] = na * plan.basicGroupOffset[b] + local
            let g = Int(plan.groupOf[b])
            dOf[b] = na * stackOffset[g] + local * stackWidth[g] + stackWidth[g] - L - 1   // past the group's |rows|
        }
        for mu in 0..<k {
            for q in 0..<mp { fr[mu * mp + q] = ln.f[mu * mp + q] * ln.invR[q] }
            for nu in 0..<nuCount {
                let row = rp + (mu * nuCount + nu) * mp
                for q in 0..<mp { row[q] = ln.fp[mu * mp + q] - Double(nu) * fr[mu * mp + q] }
            }
        }
        for c in 0..<3 { for q in 0..<mp { dRow[c * mp + q] = ln.e[c * mp + q] * ln.dist[q] } }
        // Radial basis rows per neighbour species (zero for the others).
        if s == 1 {
            phiZ.update(from: ln.phi, count: r * mp)
            dphiZ.update(from: ln.dphi, count: r * mp)
        } else {
            phiZ.initialize(repeating: 0, count: 2 * s * r * mp)
            for q in 0..<M {
                let zj = config.species[ln.atom[q]]
                for kk in 0..<r {
                    phiZ[(zj * r + kk) * mp + q] = ln.phi[kk * mp + q]
                    dphiZ[(zj * r + kk) * mp + q] = ln.dphi[kk * mp + q]
                }
            }
        }
        // S = dm_b/dc per neighbour species: scaling phi_(z,kk) . u_mono(b),
        // which depends on b through its monomial only, so it is formed
        // once per monomial used (level 24: 84 monomials for 581 basic
        // moments) and read by b as St + bMono[b] * sr.
        let St = ws.buffer(.sTilde, ev.monoParent.count * sr)
        for t in sMonos {
            let uRow = ln.u + Int(t) * mp, st = St + Int(t) * sr
            for zk in 0..<sr { st[zk] = ev.scaling * dotRows(phiZ + zk * mp, uRow, mp) }
        }
        aMu.initialize(repeating: 0, count: 5 * k * mp)
        for b in 0..<nb {
            let row = rowOf[b]
            let mu = Int(rows.bMu[b])
            let pw = SIMD3<Int>(Int(rows.bA[b]), Int(rows.bB[b]), Int(rows.bC[b]))
            let nu = pw[0] + pw[1] + pw[2]
            let uRow = ln.u + Int(rows.bMono[b]) * mp
            mulRows(rad, uRow, rp + (mu * nuCount + nu) * mp, mp)
            let R = G + row * nc
            // Force columns only: the nine virial columns are assigned below
            // (a level-24 profile put 16 % of this function's samples on
            // reading them back right after the clear).
            R.initialize(repeating: 0, count: vir)
            for c in 0..<3 {
                let gc = gRow + c * mp
                if pw[c] > 0 {
                    // g_c = rad e_c + pw_c (f_mu / r) u_low, in one pass.
                    let low = ln.u + Int(lowMonomial(rows, c, b)) * mp
                    let scale = SIMD4<Double>(repeating: Double(pw[c]))
                    let frm = fr + mu * mp, ec = ln.e + c * mp
                    var q = 0
                    while q < mp {
                        store4(load4(rad + q) * load4(ec + q) + scale * load4(frm + q) * load4(low + q), gc + q)
                        q += 4
                    }
                } else {
                    mulRows(gc, rad, ln.e + c * mp, mp)
                }
            }
            virialColumns(R + vir, gRow, dRow, mp, assign: true)
            // Into force columns: each neighbour's column loses, the atom's own gains the sum.
            scatterRuns(R, gRow, mp, segEnd, segCol, nseg, selfCol, assign: true)
            let wb = UnsafeRawPointer(adjB + b).assumingMemoryBound(to: Double.self)[lane]
            stack[dOf[b] + L] = wb
            // Adjoint-weighted monomials for the direct radial term.
            if wb != 0 {
                axpyRow(aMu + mu * mp, wb, uRow, mp)
                if nu > 0 { axpyRow(bMu + mu * mp, wb * Double(nu), uRow, mp) }
                for c in 0..<3 where pw[c] > 0 {
                    axpyRow(gMu + (c * k + mu) * mp, wb * Double(pw[c]), ln.u + Int(lowMonomial(rows, c, b)) * mp, mp)
                }
            }
        }
        // dE/dc[zi, z, mu, kk] = sum_b adj_b S_b = scaling phi_(z,kk) . A_mu.
        dE.withUnsafeMutableBufferPointer { dE in
            for mu in 0..<k {
                for z in 0..<s {
                    for kk in 0..<r {
                        dE[zi * L + (z * k + mu) * r + kk] += ev.scaling * dotRows(phiZ + (z * r + kk) * mp, aMu + mu * mp, mp)
                    }
                }
            }
        }
        // d adj/dc = H S, row by row of H: along a row the columns' radial
        // functions come in runs (basic moments are ordered by mu, the runs
        // are `hRuns`), each run summed in registers and added to its block
        // of the row once. Two accumulators: one chain of adds would wait
        // on its own latency at every entry.
        let hv = hLanes + lane * Int(plan.hByRowStart[nb])
        let muOf = rows.bMu, monoOf = rows.bMono
        hRuns.withUnsafeBufferPointer { runs in
        hRowRuns.withUnsafeBufferPointer { rowRuns in
        hSOffset.withUnsafeBufferPointer { sOff in
        for x in 0..<nb {
            let out = stack + dOf[x]
            out.initialize(repeating: 0, count: L)
            let e0 = Int(plan.hByRowStart[x]), e1 = Int(plan.hByRowStart[x + 1])
            for z in 0..<s {
                if r == 8 {
                    let Sz = UnsafeRawPointer(St + z * 8)
                    var e = e0
                    for t in Int(rowRuns[x])..<Int(rowRuns[x + 1]) {
                        let end = Int(runs[2 * t]), mu = Int(runs[2 * t + 1])
                        var a0 = SIMD8<Double>(), a1 = SIMD8<Double>()
                        while e + 1 < end {
                            a0 += hv[e] * (Sz + 8 * Int(sOff[e])).loadUnaligned(as: SIMD8<Double>.self)
                            a1 += hv[e + 1] * (Sz + 8 * Int(sOff[e + 1])).loadUnaligned(as: SIMD8<Double>.self)
                            e += 2
                        }
                        if e < end {
                            a0 += hv[e] * (Sz + 8 * Int(sOff[e])).loadUnaligned(as: SIMD8<Double>.self)
                            e += 1
                        }
                        addRun(out + (z * k + mu) * 8, a0 + a1)
                    }
                } else {
                    for e in e0..<e1 {
                        let y = Int(plan.hByRowColumn[e])
                        let o = out + (z * k + Int(muOf[y])) * r, si = St + Int(monoOf[y]) * sr + z * r
                        let value = hv[e]
                        for kk in 0..<r { o[kk] += value * si[kk] }
                    }
                }
            }
        }
        }}}
        // Direct radial term adj dG/dc, as rows over neighbours: for c[zi, z,
        // mu, kk] and axis c, v[q] = scaling (dphi_kk A_mu e_c + phi_kk / r
        // (G_mu,c - B_mu e_c)), into the neighbours' columns (-), the atom's
        // own (+ the sum) and the virial (- v d).
        for mu in 0..<k {
            for c in 0..<3 {
                let t1 = tRows + c * mp, t2 = tRows + (3 + c) * mp
                let e = ln.e + c * mp, am = aMu + mu * mp, bm = bMu + mu * mp, gm = gMu + (c * k + mu) * mp
                for q in 0..<mp {
                    t1[q] = ev.scaling * am[q] * e[q]
                    t2[q] = ev.scaling * ln.invR[q] * (gm[q] - bm[q] * e[q])
                }
            }
            for z in 0..<s {
                for kk in 0..<r {
                    let ph = phiZ + (z * r + kk) * mp, dph = dphiZ + (z * r + kk) * mp
                    let R = outRad + (zi * L + (z * k + mu) * r + kk) * nc
                    for c in 0..<3 {
                        let v = vRows + c * mp, t1 = tRows + c * mp, t2 = tRows + (3 + c) * mp
                        for q in 0..<mp { v[q] = dph[q] * t1[q] + ph[q] * t2[q] }
                    }
                    scatterRuns(R, vRows, mp, segEnd, segCol, nseg, selfCol, assign: false)
                    virialColumns(R + vir, vRows, dRow, mp, assign: false)
                }
            }
        }
    }

    /// Rows g (3 x mp, over neighbours) into the force columns of output
    /// row R: per run of neighbours with one column, the sum leaves that
    /// column (stored, or subtracted when R accumulates over atoms) and is
    /// added to the atom's own column.
    @inline(__always)
    func scatterRuns(_ R: UnsafeMutablePointer<Double>, _ g: UnsafeMutablePointer<Double>, _ mp: Int,
                     _ segEnd: UnsafeMutablePointer<Int>, _ segCol: UnsafeMutablePointer<Int>, _ nseg: Int,
                     _ selfCol: Int, assign: Bool) {
        let g0 = g, g1 = g + mp, g2 = g + 2 * mp
        var s0 = 0.0, s1 = 0.0, s2 = 0.0
        var q = 0
        for t in 0..<nseg {
            let e = segEnd[t]
            var a0 = g0[q], a1 = g1[q], a2 = g2[q]
            q += 1
            while q < e { a0 += g0[q]; a1 += g1[q]; a2 += g2[q]; q += 1 }
            let o = R + segCol[t]
            if assign { o[0] = -a0; o[1] = -a1; o[2] = -a2 } else { o[0] -= a0; o[1] -= a1; o[2] -= a2 }
            s0 += a0; s1 += a1; s2 += a2
        }
        R[selfCol] += s0; R[selfCol + 1] += s1; R[selfCol + 2] += s2
    }

    /// The monomial one power lower along axis c of basic moment b.
    @inline(__always)
    func lowMonomial(_ rows: RowScratch, _ c: Int, _ b: Int) -> Int32 {
        c == 0 ? rows.bLowX[b] : (c == 1 ? rows.bLowY[b] : rows.bLowZ[b])
    }

    /// The dB/dm blocks of the atoms of lanes 0..<lanes (block positions
    /// p0...), transposed into the first |rows| entries of their stacked
    /// operand rows: within a group the chunk's rows are ordered (column,
    /// lane) like its stacked rows of G.
    func fillBlocks(Jl: UnsafeMutablePointer<Lanes>, lanes: Int, firstPosition p0: Int, blockAtoms na: Int,
                    stack: UnsafeMutablePointer<Double>) {
        let jd = UnsafeRawPointer(Jl).assumingMemoryBound(to: Double.self)
        for (g, group) in plan.groups.enumerated() {
            let cols = group.basic.count, width = stackWidth[g], nr = group.rows.count
            let base = stack + na * stackOffset[g] + p0 * cols * width
            // The tangents of one basis function are contiguous in a table
            // of megabytes at level 24: read them in order (ri outer), each
            // entry once for all lanes, and write the transposed block,
            // whose |columns| x lanes rows stay in cache across ri.
            group.source.withUnsafeBufferPointer { src in
                for ri in 0..<nr {
                    for c in 0..<cols {
                        let rows = base + c * lanes * width + ri
                        let e = Int(src[ri * cols + c])
                        if e < 0 {
                            for lane in 0..<lanes { rows[lane * width] = 0 }
                        } else {
                            let v = jd + e * laneCount
                            for lane in 0..<lanes { rows[lane * width] = v[lane] }
                        }
                    }
                }
            }
        }
    }

    /// out[c * 3 + cb] -= sum_q g_c[q] d_cb[q] (or = minus the sum, with
    /// `assign`): the nine virial columns of one row of G, one axis c per
    /// pass over the neighbours (three accumulators per pass fit the
    /// registers; nine at once spill them).
    @inline(__always)
    func virialColumns(_ out: UnsafeMutablePointer<Double>, _ g: UnsafeMutablePointer<Double>,
                       _ d: UnsafeMutablePointer<Double>, _ mp: Int, assign: Bool) {
        for c in 0..<3 {
            let gc = g + c * mp
            var a0 = SIMD4<Double>(), a1 = SIMD4<Double>(), a2 = SIMD4<Double>()
            var q = 0
            while q < mp {
                let gq = load4(gc + q)
                a0 += gq * load4(d + q); a1 += gq * load4(d + mp + q); a2 += gq * load4(d + 2 * mp + q)
                q += 4
            }
            if assign {
                out[3 * c] = -a0.sum(); out[3 * c + 1] = -a1.sum(); out[3 * c + 2] = -a2.sum()
            } else {
                out[3 * c] -= a0.sum(); out[3 * c + 1] -= a1.sum(); out[3 * c + 2] -= a2.sum()
            }
        }
    }

    /// out[0..<8] += v.
    @inline(__always)
    func addRun(_ out: UnsafeMutablePointer<Double>, _ v: SIMD8<Double>) {
        let o = UnsafeMutableRawPointer(out)
        o.storeBytes(of: o.loadUnaligned(as: SIMD8<Double>.self) + v, as: SIMD8<Double>.self)
    }

    /// The block's products, scattered into the configuration's totals: per
    /// group one product of its stacked operand [dB/dm^T | d adj/dc | adj]
    /// (transposed) with its rows of G, which gives the group's share of the
    /// xi columns, of the radial ones and of the forces and virial at once,
    /// reading (and packing) the group's slice of G once.
    func products(atoms: [Int], columnAtoms: [Int], G: UnsafeMutablePointer<Double>, stack: UnsafeMutablePointer<Double>,
                  outRad: UnsafeMutablePointer<Double>, totals: inout Totals) {
        let na = atoms.count, u = columnAtoms.count, nc = 3 * u + 9
        let K = na * nb
        let t0 = threadCPUSeconds()
        defer {
            ws.productSeconds += threadCPUSeconds() - t0
            ws.productFlops += 2 * Double(nc) * (Double(K) + Double(na) * Double(plan.blockEntries) + Double(L) * Double(K))
        }
        let y = ws.buffer(.columnValues, nc)
        y.initialize(repeating: 0, count: nc)
        let outXi = ws.buffer(.outXi, A * nc)
        outXi.initialize(repeating: 0, count: A * nc)
        let tmp = ws.buffer(.product, (stackWidth.max() ?? 0) * nc)
        // The block's atoms are of one central species (`AtomBlocks`): its
        // radial columns are those of that species' coefficients.
        let zi = config.species[atoms[0]]
        let rad = outRad + zi * L * nc
        for (g, group) in plan.groups.enumerated() {
            let Kg = na * group.basic.count, width = stackWidth[g], nr = group.rows.count
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(width), Int32(nc), Int32(Kg),
                        1, stack + na * stackOffset[g], Int32(width), G + na * plan.groupOffset[g] * nc, Int32(nc),
                        0, tmp, Int32(nc))
            for (ri, a) in group.rows.enumerated() {
                axpyRow(outXi + Int(a) * nc, 1, tmp + ri * nc, nc & ~3); tailAdd(outXi + Int(a) * nc, tmp + ri * nc, nc)
            }
            for l in 0...L {
                let dst = l < L ? rad + l * nc : y
                axpyRow(dst, 1, tmp + (nr + l) * nc, nc & ~3); tailAdd(dst, tmp + (nr + l) * nc, nc)
            }
        }
        // Scatter columns into rows of the configuration's Jacobian.
        let xiBase = radialCount + s
        totals.dF.withUnsafeMutableBufferPointer { dF in
            for (cj, j) in columnAtoms.enumerated() {
                for c in 0..<3 {
                    let col = 3 * cj + c
                    let row = (3 * j + c) * P
                    totals.forces[3 * j + c] += y[col]
                    for a in 0..<A { dF[row + xiBase + a] += outXi[a * nc + col] }
                    for x in (zi * L)..<((zi + 1) * L) { dF[row + x] += outRad[x * nc + col] }
                }
            }
        }
        for v in 0..<9 {
            let col = 3 * u + v
            totals.w[v] += y[col]
            for a in 0..<A { totals.dW9[v * P + xiBase + a] += outXi[a * nc + col] }
            for x in (zi * L)..<((zi + 1) * L) { totals.dW9[v * P + x] += outRad[x * nc + col] }
        }
    }

    /// CPU seconds of the calling thread (the products' own time, whatever
    /// else the machine runs).
    func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// y[x] += x[x] for the last count % 4 entries (axpyRow works in fours).
    @inline(__always)
    func tailAdd(_ y: UnsafeMutablePointer<Double>, _ x: UnsafeMutablePointer<Double>, _ count: Int) {
        var q = count & ~3
        while q < count { y[q] += x[q]; q += 1 }
    }
}
