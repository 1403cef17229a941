import Atomistic

/// Atoms whose contraction graphs are evaluated together, one per SIMD lane:
/// the graph's index traffic is paid once per block instead of once per atom.
typealias Lanes = SIMD8<Double>
let laneCount = 8

extension Evaluator {
    /// Energy, forces and virial.
    public func evaluate(_ config: Configuration, neighbors nl: NeighborList) throws -> EFS {
        try evaluate(config, neighbors: nl, energyGradient: nil, workspace: nil)
    }

    /// The same, reusing buffers across calls (one workspace per thread).
    public func evaluate(_ config: Configuration, neighbors nl: NeighborList, workspace: EvaluationWorkspace) throws -> EFS {
        try evaluate(config, neighbors: nl, energyGradient: nil, workspace: workspace)
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
                         energyGradient: UnsafeMutablePointer<Double>?,
                         workspace: EvaluationWorkspace? = nil) throws -> EFS {
        try checkSpecies(config)
        precondition(nl.atomCount == config.atomCount, "neighbour list of another configuration")
        precondition(nl.cutoff >= rCut, "neighbour list cutoff \(nl.cutoff) is below the potential's \(rCut)")
        let ws = workspace ?? EvaluationWorkspace()
        let rows = ws.rows(for: self, maxNeighbors: nl.maxNeighbors(within: rCut))
        return evaluate(config, rows: rows, nl: nl, energyGradient: energyGradient, workspace: ws)
    }

    /// Energy, forces and virial (and dE/dtheta on request) from rows kept
    /// between evaluations, which only need their radial functions redone.
    public func evaluate(_ config: Configuration, cache: NeighborhoodCache,
                         energyGradient: UnsafeMutablePointer<Double>? = nil,
                         workspace: EvaluationWorkspace) throws -> EFS {
        try checkSpecies(config)
        cache.refresh(for: self, config: config)
        return evaluate(config, rows: cache.rows, nl: nil, energyGradient: energyGradient, workspace: workspace)
    }

    /// The kernel. With `nl`, the rows of each block of atoms are gathered
    /// into slots 0..<laneCount; without, `rows` already holds one slot per
    /// atom.
    func evaluate(_ config: Configuration, rows: RowScratch, nl: NeighborList?,
                  energyGradient: UnsafeMutablePointer<Double>?, workspace ws: EvaluationWorkspace) -> EFS {
        let n = config.atomCount
        let P = parameterCount
        let radialCount = s * s * k * r
        if let g = energyGradient { g.initialize(repeating: 0, count: P) }
        let T = momentsCount
        let mB = ws.moments(T), adjB = ws.adjoints(T)

        var forces = [Double](repeating: 0, count: 3 * n)
        var site = [Double](repeating: 0, count: n)
        var w = [Double](repeating: 0, count: 9)
        var energy = 0.0

        var start = 0
        while start < n {
            let lanes = min(laneCount, n - start)
            mB.initialize(repeating: Lanes(), count: T)
            for lane in 0..<lanes {
                let slot = nl == nil ? start + lane : lane
                if let nl { rows.gather(atom: start + lane, lane: lane, config: config, nl: nl) }
                rows.basicMoments(slot: slot, lane: lane, into: mB)
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
                forces.withUnsafeMutableBufferPointer { f in
                    w.withUnsafeMutableBufferPointer { wv in
                        rows.gradient(atom: i, slot: nl == nil ? i : lane, lane: lane, adjoint: adjB, config: config,
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
