import XCTest
import Foundation
@testable import MTP
final class BasisStatsTmpTests: XCTestCase {
    func testStats() throws {
        for level in [28] {
            let t0 = Date()
            let b = try BasisGenerator.basis(level: level)
            print("STATS", level, b.radialFuncsCount, b.basic.count, b.contractions.count, b.momentsCount, b.scalarCount, String(format: "%.3f s", Date().timeIntervalSince(t0)))
        }
    }
}
