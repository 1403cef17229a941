import Foundation

/// Which side of its point each text label goes, so that labels of nearby
/// points (two fits of one level at almost the same cost and error, say)
/// do not print over each other.
///
/// Labels are modelled as boxes in the plot's normalised frame (each axis
/// mapped to 0...1 over the points' span, in log10 when that axis is
/// logarithmic), centred on their point's x (gnuplot's default
/// justification), above or below it. Points are placed by increasing x; each takes the side whose
/// box overlaps fewer of the labels placed before and of the other points'
/// markers (above on a tie). Deterministic: equal inputs, equal sides.
public enum LabelPlacement {
    public enum Side: Equatable, Sendable { case above, below }

    /// Box of a label in the normalised frame: width and height as
    /// fractions of the axes (defaults: a ~15-character label in a
    /// 640-pixel plot with an 8-point font).
    public struct Box: Sendable {
        public var width: Double, height: Double
        public init(width: Double = 0.2, height: Double = 0.05) { self.width = width; self.height = height }
    }

    /// One side per point; points with a non-finite coordinate (or a
    /// non-positive one on a log axis) are not drawn and get `.above`.
    public static func sides(_ points: [(x: Double, y: Double)], logX: Bool, logY: Bool, box: Box = Box()) -> [Side] {
        func map(_ v: Double, _ log: Bool) -> Double? {
            guard v.isFinite, !log || v > 0 else { return nil }
            return log ? log10(v) : v
        }
        let mapped = points.map { p -> (Double, Double)? in
            guard let x = map(p.x, logX), let y = map(p.y, logY) else { return nil }
            return (x, y)
        }
        let xs = mapped.compactMap { $0?.0 }, ys = mapped.compactMap { $0?.1 }
        guard let x0 = xs.min(), let x1 = xs.max(), let y0 = ys.min(), let y1 = ys.max() else {
            return points.map { _ in .above }
        }
        let sx = x1 > x0 ? x1 - x0 : 1, sy = y1 > y0 ? y1 - y0 : 1
        var sides = [Side](repeating: .above, count: points.count)
        // Placed boxes: (left, right, bottom, top).
        var placed: [(Double, Double, Double, Double)] = []
        let order = mapped.indices.filter { mapped[$0] != nil }.sorted {
            let a = mapped[$0]!, b = mapped[$1]!
            return a.0 != b.0 ? a.0 < b.0 : (a.1 != b.1 ? a.1 < b.1 : $0 < $1)
        }
        let gap = box.height / 5
        // Every drawn point's marker, a label should not cover it either.
        let markers: [(Double, Double, Double, Double)] = mapped.map { m in
            guard let (mx, my) = m else { return (.nan, .nan, .nan, .nan) }
            let x = (mx - x0) / sx, y = (my - y0) / sy
            return (x - gap, x + gap, y - gap, y + gap)
        }
        for i in order {
            let (mx, my) = mapped[i]!
            let x = (mx - x0) / sx, y = (my - y0) / sy
            func boxOf(_ side: Side) -> (Double, Double, Double, Double) {
                let l = x - box.width / 2, r = x + box.width / 2
                return side == .above ? (l, r, y + gap, y + gap + box.height) : (l, r, y - gap - box.height, y - gap)
            }
            func overlaps(_ b: (Double, Double, Double, Double)) -> Int {
                placed.filter { $0.0 < b.1 && b.0 < $0.1 && $0.2 < b.3 && b.2 < $0.3 }.count
                    + markers.indices.filter { $0 != i && markers[$0].0 < b.1 && b.0 < markers[$0].1 && markers[$0].2 < b.3 && b.2 < markers[$0].3 }.count
            }
            let above = overlaps(boxOf(.above)), below = overlaps(boxOf(.below))
            let side: Side = above == 0 || above <= below ? .above : .below
            sides[i] = side
            placed.append(boxOf(side))
        }
        return sides
    }

    /// The gnuplot offsets (in characters) of a label on each side.
    public static let offsetAbove = "offset char 0,0.8"
    public static let offsetBelow = "offset char 0,-0.9"

    /// The two label-height columns of a data row, "y NaN" above or
    /// "NaN y" below: gnuplot draws a label only where its column is a number.
    public static func columns(_ y: String, _ side: Side) -> String {
        side == .above ? "\(y) NaN" : "NaN \(y)"
    }

    /// The two label series (above, then below) of a plot whose data rows
    /// end their label text at `labelColumn` and their `columns` at
    /// `aboveColumn` and the one after it.
    public static func series(xColumn: Int, aboveColumn: Int, labelColumn: Int, fontSize: Int) -> [Gnuplot.Series] {
        [Gnuplot.Series(title: "", xColumn: xColumn, yColumn: aboveColumn, style: offsetAbove + " font ',\(fontSize)'", labelColumn: labelColumn),
         Gnuplot.Series(title: "", xColumn: xColumn, yColumn: aboveColumn + 1, style: offsetBelow + " font ',\(fontSize)'", labelColumn: labelColumn)]
    }
}
