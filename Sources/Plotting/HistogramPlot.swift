import Foundation

/// Histograms over one axis drawn as steps, one curve per column: the data
/// file has the bin centres and one column per histogram, so the numbers
/// are there without gnuplot too (see `Gnuplot`).
public struct HistogramPlot {
    /// One histogram: its name and one value per bin.
    public struct Column {
        public var name: String
        public var values: [Double]
        public init(name: String, values: [Double]) { self.name = name; self.values = values }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Bin b spans [b, b + 1) x `binWidth`.
    public var binWidth: Double
    public var columns: [Column]
    public var xRange: ClosedRange<Double>?
    /// Vertical marker lines (see `DistanceMarks`).
    public var marks: [(x: Double, label: String, color: String)] = []
    /// printf formats of the bin centres and the values in the data file.
    public var centerFormat = "%.5f"
    public var valueFormat = "%.6g"

    public init(title: String, xLabel: String, yLabel: String, binWidth: Double, columns: [Column]) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        self.binWidth = binWidth; self.columns = columns
    }

    /// The data file: a `# r_center_A name ...` header (spaces in names
    /// become underscores, so columns stay columns), then one row per bin.
    public var data: String {
        var out = "# r_center_A " + columns.map { $0.name.replacingOccurrences(of: " ", with: "_") }.joined(separator: " ") + "\n"
        let bins = columns.map(\.values.count).max() ?? 0
        for b in 0..<bins {
            out += String(format: centerFormat, (Double(b) + 0.5) * binWidth)
            for c in columns { out += " " + String(format: valueFormat, b < c.values.count ? c.values[b] : 0) }
            out += "\n"
        }
        return out
    }

    /// Writes the data, the script and (with gnuplot) `image`.
    public func render(to image: String) throws -> Gnuplot.Outcome {
        var plot = Gnuplot(title: title, xLabel: xLabel, yLabel: yLabel)
        plot.series = columns.enumerated().map { Gnuplot.Series(title: $0.element.name, xColumn: 1, yColumn: $0.offset + 2, style: "steps") }
        plot.verticalLines = marks
        plot.xRange = xRange
        return try plot.render(data: data, to: image)
    }
}
