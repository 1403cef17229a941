import Foundation
import CMPI
import _CShims

/// Bytes, strings and Codable values between ranks.
///
/// MPI moves typed buffers; the engine's collectives move doubles, and
/// everything else (group names, error messages, checkpoints, settings)
/// travels as bytes here, so no caller packs text into doubles. Every
/// function is collective: every rank of the communicator calls it with the
/// same root.
extension Communicator {
    /// `bytes` of `root`, on every rank (the length travels first, so the
    /// other ranks pass anything, e.g. `[]`).
    public func broadcast(bytes: [UInt8], root: Int = 0) -> [UInt8] {
        var length = [Double(rank == root ? bytes.count : 0)]
        broadcast(&length, root: root)
        let n = Int(length[0])
        var out = rank == root ? bytes : [UInt8](repeating: 0, count: n)
        if n > 0 {
            out.withUnsafeMutableBufferPointer { buf in
                _ = MPI_Bcast(buf.baseAddress, Int32(n), mtp_mpi_char(), Int32(root), handle)
            }
        }
        return out
    }

    /// Every rank's bytes, in rank order, on every rank.
    public func allGather(bytes: [UInt8]) -> [[UInt8]] {
        let counts = allGatherOrdered([Double(bytes.count)]).map { Int($0) }
        var displs = [Int32](repeating: 0, count: size)
        for r in 1..<max(size, 1) { displs[r] = displs[r - 1] + Int32(counts[r - 1]) }
        var out = [UInt8](repeating: 0, count: counts.reduce(0, +))
        let recv = counts.map { Int32($0) }
        bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                _ = MPI_Allgatherv(src.baseAddress, Int32(bytes.count), mtp_mpi_char(),
                                   dst.baseAddress, recv, displs, mtp_mpi_char(), handle)
            }
        }
        return (0..<size).map { r in Array(out[Int(displs[r])..<(Int(displs[r]) + counts[r])]) }
    }

    /// `root`'s bytes cut into one piece per rank: rank r gets `pieces[r]`
    /// (only `root`'s `pieces` are read). Lets one rank parse a file and
    /// hand every rank its share.
    public func scatter(bytes pieces: [[UInt8]], root: Int = 0) -> [UInt8] {
        var counts = [Double](repeating: 0, count: size)
        if rank == root { for r in 0..<size { counts[r] = Double(pieces[r].count) } }
        broadcast(&counts, root: root)
        let send = rank == root ? pieces.flatMap { $0 } : []
        var displs = [Int32](repeating: 0, count: size)
        for r in 1..<max(size, 1) { displs[r] = displs[r - 1] + Int32(counts[r - 1]) }
        let sendCounts = counts.map { Int32($0) }
        var out = [UInt8](repeating: 0, count: Int(counts[rank]))
        send.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                _ = MPI_Scatterv(src.baseAddress, sendCounts, displs, mtp_mpi_char(),
                                 dst.baseAddress, Int32(dst.count), mtp_mpi_char(), Int32(root), handle)
            }
        }
        return out
    }

    /// `root`'s string on every rank.
    public func broadcast(_ string: String, root: Int = 0) -> String {
        String(decoding: broadcast(bytes: Array(string.utf8), root: root), as: UTF8.self)
    }

    /// Every rank's string, in rank order.
    public func allGather(_ string: String) -> [String] {
        allGather(bytes: Array(string.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `root`'s value on every rank, through its JSON encoding (which
    /// round-trips doubles exactly). Throws on every rank alike if `root`
    /// cannot encode it.
    public func broadcast<T: Codable>(_ value: T?, root: Int = 0) throws -> T {
        var payload: [UInt8] = []
        if rank == root {
            do { payload = [1] + Array(try JSONEncoder().encode(value!)) } catch { payload = [0] + Array("\(error)".utf8) }
        }
        let received = broadcast(bytes: payload, root: root)
        guard received.first == 1 else {
            throw MessageError("rank \(root) could not encode \(T.self): \(String(decoding: received.dropFirst(), as: UTF8.self))")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(received.dropFirst()))
        } catch {
            throw MessageError("cannot decode \(T.self) from rank \(root): \(error)")
        }
    }

    /// Every rank's value, in rank order.
    public func allGather<T: Codable>(_ value: T) throws -> [T] {
        let encoded = (try? JSONEncoder().encode(value)).map(Array.init) ?? []
        return try allGather(bytes: encoded).enumerated().map { r, bytes in
            do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch {
                throw MessageError("cannot decode \(T.self) from rank \(r): \(error)")
            }
        }
    }
}

/// A value that could not cross between ranks.
public struct MessageError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
