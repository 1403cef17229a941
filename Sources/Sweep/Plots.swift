import Foundation
import Plotting

/// The sweep's two plots, each with its data file and gnuplot script beside
/// it (see `Gnuplot`): energy RMSE against level, one line per cutoff; and
/// energy RMSE against measured cost, with the Pareto front drawn as a line.
public enum SweepPlots {
    /// Draws both plots into `directory` as `rmse-vs-level.FORMAT` and
    /// `cost-vs-error.FORMAT`; returns one line per plot saying what was written.
    public static func render(_ records: [FitRecord], directory: String, format: String) throws -> [String] {
        guard !records.isEmpty else { return [] }
        var messages: [String] = []
        func note(_ outcome: Gnuplot.Outcome, _ name: String) {
            switch outcome {
            case .drawn(let image): messages.append("\(name): \(image)")
            case .dataOnly(let reason): messages.append("\(name): no plot, \(reason)")
            }
        }
        func e(_ r: FitRecord) -> Double { r.overall?.energyRMSE ?? .nan }
        func n(_ x: Double) -> String { x.isNaN ? "NaN" : String(format: "%.10g", x) }

        // RMSE against level: one column per cutoff.
        let levels = Array(Set(records.map(\.settings.level))).sorted()
        let cutoffs = Array(Set(records.map(\.settings.cutoff))).sorted()
        var data = "# level " + cutoffs.map { String(format: "E_RMSE_meV_per_atom_cutoff_%.2f", $0) }.joined(separator: " ") + "\n"
        for l in levels {
            data += String(l)
            for c in cutoffs {
                data += " " + n(records.first { $0.settings.level == l && $0.settings.cutoff == c }.map(e) ?? .nan)
            }
            data += "\n"
        }
        var plot = Gnuplot(title: "Training energy RMSE against level", xLabel: "level", yLabel: "energy RMSE (meV/atom)")
        plot.series = cutoffs.enumerated().map {
            Gnuplot.Series(title: String(format: "cutoff %.2f A", $0.element), xColumn: 1, yColumn: $0.offset + 2, style: "linespoints")
        }
        plot.logY = records.allSatisfy { e($0) > 0 || e($0).isNaN }
        // Levels are integers: tics at the sweep's own step.
        let steps = zip(levels.dropFirst(), levels).map { $0 - $1 }
        plot.xTicStep = Double(steps.min() ?? 1)
        note(try plot.render(data: data, to: (directory as NSString).appendingPathComponent("rmse-vs-level.\(format)")), "energy RMSE vs level")

        // Cost against error: the front's rows first, by cost, so its line
        // joins only front points; the other fits follow with NaN there.
        // On the validation set when the sweep had one (`Records.paretoFront`).
        let valid = Records.hasValidation(records)
        func fe(_ r: FitRecord) -> Double { Records.frontError(r, validation: valid) }
        let which = valid ? "validation" : "training"
        let front = Records.paretoFront(records)
        let rest = records.indices.filter { !front.contains($0) }
        let logY = records.allSatisfy { fe($0) > 0 || fe($0).isNaN }
        let sides = LabelPlacement.sides(records.map { (x: $0.cost?.microsecondsPerAtom ?? .nan, y: fe($0)) }, logX: false, logY: logY)
        data = "# cost_us_per_atom \(which)_E_RMSE_meV_per_atom pareto_E_RMSE level cutoff_A label label_above_y label_below_y\n"
        for i in front + rest {
            let r = records[i]
            let label = String(format: "L%d/%.1fA", r.settings.level, r.settings.cutoff)
            data += "\(n(r.cost?.microsecondsPerAtom ?? .nan)) \(n(fe(r))) \(front.contains(i) ? n(fe(r)) : "NaN") \(r.settings.level) \(String(format: "%.2f", r.settings.cutoff)) \(label) "
                + LabelPlacement.columns(n(fe(r)), sides[i]) + "\n"
        }
        plot = Gnuplot(title: "Cost against \(which) energy RMSE (" + (records.lazy.compactMap(\.cost).first?.structure ?? "no cost measured") + ")",
                       xLabel: "cost (microseconds per atom per force call)", yLabel: "\(which) energy RMSE (meV/atom)")
        plot.series = [Gnuplot.Series(title: "fits", xColumn: 1, yColumn: 2, style: "points pt 7 ps 1"),
                       Gnuplot.Series(title: "Pareto front", xColumn: 1, yColumn: 3, style: "linespoints lw 2 pt 6 ps 2")]
            // Every point named, below it when a neighbour's label is above.
            + LabelPlacement.series(xColumn: 1, aboveColumn: 7, labelColumn: 6, fontSize: 9)
        plot.logY = logY
        note(try plot.render(data: data, to: (directory as NSString).appendingPathComponent("cost-vs-error.\(format)")), "cost vs \(which) error")
        return messages
    }
}
