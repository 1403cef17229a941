import Foundation
import Atomistic
import Plotting

/// The comparison of every potential with the reference, one row per
/// quantity: the seed paper's Fig. 14 as a table (Markdown and JSON) and a
/// plot, with each property's own plots (E-V curves, phonons) beside it.
public struct ValidationReport: Sendable {
    public struct Row: Codable, Sendable {
        public var property: String
        public var name: String
        public var unit: String
        public var kind: Quantity.Kind
        /// Reference value (nil for curves or when it could not be computed).
        public var reference: Double?
        public var referenceNote: String?
        /// Per potential: its value (nil for curves), its error (potential -
        /// reference, or the RMSE of a curve; nil when missing) and why a value is missing.
        public var values: [Double?]
        public var errors: [Double?]
        public var notes: [String?]
        /// Curves only, per potential: the RMSE once the mean difference (a
        /// constant offset of the energy zero, which no property depends on)
        /// is removed.
        public var offsetFreeErrors: [Double?]? = nil
    }

    public var results: [CalculatorResults]
    public var settings: ValidationSettings
    /// The reported properties, in report order.
    public var properties: [any ValidationProperty]
    public var wallSeconds: Double
    public var rows: [Row] = []
    /// The cells the properties compared "on the same cells" use, as the
    /// method paragraph names them.
    public var sharedCells = "the reference's relaxed cells"

    public var referenceName: String { results[0].name }
    public var potentialNames: [String] { results.dropFirst().map(\.name) }

    init(results: [CalculatorResults], settings: ValidationSettings, properties: [any ValidationProperty], wallSeconds: Double) {
        self.results = results; self.settings = settings; self.properties = properties; self.wallSeconds = wallSeconds
        rows = Self.compare(results, properties: properties)
    }

