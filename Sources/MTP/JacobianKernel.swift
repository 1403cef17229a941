import Atomistic
import COpenBLAS

extension Evaluator {
    /// Energy, forces and virial together with their derivatives with respect
    /// to every parameter (radial, species, moment coefficients).
    public func derivatives(_ config: Configuration, neighbors nl: NeighborList) throws -> (EFS, EFSDerivatives) {
        try derivatives(config, neighbors: nl, workspace: JacobianWorkspace())
    }

    /// The same, reusing the buffers of `workspace` (one per thread).
    ///
    /// Per atom i, with m the basic moments and G_b(q) = dm_b/dr_q:
    ///   dF/dxi_a    from  J_a G,            J = dB/dm (sparse, `DerivativePlan`)
    ///   dF/dc_x     from  (H S)_x G + adj dG/dc_x,  H = d2V/dm2, S = dm/dc
    /// The contraction graph is walked once per block of atoms (one atom per
    /// SIMD lane) for m, adj = dV/dm, J and H; everything proportional to
    /// (parameters x force rows) is then one dense product per group of basic
    /// moments over all atoms of a block, with the gradients G stacked per
    /// atom and scattered into force columns (`AtomBlocks`), so BLAS-3 does
    /// the bulk of the work.
    public func derivatives(_ config: Configuration, neighbors nl: NeighborList,
                            workspace ws: JacobianWorkspace) throws -> (EFS, EFSDerivatives) {
        try checkSpecies(config)
        precondition(nl.atomCount == config.atomCount, "neighbour list of another configuration")
        precondition(nl.cutoff >= rCut, "neighbour list cutoff \(nl.cutoff) is below the potential's \(rCut)")
        BLASThreads.useOne()
        let pass = JacobianPass(evaluator: self, plan: DerivativePlan.shared(for: potential.basis),
                                config: config, nl: nl, workspace: ws)
        return pass.run()
    }
}

/// One configuration's Jacobian (see `Evaluator.derivatives`).
struct JacobianPass {
    let ev: Evaluator
    let plan: DerivativePlan
    let config: Configuration
    let nl: NeighborList
    let ws: JacobianWorkspace
    let n: Int, P: Int, L: Int, radialCount: Int, A: Int, nb: Int, T: Int
    let s: Int, k: Int, r: Int
    /// The monomials of the basic moments (each once).
    let sMonos: [Int32]
    /// Rows of H by runs of one radial function: row x has runs
    /// hRowRuns[x]..<hRowRuns[x + 1], run t ends at entry hRuns[2t] and has
    /// mu = hRuns[2t + 1]; entry e reads S at hSOffset[e] (the row of its
    /// column's monomial, in doubles). Read by the H S loop of `atomRows`.
    let hRuns: [Int32], hRowRuns: [Int32], hSOffset: [Int32]
    /// The stacked operand of each group's one product (`products`): for a
    /// block of na atoms, group g's matrix starts at na * stackOffset[g] and
    /// has na * |columns| rows of stackWidth[g] = |rows| + L + 1 entries,
    /// [dB/dm transposed | d adj/dc | adj]: one row per stacked row of G.
    let stackOffset: [Int], stackWidth: [Int], stackEntries: Int

