import Foundation
import Atomistic
import Plotting
import Sweep
import Validation

/// One fit's results as the figures read them: its sweep record (training
/// errors, cost) and its validation record, either missing if not done.
public struct StudyResult: Sendable {
    public var fit: StudyFit
    public var record: FitRecord?
    public var validation: StudyValidationRecord?

    /// Training energy RMSE on the fit's own subset (meV/atom).
    public var trainingRMSE: Double? { record?.overall?.energyRMSE }
    /// Energy RMSE on the whole ASSYST set (meV/atom): comparable across subsets.
    public var fullSetRMSE: Double? { validation?.groupError("(all)")?.energyRMSE }
    /// Measured cost (us per atom per force call) of the fit's (level,
    /// cutoff): the same for every subset (the model's size and neighbours
    /// do not depend on the data), so the best of the subsets' measurements
    /// (`sharingCosts`); without it, this fit's own measurement.
    public var cost: Double?

    public init(fit: StudyFit, record: FitRecord?, validation: StudyValidationRecord?) {
        self.fit = fit; self.record = record; self.validation = validation
        cost = record?.cost?.microsecondsPerAtom
    }

    /// `results` with every fit's cost the smallest measured for its (level,
    /// cutoff) in any subset: the measurements of equal potentials differ
    /// only by timing noise, which must not decide the Pareto front.
    public static func sharingCosts(_ results: [StudyResult]) -> [StudyResult] {
        var best: [String: Double] = [:]
        for r in results { if let c = r.cost, c.isFinite { best[r.fit.stem] = min(best[r.fit.stem] ?? .infinity, c) } }
        return results.map { var r = $0; r.cost = best[r.fit.stem]; return r }
    }
}

/// The seed paper's figures from a study's results, each as PNG and SVG
/// with its data file and gnuplot script beside it (`Gnuplot`):
/// Fig. 4 (energy RMSE against level per subset and cutoff, on the
/// training subset and on the whole set), Fig. 5 (cost against whole-set
/// error with the Pareto front), Fig. 6 (E-V errors against level, near
/// and far from equilibrium), Fig. 10 (vacancy MAE against level and
/// cutoff) and Fig. 14 (errors on every group per training subset at the
/// chosen levels, one figure per level and cutoff).
public enum StudyFigures {
    public static let formats = ["png", "svg"]

    /// A figure drawn (or only its data written) and what it shows.
    public struct Drawn: Sendable {
        public var name: String
        public var caption: String
        /// The image paths drawn; empty with `note` when gnuplot could not draw.
        public var images: [String]
        public var data: String
        public var note: String?
    }

