import Atomistic

extension Evaluator {
    /// dV_i/dtheta for every atom i: the rows of neighbourhood-mode active
    /// learning, one per atom, at `out[i * parameterCount + p]` (room for
    /// `atomCount * parameterCount` values). Their sum over atoms is dE/dtheta.
    ///
    /// The same sweep as `evaluate`: a site energy depends on the radial
    /// coefficients only through its own neighbourhood, so the radial part of
    /// dE/dtheta that the backward pass scatters per atom is already the site
    /// row, once each atom writes into its own row instead of a shared one.
    public func siteEnergyGradients(_ config: Configuration, neighbors nl: NeighborList,
                                    into out: UnsafeMutablePointer<Double>,
                                    workspace: EvaluationWorkspace? = nil) throws {
        try checkSpecies(config)
        precondition(nl.atomCount == config.atomCount, "neighbour list of another configuration")
        precondition(nl.cutoff >= rCut, "neighbour list cutoff \(nl.cutoff) is below the potential's \(rCut)")
        let n = config.atomCount
        let P = parameterCount
        let radialCount = s * s * k * r
        out.initialize(repeating: 0, count: n * P)

        let maxM = nl.maxNeighbors(within: rCut)
        let ws = workspace ?? EvaluationWorkspace()
        let rows = ws.rows(for: self, maxNeighbors: maxM)
        let T = momentsCount
        let mB = ws.moments(T), adjB = ws.adjoints(T)
        // The backward pass also accumulates forces and the virial; they are not needed here.
        var forces = [Double](repeating: 0, count: 3 * n)
        var w = [Double](repeating: 0, count: 9)

        var start = 0
        while start < n {
            let lanes = min(laneCount, n - start)
            mB.initialize(repeating: Lanes(), count: T)
            for lane in 0..<lanes {
                rows.gather(atom: start + lane, lane: lane, config: config, nl: nl)
                rows.basicMoments(lane: lane, into: mB)
            }
            contractForward(mB)
            adjB.initialize(repeating: Lanes(), count: T)
            for a in 0..<slots.count { adjB[Int(slots[a])] += Lanes(repeating: xi[a]) }
            for lane in 0..<lanes {
                let row = out + (start + lane) * P
                row[radialCount + config.species[start + lane]] = 1
                for a in 0..<slots.count { row[radialCount + s + a] = mB[Int(slots[a])][lane] }
            }
            contractBackward(mB, adjB)
            for lane in 0..<lanes {
                let i = start + lane
                forces.withUnsafeMutableBufferPointer { f in
                    w.withUnsafeMutableBufferPointer { wv in
                        rows.gradient(atom: i, lane: lane, adjoint: adjB, config: config,
                                      forces: f.baseAddress!, virial: wv.baseAddress!, energyGradient: out + i * P)
                    }
                }
            }
            start += lanes
        }
    }

    /// The same, as a new array of `atomCount * parameterCount` values.
    public func siteEnergyGradients(_ config: Configuration, neighbors nl: NeighborList) throws -> [Double] {
        var out = [Double](repeating: 0, count: config.atomCount * parameterCount)
        try out.withUnsafeMutableBufferPointer { try siteEnergyGradients(config, neighbors: nl, into: $0.baseAddress!) }
        return out
    }
}