    static func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }

    /// Rows in property order, quantities in the reference's order; a
    /// potential missing a property gets the reference's rows with its failure as the note.
    static func compare(_ results: [CalculatorResults], properties: [any ValidationProperty]) -> [Row] {
        var rows: [Row] = []
        let ref = results[0]
        for p in properties.map(\.identifier) {
            let refQ = ref.quantities(p) ?? []
            let template = refQ.isEmpty ? (results.dropFirst().lazy.compactMap { $0.quantities(p) }.first ?? []) : refQ
            if template.isEmpty {
                // Nothing computed anywhere: one row saying why.
                rows.append(Row(property: p, name: p, unit: "", kind: .value, reference: nil,
                                referenceNote: ref.failures[p] ?? "not computed",
                                values: results.dropFirst().map { _ in nil }, errors: results.dropFirst().map { _ in nil },
                                notes: results.dropFirst().map { $0.failures[p] ?? "not computed" }))
                continue
            }
            for t in template {
                let r = refQ.first { $0.name == t.name }
                var row = Row(property: p, name: t.name, unit: t.unit, kind: t.kind, reference: nil,
                              referenceNote: r == nil ? (ref.failures[p] ?? "not computed") : r!.note,
                              values: [], errors: [], notes: [])
                if let r, t.kind != .curve { row.reference = r.values.first.flatMap(finite) }
                for pot in results.dropFirst() {
                    guard let q = pot.quantities(p)?.first(where: { $0.name == t.name }) else {
                        row.values.append(nil); row.errors.append(nil)
                        if t.kind == .curve { row.offsetFreeErrors = (row.offsetFreeErrors ?? []) + [nil] }
                        row.notes.append(pot.failures[p] ?? pot.failures[EquilibriumProperty.identifier].map { "no equilibrium: \($0)" } ?? "not computed")
                        continue
                    }
                    switch t.kind {
                    case .value:
                        let v = q.values.first.flatMap(finite)
                        row.values.append(v)
                        row.errors.append(v.flatMap { v in row.reference.map { v - $0 } })
                    case .curve:
                        row.values.append(nil)
                        let stats = r.flatMap { CurveErrors(q.values, $0.values) }
                        row.errors.append(stats.flatMap { finite($0.rmse) })
                        row.offsetFreeErrors = (row.offsetFreeErrors ?? []) + [stats.flatMap { finite($0.offsetFreeRMSE) }]
                        if let w = stats?.dominanceWarning(unit: t.unit) {
                            row.notes.append([q.note, w].compactMap { $0 }.joined(separator: "; "))
                            continue
                        }
                    case .flag:
                        row.values.append(q.values.first)
                        row.errors.append(nil)
                    }
                    row.notes.append(q.note)
                }
                rows.append(row)
            }
        }
        return rows
    }

    // MARK: Text

    static func format(_ x: Double?, unit: String) -> String {
        guard let x else { return "-" }
        let a = abs(x)
        if a == 0 { return "0" }
        if a >= 1e5 || a < 1e-3 { return String(format: "%.3e", x) }
        if a >= 100 { return String(format: "%.1f", x) }
        if a >= 1 { return String(format: "%.3f", x) }
        return String(format: "%.4f", x)
    }

    /// The table as Markdown: one value and one error column per potential.
    public var markdownTable: String {
        var header = "| # | property | unit | reference |"
        var rule = "|---|---|---|---|"
        for name in potentialNames {
            header += " \(name) | error |"
            rule += "---|---|"
        }
        var out = header + "\n" + rule + "\n"
        for (i, row) in rows.enumerated() {
            var line = "| \(i + 1) | \(row.name) | \(row.unit) | "
            switch row.kind {
            case .curve: line += "curve |"
            case .flag: line += (row.reference == 1 ? "stable" : (row.reference == nil ? "-" : "BLEW UP")) + " |"
            case .value: line += Self.format(row.reference, unit: row.unit) + " |"
            }
            for p in row.values.indices {
                switch row.kind {
                case .curve:
                    line += " curve | " + (row.errors[p].map { "RMSE " + Self.format($0, unit: row.unit) } ?? "-")
                        + (row.offsetFree(p).map { " (" + Self.format($0, unit: row.unit) + " without the offset)" } ?? "") + " |"
                case .flag:
                    let v = row.values[p].flatMap { $0 }
                    line += " " + (v == 1 ? "stable" : (v == nil ? "-" : "BLEW UP")) + " | "
                    line += (v == 1 ? "ok" : (v == nil ? "-" : "FAIL")) + " |"
                case .value:
                    line += " " + Self.format(row.values[p].flatMap { $0 }, unit: row.unit) + " | "
                    line += (row.errors[p].flatMap { $0 }.map { ($0 > 0 ? "+" : "") + Self.format($0, unit: row.unit) } ?? "-") + " |"
                }
            }
            out += line + "\n"
        }
        return out
    }

    /// Notes (failures, blow-ups, unavailable grades), numbered by row.
    public var notes: [String] {
        var out: [String] = []
        for (i, row) in rows.enumerated() {
            if let n = row.referenceNote { out.append("row \(i + 1) (\(row.name)), reference: \(n)") }
            for (p, n) in row.notes.enumerated() {
                if let n { out.append("row \(i + 1) (\(row.name)), \(potentialNames[p]): \(n)") }
            }
        }
        return out
    }

    /// The reported property that produced `row`.
    func property(of row: Row) -> (any ValidationProperty)? {
        properties.first { $0.identifier == row.property }
    }

    /// The headline numbers for the console: per potential, the rows users
    /// look at first (each property says which of its rows they are).
    public var summary: String {
        var out = ""
        let headlines = rows.filter { row in row.kind == .flag || property(of: row)?.isHeadline(row) == true }
        for (p, name) in potentialNames.enumerated() {
            out += "\(name):\n"
            for row in headlines {
                let e = row.errors[p].flatMap { $0 }
                let key = row.name
                switch row.kind {
                case .flag:
                    let v = row.values[p].flatMap { $0 }
                    out += "  \(key): \(v == 1 ? "stable" : (v == nil ? "-" : "BLEW UP"))\n"
                case .curve:
                    out += "  \(key): RMSE \(e.map { Self.format($0, unit: row.unit) } ?? "-") \(row.unit)"
                        + (row.offsetFree(p).map { ", \(Self.format($0, unit: row.unit)) without the constant offset" } ?? "") + "\n"
                case .value:
                    out += "  \(key): \(Self.format(row.values[p].flatMap { $0 }, unit: row.unit)) vs \(Self.format(row.reference, unit: row.unit)) \(row.unit), error \(e.map { Self.format($0, unit: row.unit) } ?? "-")\n"
                }
            }
            if let g = gradeSummary(p) { out += g + "\n" }
        }
        return out
    }

    struct JSONReport: Codable {
        var reference: String
        var potentials: [String]
        var wallSeconds: Double
        var secondsPerProperty: [String: [String: Double]]
        var failures: [String: [String: String]]
        var rows: [Row]
        /// Per potential and property: extrapolation grades (nil when no potential was graded).
        var grades: [String: [String: PropertyGrades]]?
        var notGraded: [String: String]?
    }

    public var json: Data {
        get throws {
            var perProperty: [String: [String: Double]] = [:], failures: [String: [String: String]] = [:]
            for r in results {
                perProperty[r.name] = r.seconds
                if !r.failures.isEmpty {
                    failures[r.name] = r.failures
                }
            }
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            // A grade is +infinity for a structure outside the training space altogether.
            enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return try enc.encode(JSONReport(reference: referenceName, potentials: potentialNames, wallSeconds: wallSeconds,
                                             secondsPerProperty: perProperty, failures: failures, rows: rows,
                                             grades: gradesJSON, notGraded: notGradedJSON))
        }
    }

    // MARK: Files

    /// Writes report.md, report.json and the plots (each with its data and
    /// gnuplot script) into `directory`; returns the files written and any
    /// plot that could only be written as data.
    public func write(to directory: String, title: String, format: String = PlotFormat.standard.rawValue) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var written: [String] = [], plotNotes: [String] = []
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        func note(_ outcome: Gnuplot.Outcome, _ image: String) {
            switch outcome {
            case .drawn: written.append(image)
            case .dataOnly(let reason): plotNotes.append("\((image as NSString).lastPathComponent): \(reason)")
            }
        }
        for p in plots(format: format) {
            note(try p.plot.render(data: p.data, to: path(p.image)), p.image)
        }

        var md = "# \(title)\n\n"
        md += "Reference: `\(referenceName)`. Potentials: " + potentialNames.map { "`\($0)`" }.joined(separator: ", ") + ".\n\n"
        md += "Errors are potential - reference for values and the RMSE over the shared grid for curves. "
        md += methodText
        md += String(format: "Wall time %.1f s.\n\n", wallSeconds)
        md += markdownTable + "\n"
        let images = written.map { ($0 as NSString).lastPathComponent }
        if !images.isEmpty {
            md += "## Plots\n\n" + images.map { "- [\($0)](\($0)) (data: \(($0 as NSString).deletingPathExtension).dat)" }.joined(separator: "\n") + "\n\n"
        }
        md += gradeSection
        let allNotes = notes + plotNotes
        if !allNotes.isEmpty {
            md += "## Notes\n\n" + allNotes.map { "- " + $0 }.joined(separator: "\n") + "\n\n"
        }
        md += "## Time per property (s)\n\n| property | " + results.map(\.name).joined(separator: " | ") + " |\n|---|"
            + results.map { _ in "---|" }.joined() + "\n"
        for p in properties.map(\.identifier) {
            md += "| \(p) | " + results.map { r in r.seconds[p].map { String(format: "%.1f", $0) } ?? "-" }.joined(separator: " | ") + " |\n"
        }
        try AtomicFile.write(md, to: path("report.md"))
        try AtomicFile.write(try json, to: path("report.json"))
        return [path("report.md"), path("report.json")] + written
    }

    /// Which cells each property uses and any remark on its method, as
    /// report.md's method paragraph words it, in report order.
    var methodText: String {
        func list(_ nouns: [String]) -> String {
            nouns.count < 2 ? nouns.joined() : nouns.dropLast().joined(separator: ", ") + " and " + nouns.last!
        }
        let methods = properties.compactMap(\.method)
        let onReference = methods.filter { $0.cells == .reference }.map(\.noun)
        let separately = methods.filter { $0.cells == .own }.map(\.noun)
        var clauses: [String] = []
        if !onReference.isEmpty { clauses.append(list(onReference) + " use " + sharedCells) }
        if !separately.isEmpty { clauses.append(list(separately) + " are relaxed separately with each calculator") }
        var out = ""
        if let first = clauses.first?.first {
            out += first.uppercased() + clauses.joined(separator: "; ").dropFirst() + ". "
        }
        for remark in methods.compactMap(\.remark) { out += remark + " " }
        return out
    }
}

extension ValidationReport.Row {
    /// Potential `p`'s curve RMSE without the constant offset, when known.
    func offsetFree(_ p: Int) -> Double? {
        guard let f = offsetFreeErrors, p < f.count else { return nil }
        return f[p]
    }
}