    init(evaluator: Evaluator, plan: DerivativePlan, config: Configuration, nl: NeighborList, workspace: JacobianWorkspace) {
        ev = evaluator; self.plan = plan; self.config = config; self.nl = nl; ws = workspace
        n = config.atomCount; P = evaluator.parameterCount
        s = evaluator.s; k = evaluator.k; r = evaluator.r
        L = s * k * r; radialCount = s * L
        A = evaluator.slots.count; nb = evaluator.basicCount; T = evaluator.momentsCount
        sMonos = Array(Set(evaluator.bMono)).sorted()
        var runs = [Int32](), rowRuns = [Int32](repeating: 0, count: nb + 1)
        let entries = Int(plan.hByRowStart[nb])
        var offsets = [Int32](repeating: 0, count: entries)
        for x in 0..<nb {
            var current: Int32 = -1
            for e in Int(plan.hByRowStart[x])..<Int(plan.hByRowStart[x + 1]) {
                let y = Int(plan.hByRowColumn[e])
                offsets[e] = evaluator.bMono[y] * Int32(s * r)
                let mu = evaluator.bMu[y]
                if mu != current {
                    if current >= 0 { runs.append(Int32(e)); runs.append(current) }
                    current = mu
                }
            }
            if current >= 0 { runs.append(plan.hByRowStart[x + 1]); runs.append(current) }
            rowRuns[x + 1] = Int32(runs.count / 2)
        }
        hRuns = runs; hRowRuns = rowRuns; hSOffset = offsets
        var stackOffsets = [Int](), widths = [Int](), total = 0
        for group in plan.groups {
            let width = group.rows.count + L + 1
            stackOffsets.append(total)
            widths.append(width)
            total += width * group.basic.count
        }
        stackOffset = stackOffsets; stackWidth = widths; stackEntries = total
    }

    /// Outputs accumulated over blocks.
    struct Totals {
        var dE: [Double], dF: [Double], dW9: [Double]
        var forces: [Double], site: [Double], w = [Double](repeating: 0, count: 9), energy = 0.0
    }

    func run() -> (EFS, EFSDerivatives) {
        var totals = Totals(dE: [Double](repeating: 0, count: P), dF: [Double](repeating: 0, count: 3 * n * P),
                            dW9: [Double](repeating: 0, count: 9 * P),
                            forces: [Double](repeating: 0, count: 3 * n), site: [Double](repeating: 0, count: n))
        let maxM = nl.maxNeighbors(within: ev.rCut)
        let rows = RowScratch(evaluator: ev, maxNeighbors: maxM)
        defer { rows.release() }
        let blocks = AtomBlocks(config, nl, cutoff: ev.rCut, basicCount: nb, budgetBytes: JacobianWorkspace.blockBudgetBytes)
        var column = [Int](repeating: -1, count: n)
        for atoms in blocks.blocks {
            // Columns: the block's atoms and their neighbours, in order of appearance.
            var columnAtoms: [Int] = []
            func addColumn(_ j: Int) { if column[j] < 0 { column[j] = columnAtoms.count; columnAtoms.append(j) } }
            for i in atoms {
                addColumn(i)
                for p in nl.offsets[i]..<nl.offsets[i + 1] where nl.distance[p] < ev.rCut { addColumn(Int(nl.neighbor[p])) }
            }
            block(atoms: atoms, column: column, columnAtoms: columnAtoms, rows: rows, totals: &totals)
            for j in columnAtoms { column[j] = -1 }
        }
        // Symmetrise the virial into Voigt order xx yy zz yz xz xy.
        var dW = [Double](repeating: 0, count: 6 * P)
        let pairs = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
        for (v, (a, b)) in pairs.enumerated() {
            for x in 0..<P { dW[v * P + x] = 0.5 * (totals.dW9[(a * 3 + b) * P + x] + totals.dW9[(b * 3 + a) * P + x]) }
        }
        let f = totals.forces, w = totals.w
        let efs = EFS(energy: totals.energy,
                      forces: (0..<n).map { Vec3(f[3 * $0], f[3 * $0 + 1], f[3 * $0 + 2]) },
                      virial: Virial(xx: w[0], yy: w[4], zz: w[8],
                                     yz: 0.5 * (w[5] + w[7]), xz: 0.5 * (w[2] + w[6]), xy: 0.5 * (w[1] + w[3])),
                      siteEnergies: totals.site)
        return (efs, EFSDerivatives(parameterCount: P, energy: totals.dE, forces: totals.dF, virial: dW))
    }

