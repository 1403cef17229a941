import Atomistic

/// The parameter-independent part of a configuration's evaluation rows
/// (neighbours, distances, unit vectors, radial basis values and their
/// derivatives, direction monomials), one slot per atom, computed once.
/// Positions never change during a fit, so every later evaluation only
/// recomputes the radial functions from the current coefficients: for
/// small and medium levels that was about a third of an evaluation.
public final class NeighborhoodCache {
    private(set) var rows: RowScratch
    private var radialInUse: [Double] = []
    private var scalingInUse = Double.nan
    /// The configuration whose rows are held, for `refill`'s callers.
    public private(set) var tag = -1

    /// Bytes a cache of this configuration would hold.
    public static func bytes(for ev: Evaluator, config: Configuration, neighbors nl: NeighborList) -> Int {
        let mp = max(4, (nl.maxNeighbors(within: ev.rCut) + 3) & ~3)
        let perAtom = mp * (ev.monoParent.count + 2 * ev.k + 2 * ev.r + 5) * 8 + 2 * mp * 8
        return config.atomCount * perAtom
    }

    public init(_ ev: Evaluator, config: Configuration, neighbors nl: NeighborList, tag: Int = -1) throws {
        self.tag = tag
        try ev.checkSpecies(config)
        precondition(nl.atomCount == config.atomCount, "neighbour list of another configuration")
        precondition(nl.cutoff >= ev.rCut, "neighbour list cutoff below the potential's")
        rows = RowScratch(evaluator: ev, maxNeighbors: nl.maxNeighbors(within: ev.rCut), slots: max(1, config.atomCount))
        for i in 0..<config.atomCount { rows.gatherGeometry(atom: i, slot: i, config: config, nl: nl) }
    }

    deinit { rows.release() }

    /// Holds the rows of another configuration, in this cache's memory when
    /// it is large enough. A fit that keeps no cache per configuration
    /// refills one per configuration and evaluation: the rows then stay in
    /// the processor's caches while both passes of a loss+gradient
    /// evaluation read them, instead of streaming every configuration's
    /// rows from memory (see docs/training.md for the measured trade-off).
    public func refill(_ ev: Evaluator, config: Configuration, neighbors nl: NeighborList, tag: Int) throws {
        try ev.checkSpecies(config)
        precondition(nl.atomCount == config.atomCount, "neighbour list of another configuration")
        precondition(nl.cutoff >= ev.rCut, "neighbour list cutoff below the potential's")
        let maxM = nl.maxNeighbors(within: ev.rCut)
        if !(rows.fits(ev, maxM) && rows.slots >= config.atomCount && ev.rCut == rows.ev.rCut && ev.rMin == rows.ev.rMin && ev.clampsBelowMin == rows.ev.clampsBelowMin) {
            let grown = RowScratch(evaluator: ev, maxNeighbors: max(maxM + 8, rows.mp),
                                   slots: max(config.atomCount, rows.slots))
            rows.release()
            rows = grown
        }
        rows.ev = ev
        for i in 0..<config.atomCount { rows.gatherGeometry(atom: i, slot: i, config: config, nl: nl) }
        radialInUse = []
        scalingInUse = .nan
        self.tag = tag
    }

    /// Radial functions for `ev`'s coefficients (the basis shape must be
    /// the one the cache was built for).
    func refresh(for ev: Evaluator, config: Configuration) {
        precondition(rows.fits(ev, 0) && ev.rCut == rows.ev.rCut && ev.rMin == rows.ev.rMin && ev.clampsBelowMin == rows.ev.clampsBelowMin,
                     "a neighbourhood cache is only valid for potentials of the shape it was built for")
        rows.ev = ev
        if ev.radial == radialInUse && ev.scaling == scalingInUse { return }
        for i in 0..<config.atomCount { rows.radialFunctions(atom: i, slot: i, config: config) }
        radialInUse = ev.radial
        scalingInUse = ev.scaling
    }
}
