import Foundation
import Atomistic

/// Reference distances to mark on distance axes: candidate cutoffs, and
/// the coordination shells of an ideal hcp lattice (the cutoff analysis of
/// the seed paper reads the shells a cutoff includes off such a plot).
public enum DistanceMarks {
    /// One red line per cutoff.
    public static func cutoffs(_ values: [Double]) -> [(x: Double, label: String, color: String)] {
        values.map { ($0, "cutoff \($0)", "red") }
    }

    /// One grey line per hcp shell up to `upTo`, labelled with its number and distance.
    public static func hcp(a: Double, cOverA: Double, upTo: Double) -> [(x: Double, label: String, color: String)] {
        hcpShells(a: a, cOverA: cOverA, upTo: upTo).enumerated().map { n, d in (d, "hcp \(n + 1): \(String(format: "%.3f", d))", "gray40") }
    }

    /// Distinct neighbour distances (coordination shells) of an ideal hcp
    /// lattice up to `upTo`, from one atom to every image of both basis atoms.
    public static func hcpShells(a: Double, cOverA: Double, upTo: Double) -> [Double] {
        let c = a * cOverA
        let a1 = Vec3(a, 0, 0), a2 = Vec3(-a / 2, a * 3.0.squareRoot() / 2, 0), a3 = Vec3(0, 0, c)
        let basis = [Vec3.zero, a1 * (1.0 / 3) + a2 * (2.0 / 3) + a3 * 0.5]
        let n = Int((upTo / min(a, c)).rounded(.up)) + 1
        var distances: [Double] = []
        for i in -n...n { for j in -n...n { for k in -n...n {
            for b in basis {
                let d = norm(a1 * Double(i) + a2 * Double(j) + a3 * Double(k) + b)
                if d > 1e-8 && d <= upTo { distances.append(d) }
            }
        } } }
        var shells: [Double] = []
        for d in distances.sorted() where shells.last.map({ d - $0 > 1e-6 }) ?? true { shells.append(d) }
        return shells
    }
}