    /// One block of atoms: graph walks per lane, then the products.
    func block(atoms: [Int], column: [Int], columnAtoms: [Int], rows: RowScratch, totals: inout Totals) {
        let na = atoms.count
        let u = columnAtoms.count
        let nc = 3 * u + 9                       // force columns, then the 9 virial components
        let K = na * nb                          // stacked (group, atom, component) rows
        let G = ws.buffer(.gradients, K * nc)          // every row is written by its atom
        // Per group [dB/dm^T | d adj/dc | adj], every entry written by its atom.
        let stack = ws.buffer(.stackedOperands, na * stackEntries)
        let outRad = ws.buffer(.outRadial, s * L * nc)
        outRad.initialize(repeating: 0, count: s * L * nc)
        let mB = ws.buffer(.moments, T, as: Lanes.self)
        let adjB = ws.buffer(.adjoints, T, as: Lanes.self)
        let Jl = ws.buffer(.tangents, plan.jCount, as: Lanes.self)
        let Hl = ws.buffer(.hessian, plan.hCount, as: Lanes.self)
        let hRowEntries = Int(plan.hByRowStart[plan.basicCount])
        let hLanes = ws.buffer(.hessianLane, laneCount * hRowEntries)

        var start = 0
        while start < na {
            // A block holds atoms of one central species (`AtomBlocks`), so
            // its chunks of lanes do too.
            var end = start + 1
            while end < na && end - start < laneCount { end += 1 }
            let lanes = end - start
            mB.initialize(repeating: Lanes(), count: T)
            for lane in 0..<lanes {
                rows.gather(atom: atoms[start + lane], lane: lane, config: config, nl: nl,
                            order: neighbourOrder(atom: atoms[start + lane], column: column))
                rows.basicMoments(lane: lane, into: mB)
            }
            ev.contractForward(mB)
            adjB.initialize(repeating: Lanes(), count: T)
            var v = Lanes()
            for a in 0..<A {
                let slot = Int(ev.slots[a])
                v += ev.xi[a] * mB[slot]
                adjB[slot] += Lanes(repeating: ev.xi[a])
            }
            ev.contractBackward(mB, adjB)
            tangents(mB, Jl)
            hessian(adjB, Jl, Hl)
            fillBlocks(Jl: Jl, lanes: lanes, firstPosition: start, blockAtoms: na, stack: stack)
            // H per lane in the row order of H S (both triangles), so that
            // the product reads its values in sequence.
            // (Lanes read through a Double pointer: subscripting a SIMD8 in
            // memory by a variable lane copies the whole vector first.)
            let hl = UnsafeRawPointer(Hl).assumingMemoryBound(to: Double.self)
            let byRow = plan.hByRowEntry
            for e in 0..<hRowEntries {
                let v = hl + laneCount * Int(byRow[e])
                for lane in 0..<lanes { hLanes[lane * hRowEntries + e] = v[lane] }
            }
            for lane in 0..<lanes {
                let i = atoms[start + lane]
                let zi = config.species[i]
                let vi = v[lane] + ev.c0[zi]
                totals.site[i] = vi
                totals.energy += vi
                totals.dE[radialCount + zi] += 1
                let md = UnsafeRawPointer(mB).assumingMemoryBound(to: Double.self)
                totals.dE.withUnsafeMutableBufferPointer { dE in
                    ev.slots.withUnsafeBufferPointer { slots in
                        for a in 0..<A { dE[radialCount + s + a] += md[laneCount * Int(slots[a]) + lane] }
                    }
                }
                atomRows(atom: i, position: start + lane, lane: lane, lanes: lanes, blockAtoms: na, rows: rows, column: column,
                         columnCount: u, mB: mB, adjB: adjB, hLanes: hLanes, G: G, stack: stack,
                         outRad: outRad, dE: &totals.dE)
            }
            start += lanes
        }
        products(atoms: atoms, columnAtoms: columnAtoms, G: G, stack: stack, outRad: outRad, totals: &totals)
    }

