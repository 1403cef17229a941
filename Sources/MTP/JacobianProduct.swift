import Atomistic

/// A Jacobian-vector product: the directional derivative of one
/// configuration's energy, forces and virial along a direction `v` in
/// parameter space, without forming any Jacobian row. The matrix-free
/// Gauss-Newton optimizer needs J v beside J^T u (which is
/// `accumulateGradient` with the residual-space vector as weights).
///
/// Why it is exact and cheap: the basic moments are linear in the radial
/// functions, and the radial functions are linear in the radial
/// coefficients, so the tangent of every basic moment along v is the moment
/// computed with the radial coefficients v_c in place of c (the same rows,
/// other radial functions). One forward sweep carries values m and tangents
/// dm through the contraction graph (`contractForward(_:tangent:)`), giving
///
///     dV = v_c0 + sum_a (v_xi,a B_a(m) + xi_a dB_a(m, dm)).
///
/// Forces and virial are position derivatives of that scalar. One backward
/// sweep seeded with (v_xi, xi) gives dV/dm and dV/d(dm); the first is
/// scattered to the neighbours through the moments' position gradients with
/// the radial functions of c, the second with those of v_c (the same
/// `RowScratch.gradient` both times). Cost: about one loss+gradient
/// evaluation, whatever the number of parameters.
/// A direction in parameter space, prepared once for many configurations:
/// the evaluator of its radial coefficients (whose rows are the tangents of
/// the radial functions) and its linear coefficients.
public struct ParameterDirection: Sendable {
    let radial: Evaluator
    let species: [Double]
    let moments: [Double]
    let parameterCount: Int
}

extension Evaluator {
    /// `v` (parameter order) prepared for `jacobianProduct`.
    public func direction(_ v: [Double]) throws -> ParameterDirection {
        precondition(v.count == parameterCount, "direction has \(v.count) values, the potential \(parameterCount) parameters")
        let radialCount = s * s * k * r
        var tangent = potential
        tangent.radialCoeffs = Array(v[0..<radialCount])
        return ParameterDirection(radial: try Evaluator(tangent), species: Array(v[radialCount..<(radialCount + s)]),
                                  moments: Array(v[(radialCount + s)...]), parameterCount: v.count)
    }

    /// dE, dF and dW along `direction`, returned as an `EFS` whose site
    /// energies are the per-atom dV.
    public func jacobianProduct(_ config: Configuration, neighbors nl: NeighborList, direction: ParameterDirection,
                                workspace: EvaluationWorkspace) throws -> EFS {
        try checkSpecies(config)
        precondition(nl.atomCount == config.atomCount, "neighbour list of another configuration")
        precondition(nl.cutoff >= rCut, "neighbour list cutoff \(nl.cutoff) is below the potential's \(rCut)")
        let rows = workspace.rows(for: self, maxNeighbors: nl.maxNeighbors(within: rCut))
        return jacobianProduct(config, rows: rows, nl: nl, direction: direction, workspace: workspace)
    }

    /// The same from rows kept between evaluations; the rows hold this
    /// evaluator's radial functions again on return.
    public func jacobianProduct(_ config: Configuration, cache: NeighborhoodCache, direction: ParameterDirection,
                                workspace: EvaluationWorkspace) throws -> EFS {
        try checkSpecies(config)
        cache.refresh(for: self, config: config)
        return jacobianProduct(config, rows: cache.rows, nl: nil, direction: direction, workspace: workspace)
    }

    func jacobianProduct(_ config: Configuration, rows: RowScratch, nl: NeighborList?, direction v: ParameterDirection,
                         workspace ws: EvaluationWorkspace) -> EFS {
        precondition(v.parameterCount == parameterCount, "a direction of another potential")
        let n = config.atomCount
        let evV = v.radial, vC0 = v.species, vXi = v.moments
        let T = momentsCount
        let mB = ws.moments(T), adjB = ws.adjoints(T)
        let dB = ws.tangents(T), adjD = ws.tangentAdjoints(T)

        var forces = [Double](repeating: 0, count: 3 * n)
        var site = [Double](repeating: 0, count: n)
        var w = [Double](repeating: 0, count: 9)
        var energy = 0.0
        defer { rows.ev = self }

        var start = 0
        while start < n {
            let lanes = min(laneCount, n - start)
            mB.initialize(repeating: Lanes(), count: T)
            dB.initialize(repeating: Lanes(), count: T)
            for lane in 0..<lanes {
                let i = start + lane
                let slot = nl == nil ? i : lane
                rows.ev = self
                if let nl { rows.gather(atom: i, lane: lane, config: config, nl: nl) }
                rows.basicMoments(slot: slot, lane: lane, into: mB)
                rows.ev = evV
                rows.radialFunctions(atom: i, slot: slot, config: config)
                rows.basicMoments(slot: slot, lane: lane, into: dB)
            }
            contractForward(mB, tangent: dB)
            var dv = Lanes()
            adjB.initialize(repeating: Lanes(), count: T)
            adjD.initialize(repeating: Lanes(), count: T)
            for a in 0..<slots.count {
                let slot = Int(slots[a])
                dv += vXi[a] * mB[slot] + xi[a] * dB[slot]
                adjB[slot] += Lanes(repeating: vXi[a])
                adjD[slot] += Lanes(repeating: xi[a])
            }
            for lane in 0..<lanes {
                let di = dv[lane] + vC0[config.species[start + lane]]
                site[start + lane] = di
                energy += di
            }
            contractBackward(mB, adjB, tangent: dB, tangentAdjoint: adjD)
            forces.withUnsafeMutableBufferPointer { f in
                w.withUnsafeMutableBufferPointer { wv in
                    for lane in 0..<lanes {
                        let i = start + lane
                        let slot = nl == nil ? i : lane
                        // The rows hold v_c's radial functions: the tangent moments' part.
                        rows.ev = evV
                        rows.gradient(atom: i, slot: slot, lane: lane, adjoint: adjD, config: config,
                                      forces: f.baseAddress!, virial: wv.baseAddress!, energyGradient: nil)
                        // Back to c's radial functions: the values' part.
                        rows.ev = self
                        rows.radialFunctions(atom: i, slot: slot, config: config)
                        rows.gradient(atom: i, slot: slot, lane: lane, adjoint: adjB, config: config,
                                      forces: f.baseAddress!, virial: wv.baseAddress!, energyGradient: nil)
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
}
