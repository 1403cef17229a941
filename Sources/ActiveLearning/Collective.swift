import Parallel

/// Failures under MPI: every rank must leave a collective step together and
/// with the same message, so that the job neither hangs nor prints one
/// error per rank.
public enum Collective {
    /// The message of the lowest rank that failed (nil: none did), on every
    /// rank. Every rank of `comm` must call it.
    public static func firstFailure(_ message: String?, _ comm: Communicator) -> String? {
        let first = -Int(comm.allReduceMax(-Double(message == nil ? comm.size : comm.rank)))
        guard first < comm.size else { return nil }
        var length = [Double(message?.utf8.count ?? 0)]
        comm.broadcast(&length, root: first)
        var bytes = comm.rank == first ? message!.utf8.map { Double($0) } : [Double](repeating: 0, count: Int(length[0]))
        if !bytes.isEmpty { comm.broadcast(&bytes, root: first) }
        return String(decoding: bytes.map { UInt8($0) }, as: UTF8.self)
    }
}
