import Foundation
import Plotting

/// The report's extrapolation section: per potential and property, how
/// strongly and how often the potential left its training data
/// (`PropertyGrades`), and along E-V curves and strains where it starts to.
extension ValidationReport {
    /// Property identifiers with grades, in report order (the equilibrium,
    /// relaxed before every property, first).
    var gradedProperties: [String] {
        let ids = [EquilibriumProperty.identifier] + properties.map(\.identifier).filter { $0 != EquilibriumProperty.identifier }
        return ids.filter { id in results.dropFirst().contains { $0.grades[id] != nil } }
    }

    /// Whether any potential was graded: only then does the report have an
    /// extrapolation section (and names the potentials that were not).
    var hasGradeSection: Bool {
        results.dropFirst().contains { !$0.grades.isEmpty }
    }

    static func gradeText(_ g: Double?) -> String {
        guard let g else { return "-" }
        if g == .infinity { return "inf" }
        return g >= 100 ? String(format: "%.3g", g) : String(format: "%.3f", g)
    }

    /// The Markdown section: method sentence, table, potentials not graded.
    public var gradeSection: String {
        guard hasGradeSection else { return "" }
        let graded = results.dropFirst().filter { !$0.grades.isEmpty }
        let thresholds = graded.lazy.compactMap { $0.grades.values.first }.first
        let low = thresholds.map { String(format: "%g", $0.extrapolatingThreshold) } ?? "1"
        let high = thresholds.map { String(format: "%g", $0.strongThreshold) } ?? "2"
        var md = "## Extrapolation grades\n\n"
        md += "The MaxVol extrapolation grade gamma of the structures each potential evaluated in each property, against the active set "
        md += "of its training set (see docs/validation.md): gamma <= 1 interpolates the training data, gamma > 1 extrapolates. "
        md += "Counted as extrapolating above \(low), strongly above \(high). Long runs (relaxations, dynamics) are graded on an even "
        md += "thinning of the structures evaluated. For E-V curves (V/V0 of each lattice) and strains, the last column gives "
        md += "the nearest values on each side of the reference cell from which the structures grade above \(low).\n\n"
        if !graded.isEmpty {
            md += "| property | potential | evaluated | graded | max grade | > \(low) | > \(high) | extrapolates from |\n"
            md += "|---|---|---|---|---|---|---|---|\n"
            for id in gradedProperties {
                for r in graded {
                    guard let g = r.grades[id] else { continue }
                    let onset = g.onsets.map { o in o.map { $0.text(axis: g.axis ?? "") }.joined(separator: "; ") } ?? "-"
                    md += "| \(id) | \(r.name) | \(g.evaluated) | \(g.graded) | \(Self.gradeText(g.maximum)) | "
                    md += String(format: "%d (%.0f%%) | %d (%.0f%%) | ", g.extrapolating, 100 * g.extrapolatingShare, g.strong, 100 * g.strongShare)
                    md += onset + " |\n"
                }
            }
            md += "\n"
        }
        var notes: [String] = []
        for r in results.dropFirst() {
            if let n = r.gradeNote, r.grades.isEmpty { notes.append("`\(r.name)`: not graded; \(n)") }
            for id in gradedProperties {
                if let g = r.grades[id], let f = g.failure { notes.append("`\(r.name)`, \(id): \(g.failed) structures not graded: \(f)") }
            }
        }
        if !notes.isEmpty { md += notes.map { "- " + $0 }.joined(separator: "\n") + "\n\n" }
        return md
    }

    /// The console summary's line for `potential`: its largest grade and
    /// where; nil when it was not graded.
    func gradeSummary(_ potential: Int) -> String? {
        let r = results[potential + 1]
        guard !r.grades.isEmpty else { return nil }
        let ids = gradedProperties.filter { r.grades[$0]?.maximum != nil }
        guard let worst = ids.max(by: { r.grades[$0]!.maximum! < r.grades[$1]!.maximum! }) else {
            return "  extrapolation grade: none computed"
        }
        let all = ids.map { r.grades[$0]! }
        let graded = all.map(\.graded).reduce(0, +), over = all.map(\.extrapolating).reduce(0, +)
        let low = all[0].extrapolatingThreshold
        return "  max extrapolation grade: \(Self.gradeText(r.grades[worst]!.maximum)) (\(worst)); "
            + String(format: "%d of %d graded structures above %g", over, graded, low)
    }

    /// Per graded axis property, the grade of every scanned structure
    /// against its axis value: one column per potential and series (NaN
    /// where a series has no structure at that value), log scale, so that
    /// the threshold crossings the table lists can be seen in context.
    func gradePlots(format: String) -> [ReportPlot] {
        var out: [ReportPlot] = []
        let graded = results.dropFirst().filter { !$0.grades.isEmpty }
        for id in gradedProperties {
            let withPoints = graded.compactMap { r in r.grades[id].flatMap { g in g.points.map { (name: r.name, grades: g, points: $0) } } }
            guard let axis = withPoints.first?.grades.axis, !withPoints.isEmpty else { continue }
            // Columns: (potential, series); a point without a series (the unstrained cell) goes in every column of its potential.
            var columns: [(name: String, series: String, grades: [Double: Double])] = []
            for w in withPoints {
                for series in Set(w.points.compactMap(\.point.series)).sorted() {
                    var byValue: [Double: Double] = [:]
                    for p in w.points where p.point.series == series || p.point.series == nil {
                        let x = (p.point.value * 1e9).rounded() / 1e9
                        byValue[x] = max(byValue[x] ?? 0, p.grade)
                    }
                    columns.append((w.name, series, byValue))
                }
            }
            let xs = Set(columns.flatMap { $0.grades.keys }).sorted()
            var data = ReportPlot.header(axis.replacingOccurrences(of: "/", with: "_over_"),
                                         columns.map { "grade_\($0.series)_\($0.name)" } + ["threshold_1"])
            for x in xs { data += num(x) + columns.map { " " + num($0.grades[x] ?? .nan) }.joined() + " 1\n" }
            var plot = Gnuplot(title: "Extrapolation grade, \(id) (above 1: outside the training data)", xLabel: axis, yLabel: "MaxVol grade gamma")
            plot.logY = true
            plot.series = columns.enumerated().map { k, c in
                Gnuplot.Series(title: graded.count > 1 ? "\(c.series), \(c.name)" : c.series, xColumn: 1, yColumn: k + 2,
                               style: "points pt \(5 + 2 * (k % 4)) ps 1.2")
            } + [Gnuplot.Series(title: "gamma = 1", xColumn: 1, yColumn: columns.count + 2, style: "lines dt 2 lc rgb 'gray'")]
            let slug = id.replacingOccurrences(of: " ", with: "-")
            out.append(ReportPlot(image: "grades-\(slug).\(format)", plot: plot, data: data))
        }
        return out
    }

    /// report.json's grades: per potential and property.
    var gradesJSON: [String: [String: PropertyGrades]]? {
        let graded = results.dropFirst().filter { !$0.grades.isEmpty }
        return graded.isEmpty ? nil : graded.reduce(into: [:]) { $0[$1.name] = $1.grades }
    }

    /// report.json's potentials not graded, and why.
    var notGradedJSON: [String: String]? {
        guard hasGradeSection else { return nil }
        let not = results.dropFirst().filter { $0.grades.isEmpty && $0.gradeNote != nil }
        return not.isEmpty ? nil : not.reduce(into: [:]) { $0[$1.name] = $1.gradeNote! }
    }
}
