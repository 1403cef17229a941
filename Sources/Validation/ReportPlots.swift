import Foundation
import Plotting

extension ValidationReport {
    /// Every plot: the relative errors of all rows, then each property's own
    /// plots in report order.
    func plots(format: String) -> [ReportPlot] {
        var out: [ReportPlot] = []
        if let errors = errorPlot(format: format) { out.append(errors) }
        for p in properties {
            out += p.plots(results.map { (name: $0.name, result: $0[p.identifier]) }, format: format)
        }
        return out + gradePlots(format: format)
    }

    /// Errors relative to the reference (%), one column of points per
    /// potential, over the rows their properties call comparable.
    func errorPlot(format: String) -> ReportPlot? {
        let plotted = rows.enumerated().filter { _, row in
            row.kind != .flag && property(of: row)?.isPlottedAsError(row) != false
        }
        guard !plotted.isEmpty && !potentialNames.isEmpty else { return nil }
        var data = ReportPlot.header("index", potentialNames.map { "relative_error_percent_" + $0 }) + "# property per index below\n"
        var positive = false
        for (k, (i, row)) in plotted.enumerated() {
            var line = "\(k + 1)"
            for p in potentialNames.indices {
                let e = relativeError(rowIndex: i, potential: p) ?? .nan
                positive = positive || e > 0
                line += " " + num(e)
            }
            data += line + "  # row \(i + 1): \(row.name)\n"
        }
        var plot = Gnuplot(title: "Errors relative to \(referenceName) (row numbers as in report.md)",
                           xLabel: "property", yLabel: "|error| / |reference| (%); curves: RMSE / RMS spread of the reference curve")
        // Log scale spans 0.01% to 1000%; all-zero errors (a potential
        // identical to the reference) have nothing to show on it.
        plot.logY = positive
        // One potential: bars (the seed paper's Fig. 14); several: one
        // marker per potential, so that none hides another.
        let single = potentialNames.count == 1
        plot.series = potentialNames.enumerated().map {
            Gnuplot.Series(title: $0.element, xColumn: 1, yColumn: $0.offset + 2,
                           style: single ? "boxes fs solid 0.6" : "points pt \(5 + 2 * ($0.offset % 4)) ps 1.5")
        }
        plot.verticalLines = plotted.enumerated().map { (Double($0.offset + 1), "\($0.element.offset + 1) \($0.element.element.name)", "gray") }
        plot.xRange = 0...Double(plotted.count + 1)
        return ReportPlot(image: "errors.\(format)", plot: plot, data: data)
    }

    /// |error| / |reference| in %, or for curves the RMSE over the RMS
    /// spread of the reference curve about its mean.
    func relativeError(rowIndex i: Int, potential p: Int) -> Double? {
        let row = rows[i]
        guard let e = row.errors[p].flatMap({ $0 }) else { return nil }
        switch row.kind {
        case .value:
            guard let r = row.reference, r != 0 else { return nil }
            return 100 * abs(e) / abs(r)
        case .curve:
            guard let q = results[0].quantities(row.property)?.first(where: { $0.name == row.name }), q.values.count > 1 else { return nil }
            let mean = q.values.reduce(0, +) / Double(q.values.count)
            let spread = (q.values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(q.values.count)).squareRoot()
            return spread > 0 ? 100 * e / spread : nil
        case .flag:
            return nil
        }
    }
}
