/// Failures under MPI: the ranks of a communicator leave a step together,
/// with one message, so that no rank waits forever in a collective call the
/// others skipped and the job does not print one error per rank.
///
/// The pattern every command follows: run a step that may fail on some ranks
/// (reading a shard, checking it) inside `together`; every rank then either
/// continues or throws the same `CollectiveFailure`.
public enum Collective {
    /// The message of the lowest rank that failed (nil: none did), on every
    /// rank. Every rank of `comm` must call it.
    public static func firstFailure(_ message: String?, _ comm: Communicator) -> String? {
        let first = -Int(comm.allReduceMax(-Double(message == nil ? comm.size : comm.rank)))
        guard first < comm.size else { return nil }
        return comm.broadcast(comm.rank == first ? message! : "", root: first)
    }

    /// Runs `body` on every rank; if it threw on any rank, every rank throws
    /// a `CollectiveFailure` with the lowest failing rank's error.
    public static func together<T>(_ comm: Communicator, _ body: () throws -> T) throws -> T {
        var result: T? = nil
        var message: String? = nil
        do { result = try body() } catch let e as CollectiveFailure { message = e.message } catch { message = "\(error)" }
        if let failure = firstFailure(message, comm) { throw CollectiveFailure(failure) }
        return result!
    }

    /// Runs `body` on the root alone (writing a file, say); every rank
    /// throws alike if it failed there.
    public static func onRoot(_ comm: Communicator, _ body: () throws -> Void) throws {
        try together(comm) { if comm.isRoot { try body() } }
    }

    /// Rank 0's numbers from `body` (run there alone), on every rank, as
    /// doubles (exact and compact, for large results); with no communicator,
    /// `body`'s result. Every rank throws alike if it failed.
    public static func doublesFromRoot(_ comm: Communicator?, _ body: () throws -> [Double]) throws -> [Double] {
        guard let comm else { return try body() }
        var payload: [Double] = []
        try together(comm) { if comm.isRoot { payload = try body() } }
        var size = [Double(payload.count)]
        comm.broadcast(&size)
        if !comm.isRoot { payload = [Double](repeating: 0, count: Int(size[0])) }
        comm.broadcast(&payload)
        return payload
    }

    /// Rank `root`'s result of `body` (run there alone), on every rank; every
    /// rank throws alike if it failed.
    public static func fromRoot<T: Codable>(_ comm: Communicator, root: Int = 0, _ body: () throws -> T) throws -> T {
        let value: T? = try together(comm) { comm.rank == root ? try body() : nil }
        return try comm.broadcast(value, root: root)
    }
}

/// The error every rank raises when a collective step failed on some rank:
/// `message` is the first failing rank's error, identical on all ranks, so
/// the root alone reports it.
public struct CollectiveFailure: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
