import CMPI
import _CShims

/// Point-to-point messages of doubles: the fixed-order reductions
/// (`BlockTree`) send partial results to the rank that combines them,
/// instead of gathering everything everywhere.
extension Communicator {
    /// Starts sending `values` to rank `to`; the values are copied, so the
    /// caller may drop them. Call `wait()` on the result (or let
    /// `PendingSends.waitAll` do it) before the communicator is freed.
    public func sendStarted(_ values: [Double], to destination: Int, tag: Int) -> PendingSend {
        let pending = PendingSend(values)
        MPI_Isend(pending.buffer.baseAddress, Int32(values.count), mtp_mpi_double(), Int32(destination), Int32(tag),
                  handle, &pending.request)
        return pending
    }

    /// The next message with `tag` from rank `source`, whatever its length
    /// (probed first).
    public func receive(from source: Int, tag: Int) -> [Double] {
        var status = MPI_Status()
        MPI_Probe(Int32(source), Int32(tag), handle, &status)
        var count: Int32 = 0
        MPI_Get_count(&status, mtp_mpi_double(), &count)
        var out = [Double](repeating: 0, count: Int(count))
        out.withUnsafeMutableBufferPointer { buf in
            _ = MPI_Recv(buf.baseAddress, count, mtp_mpi_double(), Int32(source), Int32(tag), handle, &status)
        }
        return out
    }
}

/// A send in flight: owns a copy of the values until `wait` returns.
public final class PendingSend {
    let buffer: UnsafeMutableBufferPointer<Double>
    var request: MPI_Request? = nil
    private var done = false

    init(_ values: [Double]) {
        buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(values.count, 1))
        _ = buffer.initialize(from: values)
    }

    /// Blocks until the message has left this rank's buffer.
    public func wait() {
        guard !done else { return }
        var status = MPI_Status()
        MPI_Wait(&request, &status)
        done = true
    }

    /// Whether the message has left (MPI_Test; never blocks).
    public var isDone: Bool {
        if done { return true }
        var flag: Int32 = 0
        var status = MPI_Status()
        MPI_Test(&request, &flag, &status)
        if flag != 0 { done = true }
        return done
    }

    deinit {
        wait()
        buffer.deallocate()
    }
}