    /// The neighbour-list entries of atom i within the cutoff, sorted by
    /// force column (stable): the periodic images of one atom become one
    /// run, so `atomRows` scatters a row over neighbours as one sum per
    /// run and one store per column instead of a read-modify-write per
    /// neighbour (in a 32-atom cell ~78 neighbours share ~30 columns).
    func neighbourOrder(atom i: Int, column: [Int]) -> UnsafeBufferPointer<Int> {
        let first = nl.offsets[i], last = nl.offsets[i + 1]
        let order = ws.buffer(.neighbourOrder, max(1, 2 * (last - first)), as: Int.self)
        let key = order + (last - first)
        var m = 0
        nl.neighbor.withUnsafeBufferPointer { nb in
        nl.distance.withUnsafeBufferPointer { dist in
            for p in first..<last where dist[p] < ev.rCut {
                // Insertion sort: a few dozen entries, often in runs already.
                let c = column[Int(nb[p])]
                var q = m
                while q > 0 && key[q - 1] > c { key[q] = key[q - 1]; order[q] = order[q - 1]; q -= 1 }
                key[q] = c; order[q] = p
                m += 1
            }
        }}
        return UnsafeBufferPointer(start: order, count: m)
    }

    /// J = dm/dm_basic for every moment, sparse forward mode over the graph.
    func tangents(_ m: UnsafeMutablePointer<Lanes>, _ J: UnsafeMutablePointer<Lanes>) {
        let p = plan
        for b in 0..<nb { J[Int(p.jStart[b])] = Lanes(repeating: 1) }
        for z in 0..<p.zeroCount { J[Int(p.zeroEntries[z])] = Lanes() }
        let src = p.fSrc, dst = p.fDst, runs = p.fRuns
        ev.tI.withUnsafeBufferPointer { ti in
        ev.tJ.withUnsafeBufferPointer { tj in
        ev.tMult.withUnsafeBufferPointer { tm in
            for c in 0..<p.contractionCount {
                let fromI = tm[c] * m[Int(tj[c])], fromJ = tm[c] * m[Int(ti[c])]
                let r0 = Int(runs[4 * c]), r1 = Int(runs[4 * c + 1]), r2 = Int(runs[4 * c + 2])
                let r3 = Int(runs[4 * c + 3]), r4 = Int(runs[4 * c + 4])
                var e = r0
                while e < r1 { J[Int(dst[e])] = fromI * J[Int(src[e])]; e += 1 }
                while e < r2 { J[Int(dst[e])] = fromJ * J[Int(src[e])]; e += 1 }
                while e < r3 { J[Int(dst[e])] += fromI * J[Int(src[e])]; e += 1 }
                while e < r4 { J[Int(dst[e])] += fromJ * J[Int(src[e])]; e += 1 }
            }
        }}}
    }

    /// H = d2V/dm_basic^2 = sum over contractions of adj_k mult (J_i^T J_j + J_j^T J_i):
    /// per contraction an outer product of two contiguous tangent runs.
    func hessian(_ adj: UnsafeMutablePointer<Lanes>, _ J: UnsafeMutablePointer<Lanes>, _ H: UnsafeMutablePointer<Lanes>) {
        let p = plan
        H.initialize(repeating: Lanes(), count: p.hCount)
        let js = p.jStart, dst = p.hOuterDst
        ev.tI.withUnsafeBufferPointer { ti in
        ev.tJ.withUnsafeBufferPointer { tj in
        ev.tK.withUnsafeBufferPointer { tk in
        ev.tMult.withUnsafeBufferPointer { tm in
            for c in 0..<p.contractionCount {
                let wgt = tm[c] * adj[Int(tk[c])]
                let i0 = Int(js[Int(ti[c])]), i1 = Int(js[Int(ti[c]) + 1])
                let j0 = Int(js[Int(tj[c])]), j1 = Int(js[Int(tj[c]) + 1])
                var e = Int(p.hOuter[c])
                for x in i0..<i1 {
                    let a = wgt * J[x]
                    for y in j0..<j1 { H[Int(dst[e])] += a * J[y]; e += 1 }
                }
                for d in Int(p.hDiag[c])..<Int(p.hDiag[c + 1]) {
                    H[Int(p.hDiagDst[d])] += wgt * (J[Int(p.hDiagI[d])] * J[Int(p.hDiagJ[d])])
                }
            }
        }}}}
    }
}
