/// Buffers of the evaluation kernels, kept between calls so that evaluating
/// many small configurations does not allocate (and page in) fresh memory
/// each time. Not thread-safe: use one per thread.
public final class EvaluationWorkspace {
    var scratch: RowScratch?
    var mB: UnsafeMutablePointer<Lanes>?
    var adjB: UnsafeMutablePointer<Lanes>?
    var dB: UnsafeMutablePointer<Lanes>?
    var adjD: UnsafeMutablePointer<Lanes>?
    var tangent: TangentScratch?
    var laneCapacity = 0

    public init() {}

    deinit {
        scratch?.release()
        mB?.deallocate()
        adjB?.deallocate()
        dB?.deallocate()
        adjD?.deallocate()
    }

    func tangentRows(for rows: RowScratch) -> TangentScratch {
        if let t = tangent, t.fits(rows) { return t }
        let t = TangentScratch(rows: rows)
        tangent = t
        return t
    }

    func rows(for ev: Evaluator, maxNeighbors: Int) -> RowScratch {
        if let s = scratch, s.fits(ev, maxNeighbors) { s.ev = ev; return s }
        scratch?.release()
        // Grow with headroom so that a slightly larger configuration does not reallocate.
        let s = RowScratch(evaluator: ev, maxNeighbors: max(maxNeighbors, (scratch?.mp ?? 0)) + 8)
        scratch = s
        return s
    }

    func moments(_ count: Int) -> UnsafeMutablePointer<Lanes> { ensureLanes(count); return mB! }
    func adjoints(_ count: Int) -> UnsafeMutablePointer<Lanes> { ensureLanes(count); return adjB! }
    func tangents(_ count: Int) -> UnsafeMutablePointer<Lanes> { ensureLanes(count); return dB! }
    func tangentAdjoints(_ count: Int) -> UnsafeMutablePointer<Lanes> { ensureLanes(count); return adjD! }

    private func ensureLanes(_ count: Int) {
        if count <= laneCapacity { return }
        mB?.deallocate(); adjB?.deallocate(); dB?.deallocate(); adjD?.deallocate()
        mB = .allocate(capacity: count)
        adjB = .allocate(capacity: count)
        dB = .allocate(capacity: count)
        adjD = .allocate(capacity: count)
        laneCapacity = count
    }
}
