import Foundation
import Parallel

/// Wall and CPU time spent in each kind of pass over the training data, so
/// that users (and the benchmarks) see the cost of one evaluation.
public struct PassTimings: Codable, Sendable {
    public struct Tally: Codable, Sendable {
        public var count = 0
        public var wall = 0.0
        public var cpu = 0.0
        public var wallPerPass: Double { count > 0 ? wall / Double(count) : .nan }
        public var cpuPerPass: Double { count > 0 ? cpu / Double(count) : .nan }
    }
    /// Loss only (trial points of Levenberg-Marquardt, final errors).
    public var loss = Tally()
    /// Loss and gradient (BFGS).
    public var gradient = Tally()
    /// Jacobian passes (Levenberg-Marquardt, the linear solve).
    public var jacobian = Tally()

    public init() {}

    mutating func measure<T>(_ which: WritableKeyPath<PassTimings, Tally>, _ body: () throws -> T) rethrows -> T {
        let w0 = DispatchTime.now().uptimeNanoseconds, c0 = ProcessTime.cpuSeconds()
        let out = try body()
        self[keyPath: which].count += 1
        self[keyPath: which].wall += Double(DispatchTime.now().uptimeNanoseconds - w0) * 1e-9
        self[keyPath: which].cpu += ProcessTime.cpuSeconds() - c0
        return out
    }

    /// "Jacobian pass 0.123 s wall, 0.120 s CPU (5); ..." for the kinds that ran.
    public var text: String {
        func per(_ x: Tally, _ name: String) -> String? {
            x.count == 0 ? nil : String(format: "%@ %.3f s wall, %.3f s CPU (%d)", name, x.wallPerPass, x.cpuPerPass, x.count)
        }
        return [per(jacobian, "Jacobian pass"), per(gradient, "loss+gradient"), per(loss, "loss")].compactMap { $0 }
            .joined(separator: "; ")
    }
}