    static func n(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "NaN" }
        return String(format: "%.8g", x)
    }

    /// Renders `plot` with `data` as `name`.png and .svg in `directory`.
    static func render(_ plot: Gnuplot, data: String, name: String, caption: String, directory: String) throws -> Drawn {
        var images: [String] = [], note: String? = nil
        for f in formats {
            switch try plot.render(data: data, to: (directory as NSString).appendingPathComponent("\(name).\(f)")) {
            case .drawn(let image): images.append(image)
            case .dataOnly(let reason): note = reason
            }
        }
        return Drawn(name: name, caption: caption, images: images,
                     data: (directory as NSString).appendingPathComponent("\(name).dat"), note: note)
    }

    /// Draws every figure into `directory`.
    public static func render(_ results: [StudyResult], configuration c: StudyConfiguration, directory: String) throws -> [Drawn] {
        try StudyLayout.makeDirectory(directory, "figures")
        var out: [Drawn] = []
        let (near, far) = rangeLabels(c)

        out.append(try levelFigure(results, c, name: "fig4-rmse-vs-level", caption: "Fig. 4: training energy RMSE against level, per subset and cutoff",
                                   title: "Energy RMSE on the training subset against level", yLabel: "energy RMSE (meV/atom)",
                                   directory: directory) { $0.trainingRMSE })
        out.append(try levelFigure(results, c, name: "fig4-full-set-rmse-vs-level",
                                   caption: "Fig. 4 (whole set): energy RMSE on the whole ASSYST set against level, per training subset and cutoff",
                                   title: "Energy RMSE on the whole training set against level", yLabel: "energy RMSE (meV/atom)",
                                   directory: directory) { $0.fullSetRMSE })
        out.append(try costFigure(results, directory: directory))
        if c.properties.contains("energy-volume") {
            for (range, tag) in [(near, "near"), (far, "far")] {
                out.append(try levelFigure(results, c, name: "fig6-ev-\(tag)-vs-level",
                                           caption: "Fig. 6: E-V RMSE within \(range) of the equilibrium volume (mean over hcp, fcc, dhcp, bcc) against level",
                                           title: "E-V RMSE within \(range) (mean over hcp, fcc, dhcp, bcc)", yLabel: "E-V RMSE (meV/atom)",
                                           directory: directory) { $0.validation?.energyVolumeRMSE(range: range) })
            }
        }
        if c.properties.contains("vacancies") {
            out.append(try levelFigure(results, c, name: "fig10-vacancy-mae-vs-level",
                                       caption: "Fig. 10: vacancy formation energy MAE over hcp, fcc, dhcp, bcc against level and cutoff",
                                       title: "Vacancy formation energy MAE (hcp, fcc, dhcp, bcc)", yLabel: "MAE (eV)",
                                       directory: directory) { $0.validation?.vacancyMAE })
        }
        for level in c.figureLevels {
            for cutoff in c.cutoffs { out.append(try groupFigure(results, c, level: level, cutoff: cutoff, directory: directory)) }
        }
        return out
    }

    /// The E-V range labels of the study's validation settings ("+-10%", "+-80%"), as the report names its rows.
    public static func rangeLabels(_ c: StudyConfiguration) -> (near: String, far: String) {
        let s = c.quickValidation ? ValidationSettings.quick : ValidationSettings()
        return (String(format: "+-%.0f%%", 100 * s.smallVolumeRange), String(format: "+-%.0f%%", 100 * s.largeVolumeRange))
    }

    /// Line style of a (subset, cutoff) series: colour by subset, dash and point by cutoff.
    static func style(subset: Int, cutoff: Int) -> String {
        "linespoints lw 2 lc \(subset + 1) dt \(cutoff + 1) pt \(4 + 2 * cutoff) ps 1.3"
    }

    /// `value` against level, one series per (subset, cutoff).
    static func levelFigure(_ results: [StudyResult], _ c: StudyConfiguration, name: String, caption: String, title: String,
                            yLabel: String, directory: String, value: (StudyResult) -> Double?) throws -> Drawn {
        var data = "# level"
        for s in c.subsets { for cut in c.cutoffs { data += " " + s + String(format: "_c%.2f", cut) } }
        data += "\n"
        var all: [Double] = []
        for l in c.levels {
            data += String(l)
            for s in c.subsets {
                for cut in c.cutoffs {
                    let v = results.first { $0.fit == StudyFit(subset: s, level: l, cutoff: cut) }.flatMap(value)
                    if let v, v.isFinite { all.append(v) }
                    data += " " + n(v)
                }
            }
            data += "\n"
        }
        var plot = Gnuplot(title: title, xLabel: "level", yLabel: yLabel)
        var column = 2
        for (i, s) in c.subsets.enumerated() {
            for (j, cut) in c.cutoffs.enumerated() {
                plot.series.append(Gnuplot.Series(title: String(format: "%@, %.2f A", s, cut), xColumn: 1, yColumn: column,
                                                  style: style(subset: i, cutoff: j)))
                column += 1
            }
        }
        plot.logY = !all.isEmpty && all.allSatisfy { $0 > 0 }
        let steps = zip(c.levels.dropFirst(), c.levels).map { $0 - $1 }
        plot.xTicStep = Double(steps.min() ?? 2)
        if let lo = c.levels.first, let hi = c.levels.last { plot.xRange = Double(lo) - 1...Double(hi) + 1 }
        return try render(plot, data: data, name: name, caption: caption, directory: directory)
    }

    /// Fig. 5: measured cost against the whole-set energy RMSE, every fit
    /// labelled, the Pareto front as a line.
    static func costFigure(_ results: [StudyResult], directory: String) throws -> Drawn {
        let points = results.map { ($0.cost ?? .nan, $0.fullSetRMSE ?? .nan) }
        let front = Pareto.front(points.map { (cost: $0.0, error: $0.1) })
        let rest = results.indices.filter { !front.contains($0) && !points[$0].0.isNaN && !points[$0].1.isNaN }
        let errors = points.map(\.1).filter { !$0.isNaN }
        let logY = !errors.isEmpty && errors.allSatisfy { $0 > 0 }
        // Costs span decades from level 8 to 24.
        let costs = points.map(\.0).filter { !$0.isNaN }
        let logX = !costs.isEmpty && costs.allSatisfy { $0 > 0 }
        let sides = LabelPlacement.sides(points.map { (x: $0.0, y: $0.1) }, logX: logX, logY: logY)
        var data = "# cost_us_per_atom full_set_E_RMSE_meV_per_atom pareto_E_RMSE subset level cutoff_A label label_above_y label_below_y\n"
        for i in front + rest {
            let r = results[i]
            let label = String(format: "%@/L%d/%.1f", r.fit.subset, r.fit.level, r.fit.cutoff)
            data += "\(n(points[i].0)) \(n(points[i].1)) \(front.contains(i) ? n(points[i].1) : "NaN") \(r.fit.subset) \(r.fit.level) "
                + String(format: "%.2f", r.fit.cutoff) + " \(label) " + LabelPlacement.columns(n(points[i].1), sides[i]) + "\n"
        }
        var plot = Gnuplot(title: "Cost against energy RMSE on the whole training set (Pareto front)",
                           xLabel: "cost (microseconds per atom per force call)", yLabel: "energy RMSE on the whole set (meV/atom)")
        plot.series = [Gnuplot.Series(title: "fits", xColumn: 1, yColumn: 2, style: "points pt 7 ps 1"),
                       Gnuplot.Series(title: "Pareto front", xColumn: 1, yColumn: 3, style: "linespoints lw 2 pt 6 ps 2")]
            // Every point named, below it when a neighbour's label is above.
            + LabelPlacement.series(xColumn: 1, aboveColumn: 8, labelColumn: 7, fontSize: 8)
        plot.logY = logY
        plot.logX = logX
        return try render(plot, data: data, name: "fig5-cost-vs-error",
                          caption: "Fig. 5: cost (the best measurement of each level and cutoff) against energy RMSE on the whole set; the line is the Pareto front", directory: directory)
    }

    /// Fig. 14: at one level and cutoff, the energy RMSE on every group of
    /// the set (and all of it), one series per training subset.
    static func groupFigure(_ results: [StudyResult], _ c: StudyConfiguration, level: Int, cutoff: Double, directory: String) throws -> Drawn {
        let mine = c.subsets.map { s in results.first { $0.fit == StudyFit(subset: s, level: level, cutoff: cutoff) } }
        var groups: [String] = []
        for r in mine { for g in r?.validation?.groupErrors.map(\.group) ?? [] where !groups.contains(g) { groups.append(g) } }
        if let i = groups.firstIndex(of: "(all)") { groups.append(groups.remove(at: i)) }
        var data = "# index group " + c.subsets.map { "E_RMSE_\($0)" }.joined(separator: " ") + " "
            + c.subsets.map { "F_RMSE_\($0)" }.joined(separator: " ") + "\n"
        var all: [Double] = []
        for (i, g) in groups.enumerated() {
            let e = mine.map { $0?.validation?.groupError(g)?.energyRMSE }
            let f = mine.map { $0?.validation?.groupError(g)?.forceRMSE }
            all += e.compactMap { $0 }.filter(\.isFinite)
            data += "\(i + 1) \(g == "(all)" ? "all" : g) " + e.map(n).joined(separator: " ") + " " + f.map(n).joined(separator: " ") + "\n"
        }
        let tag = String(format: "L%02d-c%.2f", level, cutoff)
        var plot = Gnuplot(title: String(format: "Energy RMSE per group of the set, level %d, cutoff %.2f A, per training subset", level, cutoff),
                           xLabel: "group of the ASSYST set", yLabel: "energy RMSE (meV/atom)")
        plot.series = c.subsets.enumerated().map {
            Gnuplot.Series(title: "trained on \($0.element)", xColumn: 1, yColumn: 3 + $0.offset, style: style(subset: $0.offset, cutoff: 0))
        }
        plot.xTicLabels = groups.enumerated().map { (Double($0.offset + 1), $0.element) }
        plot.xRange = 0.5...Double(max(groups.count, 1)) + 0.5
        plot.logY = !all.isEmpty && all.allSatisfy { $0 > 0 }
        return try render(plot, data: data, name: "fig14-groups-\(tag)",
                          caption: String(format: "Fig. 14: energy RMSE on every group per training subset, level %d, cutoff %.2f A", level, cutoff),
                          directory: directory)
    }
}
