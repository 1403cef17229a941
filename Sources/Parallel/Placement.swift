import Foundation
#if canImport(Glibc)
import Glibc
#endif
import CMPI

/// Where the ranks of a communicator run: each rank's host (MPI's processor
/// name) and IPv4 addresses other than loopback, so that a multi-host run
/// shows which rank sits on which host, and whether a host runs more ranks
/// than it has cores (timings then include waiting for a core).
public struct Placement: Codable, Sendable {
    /// Host name of each rank, in rank order.
    public var hosts: [String]
    /// IPv4 addresses (no loopback) of each rank's host, in rank order.
    public var addresses: [[String]]
    /// Ranks per host name.
    public var ranksPerHost: [String: Int]
    /// Whether any host runs more ranks than it has cores.
    public var oversubscribed: Bool

    /// Every rank's placement, on every rank (a collective call).
    public init(_ comm: Communicator) {
        let me = Self.host()
        hosts = comm.allGather(me.name)
        addresses = comm.allGather(me.addresses.joined(separator: ",")).map { $0.split(separator: ",").map(String.init) }
        var perHost: [String: Int] = [:]
        for h in hosts { perHost[h, default: 0] += 1 }
        ranksPerHost = perHost
        let cores = comm.allGatherOrdered([Double(ProcessInfo.processInfo.activeProcessorCount)])
        var over = false
        for (r, h) in hosts.enumerated() where perHost[h, default: 0] > Int(cores[r]) { over = true }
        oversubscribed = over
    }

    /// This process's host name (MPI's processor name) and IPv4 addresses
    /// other than loopback.
    public static func host() -> (name: String, addresses: [String]) {
        var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_PROCESSOR_NAME) + 1)
        var length: Int32 = 0
        MPI_Get_processor_name(&buffer, &length)
        let name = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var addresses: [String] = []
        var list: UnsafeMutablePointer<ifaddrs>? = nil
        if getifaddrs(&list) == 0 {
            var p = list
            while let entry = p {
                if let sa = entry.pointee.ifa_addr, sa.pointee.sa_family == sa_family_t(AF_INET) {
                    var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                    sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                        var addr = sin.pointee.sin_addr
                        _ = inet_ntop(AF_INET, &addr, &text, socklen_t(INET_ADDRSTRLEN))
                    }
                    let s = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    if !s.hasPrefix("127.") { addresses.append(s) }
                }
                p = entry.pointee.ifa_next
            }
            freeifaddrs(list)
        }
        return (name, addresses)
    }
}
