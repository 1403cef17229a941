import CMPI
import _CShims

/// A few 64-bit integer counters held by one rank of a communicator, which
/// any rank can read and add to atomically at any time, without the holder
/// taking part (MPI one-sided `MPI_Fetch_and_op` under a passive-target lock).
///
/// Lets ranks that work independently share a queue: each takes the next
/// item with `fetchAdd(0, 1)` while the holder is busy with its own work, as
/// a sweep's groups do with its fits. Creating and freeing are collective
/// over the communicator; `fetchAdd` is not. On one node Open MPI serves the
/// window from shared memory; across nodes it needs a one-sided component
/// for the network (`osc rdma`/`ucx` on RDMA hardware; Debian's Open MPI
/// disables `osc pt2pt`, so over plain TCP there is none): `make` then
/// returns nil on every rank and the caller does without.
public final class SharedCounters: @unchecked Sendable {
    private var window: MPI_Win?
    private var base: UnsafeMutablePointer<Int64>?
    public let count: Int
    public let holder: Int

    /// `count` counters, all zero, held by rank `holder` of `comm`, or nil
    /// on every rank if the MPI library cannot make the window on some rank
    /// (collective: every rank of `comm` calls it).
    public static func make(count: Int, holder: Int = 0, comm: Communicator) -> SharedCounters? {
        precondition(count >= 1, "SharedCounters needs at least one counter")
        let bytes = comm.rank == holder ? count * MemoryLayout<Int64>.size : 0
        var pointer: UnsafeMutableRawPointer? = nil
        var win: MPI_Win? = nil
        // Errors of window creation go to the communicator's handler:
        // returned, not fatal, for this one call.
        var previous: MPI_Errhandler? = nil
        MPI_Comm_get_errhandler(comm.handle, &previous)
        MPI_Comm_set_errhandler(comm.handle, mtp_mpi_errors_return())
        let status = withUnsafeMutablePointer(to: &pointer) { p in
            MPI_Win_allocate(MPI_Aint(bytes), Int32(MemoryLayout<Int64>.size), mtp_mpi_info_null(),
                             comm.handle, UnsafeMutableRawPointer(p), &win)
        }
        MPI_Comm_set_errhandler(comm.handle, previous)
        MPI_Errhandler_free(&previous)
        let failed = comm.allReduceMax(status == MPI_SUCCESS && win != nil ? 0 : 1) > 0
        // A window made on some ranks only is left alone: freeing it is
        // collective and would wait for ranks that have none.
        guard !failed else { return nil }
        return SharedCounters(count: count, holder: holder, comm: comm, window: win, pointer: pointer)
    }

    private init(count: Int, holder: Int, comm: Communicator, window win: MPI_Win?, pointer: UnsafeMutableRawPointer?) {
        self.count = count
        self.holder = holder
        window = win
        if comm.rank == holder, let p = pointer {
            base = p.bindMemory(to: Int64.self, capacity: count)
            MPI_Win_lock(MPI_LOCK_EXCLUSIVE, Int32(holder), 0, win)
            for i in 0..<count { base![i] = 0 }
            MPI_Win_unlock(Int32(holder), win)
        }
        // No rank adds before the holder has set the counters to zero.
        comm.barrier()
    }

    /// Adds `value` to counter `index` and returns its value before the
    /// addition, atomically with respect to every other rank's calls.
    public func fetchAdd(_ index: Int, _ value: Int64) -> Int64 {
        precondition((0..<count).contains(index), "counter \(index) outside 0..<\(count)")
        var add = value
        var before: Int64 = 0
        MPI_Win_lock(MPI_LOCK_SHARED, Int32(holder), 0, window)
        MPI_Fetch_and_op(&add, &before, mtp_mpi_int64(), Int32(holder), MPI_Aint(index), mtp_mpi_sum(), window)
        MPI_Win_unlock(Int32(holder), window)
        return before
    }

    /// The current value of counter `index`.
    public func value(_ index: Int) -> Int64 { fetchAdd(index, 0) }

    /// Releases the window (collective over the communicator it was made on).
    public func free() {
        guard window != nil else { return }
        MPI_Win_free(&window)
        window = nil
        base = nil
    }
}
