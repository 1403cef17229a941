import CMPI
import _CShims

/// A small Swift face on an MPI communicator.
///
/// Programs that never call `Communicator.start()` run as a single rank
/// without touching MPI, so the serial tools need no `mpirun`.
public struct Communicator: @unchecked Sendable {
    public let handle: MPI_Comm
    public let rank: Int
    public let size: Int

    /// Initialises MPI once (thread level FUNNELED) and returns COMM_WORLD.
    public static func start() -> Communicator {
        var initialised: Int32 = 0
        MPI_Initialized(&initialised)
        if initialised == 0 {
            var provided: Int32 = 0
            MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided)
        }
        return Communicator(handle: mtp_mpi_comm_world())
    }

    /// Finalises MPI if it was started and not yet finalised.
    public static func finish() {
        var initialised: Int32 = 0
        var finalised: Int32 = 0
        MPI_Initialized(&initialised)
        MPI_Finalized(&finalised)
        if initialised != 0 && finalised == 0 { MPI_Finalize() }
    }

    public init(handle: MPI_Comm) {
        self.handle = handle
        var r: Int32 = 0
        var s: Int32 = 0
        MPI_Comm_rank(handle, &r)
        MPI_Comm_size(handle, &s)
        rank = Int(r)
        size = Int(s)
    }

    public var isRoot: Bool { rank == 0 }

    /// Splits the ranks into sub-communicators (MPI_Comm_split), one per
    /// distinct `color`, ordered within each by `key` (ties: by rank here).
    /// Every rank of this communicator must call it. Ranks passing a nil
    /// color (MPI_UNDEFINED) join none and get nil. Lets independent jobs,
    /// such as the fits of a sweep, run side by side on disjoint ranks with
    /// their collectives confined to their own group.
    public func split(color: Int?, key: Int) -> Communicator? {
        var out: MPI_Comm? = mtp_mpi_comm_null()
        let c = color.map { Int32($0) } ?? Int32(mtp_mpi_undefined())
        MPI_Comm_split(handle, c, Int32(key), &out)
        guard color != nil, let comm = out else { return nil }
        return Communicator(handle: comm)
    }

    /// Releases a communicator made by `split` (collective over its ranks).
    /// Never call it on COMM_WORLD.
    public func free() {
        var h: MPI_Comm? = handle
        MPI_Comm_free(&h)
    }

    public func barrier() { MPI_Barrier(handle) }

    /// Element-wise sum over ranks, result on every rank. Floating-point sums
    /// depend on the reduction tree; callers that need rank-count independent
    /// results reduce per-item values in a fixed order instead
    /// (`gatherOrdered`).
    public func allReduceSum(_ values: inout [Double]) {
        let n = Int32(values.count)
        values.withUnsafeMutableBufferPointer { buf in
            _ = MPI_Allreduce(mtp_mpi_in_place(), buf.baseAddress, n, mtp_mpi_double(), mtp_mpi_sum(), handle)
        }
    }

    public func allReduceMax(_ value: Double) -> Double {
        var v = value
        var out = 0.0
        MPI_Allreduce(&v, &out, 1, mtp_mpi_double(), mtp_mpi_max(), handle)
        return out
    }

    /// Every rank's contiguous block, concatenated in rank order on every rank.
    public func allGatherOrdered(_ local: [Double]) -> [Double] {
        var count = Int64(local.count)
        var counts = [Int64](repeating: 0, count: size)
        counts.withUnsafeMutableBufferPointer { buf in
            _ = MPI_Allgather(&count, 1, mtp_mpi_int64(), buf.baseAddress, 1, mtp_mpi_int64(), handle)
        }
        let recvCounts = counts.map { Int32($0) }
        var displs = [Int32](repeating: 0, count: size)
        for r in 1..<max(size, 1) { displs[r] = displs[r - 1] + recvCounts[r - 1] }
        var out = [Double](repeating: 0, count: Int(counts.reduce(0, +)))
        local.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                _ = MPI_Allgatherv(src.baseAddress, Int32(local.count), mtp_mpi_double(),
                                   dst.baseAddress, recvCounts, displs, mtp_mpi_double(), handle)
            }
        }
        return out
    }

    public func broadcast(_ values: inout [Double], root: Int = 0) {
        let n = Int32(values.count)
        values.withUnsafeMutableBufferPointer { buf in
            _ = MPI_Bcast(buf.baseAddress, n, mtp_mpi_double(), Int32(root), handle)
        }
    }
}
