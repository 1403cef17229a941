import ArgumentParser
import Foundation
import Parallel

extension ParsableCommand {
    /// Runs `body` on every rank (alone, a single rank) with the world
    /// communicator and a `say` that prints on rank 0. However it ends, the
    /// ranks agree: a failure on any rank is printed once, by rank 0, as one
    /// line, and every rank exits non-zero.
    func runCollectively(_ body: (Communicator, (String) -> Void) throws -> Void) throws {
        let comm = Communicator.start()
        defer { Communicator.finish() }
        func say(_ s: String) { if comm.isRoot { print(s); fflush(stdout) } }
        var message: String? = nil
        do { try body(comm, say) } catch let e as CollectiveFailure { message = e.message } catch { message = "\(error)" }
        if let failure = Collective.firstFailure(message, comm) {
            if comm.isRoot { FileHandle.standardError.write(Data("mtp: error: \(failure)\n".utf8)) }
            Communicator.finish()
            throw ExitCode(1)
        }
    }
}
