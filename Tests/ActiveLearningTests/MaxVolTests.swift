import XCTest
import Atomistic
@testable import ActiveLearning

final class MaxVolTests: XCTestCase {
    func determinant(_ a: [Double], _ n: Int) -> Double {
        var m = a, det = 1.0
        for c in 0..<n {
            var p = c
            for r in c..<n where abs(m[r * n + c]) > abs(m[p * n + c]) { p = r }
            if m[p * n + c] == 0 { return 0 }
            if p != c { for x in 0..<n { m.swapAt(p * n + x, c * n + x) }; det = -det }
            det *= m[c * n + c]
            for r in (c + 1)..<n {
                let f = m[r * n + c] / m[c * n + c]
                for x in c..<n { m[r * n + x] -= f * m[c * n + x] }
            }
        }
        return det
    }

    /// The chosen rows bound every coefficient by 1 + tolerance, and no
    /// single exchange of a chosen row for another enlarges |det| beyond that.
    func testSelectionIsLocallyMaximalVolume() throws {
        var g = SplitMix64(seed: 5)
        let m = 40, r = 5
        // Rows of very different scales, as parameter derivatives have.
        var u = [Double](repeating: 0, count: m * r)
        for i in 0..<m { for j in 0..<r { u[i * r + j] = g.uniform(-1, 1) * pow(10, Double(j) - 2) * (i % 7 == 0 ? 30 : 1) } }
        let tol = 1e-9
        let res = try MaxVol.select(u, rows: m, cols: r, tolerance: tol, maxSwaps: 1000)
        XCTAssertEqual(Set(res.selected).count, r)
        XCTAssertLessThanOrEqual(res.maxCoefficient, 1 + tol)
        func volume(_ rows: [Int]) -> Double {
            var a = [Double](repeating: 0, count: r * r)
            for (j, row) in rows.enumerated() { for c in 0..<r { a[j * r + c] = u[row * r + c] } }
            return abs(determinant(a, r))
        }
        let best = volume(res.selected)
        for j in 0..<r {
            for i in 0..<m where !res.selected.contains(i) {
                var other = res.selected
                other[j] = i
                XCTAssertLessThanOrEqual(volume(other), best * (1 + 1e-6), "swap row \(i) into position \(j)")
            }
        }
        let c = try MaxVol.coefficients(u, rows: m, cols: r, selected: res.selected)
        for (j, row) in res.selected.enumerated() {
            for x in 0..<r { XCTAssertEqual(c[row * r + x], x == j ? 1 : 0, accuracy: 1e-12) }
        }
    }
}
