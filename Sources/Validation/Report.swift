import Foundation
import Atomistic
import Plotting

/// The comparison of every potential with the reference, one row per
/// quantity: the seed paper's Fig. 14 as a table (Markdown and JSON) and a
/// plot, with the E-V and phonon plots beside it.
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
    }

    public var results: [CalculatorResults]
    public var settings: ValidationSettings
    public var properties: [Property]
    public var wallSeconds: Double
    public var rows: [Row] = []

    public var referenceName: String { results[0].name }
    public var potentialNames: [String] { results.dropFirst().map(\.name) }

    init(results: [CalculatorResults], settings: ValidationSettings, properties: [Property], wallSeconds: Double) {
        self.results = results; self.settings = settings; self.properties = properties; self.wallSeconds = wallSeconds
        rows = Self.compare(results, properties: properties)
    }

    static func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }

    /// Rows in property order, quantities in the reference's order; a
    /// potential missing a property gets the reference's rows with its failure as the note.
    static func compare(_ results: [CalculatorResults], properties: [Property]) -> [Row] {
        var rows: [Row] = []
        let ref = results[0]
        for p in properties {
            let refQ = ref.quantities(p) ?? []
            let template = refQ.isEmpty ? (results.dropFirst().lazy.compactMap { $0.quantities(p) }.first ?? []) : refQ
            if template.isEmpty {
                // Nothing computed anywhere: one row saying why.
                rows.append(Row(property: p.rawValue, name: p.rawValue, unit: "", kind: .value, reference: nil,
                                referenceNote: ref.failures[p] ?? "not computed",
                                values: results.dropFirst().map { _ in nil }, errors: results.dropFirst().map { _ in nil },
                                notes: results.dropFirst().map { $0.failures[p] ?? "not computed" }))
                continue
            }
            for t in template {
                let r = refQ.first { $0.name == t.name }
                var row = Row(property: p.rawValue, name: t.name, unit: t.unit, kind: t.kind, reference: nil,
                              referenceNote: r == nil ? (ref.failures[p] ?? "not computed") : r!.note,
                              values: [], errors: [], notes: [])
                if let r, t.kind != .curve { row.reference = r.values.first.flatMap(finite) }
                for pot in results.dropFirst() {
                    guard let q = pot.quantities(p)?.first(where: { $0.name == t.name }) else {
                        row.values.append(nil); row.errors.append(nil)
                        row.notes.append(pot.failures[p] ?? pot.failures[.equilibrium].map { "no equilibrium: \($0)" } ?? "not computed")
                        continue
                    }
                    switch t.kind {
                    case .value:
                        let v = q.values.first.flatMap(finite)
                        row.values.append(v)
                        row.errors.append(v.flatMap { v in row.reference.map { v - $0 } })
                    case .curve:
                        row.values.append(nil)
                        row.errors.append(r.flatMap { finite(rmse(q.values, $0.values)) })
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
                    line += " curve | " + (row.errors[p].map { "RMSE " + Self.format($0, unit: row.unit) } ?? "-") + " |"
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

    /// The headline numbers for the console: per potential, the rows users
    /// look at first.
    public var summary: String {
        var out = ""
        for (p, name) in potentialNames.enumerated() {
            out += "\(name):\n"
            for row in rows {
                let e = row.errors[p].flatMap { $0 }
                let key = row.name
                guard key.hasPrefix("vacancy formation") || key.hasPrefix("surface energy") || key.hasPrefix("E-V")
                        || key.hasPrefix("force constants") || (row.kind == .flag) || key.hasPrefix("hcp C") else { continue }
                switch row.kind {
                case .flag:
                    let v = row.values[p].flatMap { $0 }
                    out += "  \(key): \(v == 1 ? "stable" : (v == nil ? "-" : "BLEW UP"))\n"
                case .curve:
                    out += "  \(key): RMSE \(e.map { Self.format($0, unit: row.unit) } ?? "-") \(row.unit)\n"
                case .value:
                    out += "  \(key): \(Self.format(row.values[p].flatMap { $0 }, unit: row.unit)) vs \(Self.format(row.reference, unit: row.unit)) \(row.unit), error \(e.map { Self.format($0, unit: row.unit) } ?? "-")\n"
                }
            }
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
    }

    public var json: Data {
        get throws {
            var perProperty: [String: [String: Double]] = [:], failures: [String: [String: String]] = [:]
            for r in results {
                perProperty[r.name] = Dictionary(uniqueKeysWithValues: r.seconds.map { ($0.key.rawValue, $0.value) })
                if !r.failures.isEmpty {
                    failures[r.name] = Dictionary(uniqueKeysWithValues: r.failures.map { ($0.key.rawValue, $0.value) })
                }
            }
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            return try enc.encode(JSONReport(reference: referenceName, potentials: potentialNames, wallSeconds: wallSeconds,
                                             secondsPerProperty: perProperty, failures: failures, rows: rows))
        }
    }

    // MARK: Files

    /// Writes report.md, report.json and the plots (each with its data and
    /// gnuplot script) into `directory`; returns the files written and any
    /// plot that could only be written as data.
    public func write(to directory: String, title: String, format: String = "png") throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var written: [String] = [], plotNotes: [String] = []
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        func note(_ outcome: Gnuplot.Outcome, _ image: String) {
            switch outcome {
            case .drawn: written.append(image)
            case .dataOnly(let reason): plotNotes.append("\((image as NSString).lastPathComponent): \(reason)")
            }
        }
        for (image, plot, data) in plots(format: format) {
            note(try plot.render(data: data, to: path(image)), image)
        }

        var md = "# \(title)\n\n"
        md += "Reference: `\(referenceName)`. Potentials: " + potentialNames.map { "`\($0)`" }.joined(separator: ", ") + ".\n\n"
        md += "Errors are potential - reference for values and the RMSE over the shared grid for curves. "
        md += "Lattices, E-V curves, strains and force constants use the reference's relaxed cells; vacancies, "
        md += "surfaces, elastic constants and dynamics are relaxed separately with each calculator. "
        md += "Elastic constants with relaxed ions. "
        md += String(format: "Wall time %.1f s.\n\n", wallSeconds)
        md += markdownTable + "\n"
        let images = written.map { ($0 as NSString).lastPathComponent }
        if !images.isEmpty {
            md += "## Plots\n\n" + images.map { "- [\($0)](\($0)) (data: \(($0 as NSString).deletingPathExtension).dat)" }.joined(separator: "\n") + "\n\n"
        }
        let allNotes = notes + plotNotes
        if !allNotes.isEmpty {
            md += "## Notes\n\n" + allNotes.map { "- " + $0 }.joined(separator: "\n") + "\n\n"
        }
        md += "## Time per property (s)\n\n| property | " + results.map(\.name).joined(separator: " | ") + " |\n|---|"
            + results.map { _ in "---|" }.joined() + "\n"
        for p in properties {
            md += "| \(p.rawValue) | " + results.map { r in r.seconds[p].map { String(format: "%.1f", $0) } ?? "-" }.joined(separator: " | ") + " |\n"
        }
        try AtomicFile.write(md, to: path("report.md"))
        try AtomicFile.write(try json, to: path("report.json"))
        return [path("report.md"), path("report.json")] + written
    }

    /// Every plot: (image name, plot, data text).
    func plots(format: String) -> [(String, Gnuplot, String)] {
        var out: [(String, Gnuplot, String)] = []
        let names = results.map(\.name)
        func header(_ first: String, _ columns: [String]) -> String {
            "# " + first + " " + columns.map { $0.replacingOccurrences(of: " ", with: "_") }.joined(separator: " ") + "\n"
        }

        // Errors relative to the reference (%), one column of points per potential.
        let plotted = rows.enumerated().filter { _, row in
            row.kind != .flag && !row.name.hasPrefix("MD ") && !row.name.contains("lowest phonon")
                && !row.name.contains("max displacement") && !row.name.contains("grade")
        }
        if !plotted.isEmpty && !potentialNames.isEmpty {
            var data = header("index", potentialNames.map { "relative_error_percent_" + $0 }) + "# property per index below\n"
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
            out.append(("errors.\(format)", plot, data))
        }

        // E-V curves, one plot per lattice and range (near: -near, far: -far).
        if let ev0 = results[0].energyVolume {
            for kind in LatticeKind.allCases {
                for (r, range) in ev0.ranges.enumerated() {
                    let v = ev0.volumes[kind]![r]
                    var data = header("volume_A3_per_atom", names.map { "E_meV_per_atom_" + $0 })
                    for (j, x) in v.enumerated() {
                        data += num(x) + results.map { " " + num($0.energyVolume?.energies[kind]?[r][j] ?? .nan) }.joined() + "\n"
                    }
                    var plot = Gnuplot(title: "Energy-volume, \(kind.rawValue) (\(range.label) of the reference volume)",
                                       xLabel: "volume (A^3/atom)", yLabel: "energy (meV/atom)")
                    plot.series = names.enumerated().map { Gnuplot.Series(title: $0.element, xColumn: 1, yColumn: $0.offset + 2,
                                                                           style: $0.offset == 0 ? "lines lw 2" : "linespoints") }
                    out.append(("ev-\(kind.rawValue)-\(r == 0 ? "near" : "far").\(format)", plot, data))
                }
            }
            // fcc and dhcp relative to hcp.
            let large = ev0.ranges.count - 1
            var data = header("volume_A3_per_atom", names.flatMap { ["fcc-hcp_meV_" + $0, "dhcp-hcp_meV_" + $0] })
            for (j, x) in ev0.volumes[.hcp]![large].enumerated() {
                data += num(x) + results.map { r in
                    " " + num(r.energyVolume?.relative[.fcc]?[large][j] ?? .nan) + " " + num(r.energyVolume?.relative[.dhcp]?[large][j] ?? .nan)
                }.joined() + "\n"
            }
            var plot = Gnuplot(title: "fcc and dhcp relative to hcp at equal volume", xLabel: "volume (A^3/atom)", yLabel: "energy difference (meV/atom)")
            plot.series = names.enumerated().flatMap { (i, n) in
                [Gnuplot.Series(title: "fcc - hcp, \(n)", xColumn: 1, yColumn: 2 + 2 * i, style: i == 0 ? "lines lw 2" : "linespoints"),
                 Gnuplot.Series(title: "dhcp - hcp, \(n)", xColumn: 1, yColumn: 3 + 2 * i, style: i == 0 ? "lines lw 2" : "linespoints")]
            }
            out.append(("ev-relative.\(format)", plot, data))
        }

        // Phonon bands and DOS.
        let colors = ["black", "red", "blue", "dark-green", "orange", "purple"]
        for kind in Phonons.lattices {
            guard let ref = results[0].phonons?.results.first(where: { $0.lattice == kind }) else { continue }
            let branches = ref.pathFrequencies.first?.count ?? 0
            var data = header("path_1_per_A", results.indices.flatMap { c in (0..<branches).map { "THz_\(names[c])_branch\($0 + 1)" } })
            for (j, x) in ref.pathDistance.enumerated() {
                data += num(x)
                for r in results {
                    let f = r.phonons?.results.first(where: { $0.lattice == kind })?.pathFrequencies
                    for b in 0..<branches { data += " " + num(f.map { $0[j][b] } ?? .nan) }
                }
                data += "\n"
            }
            var plot = Gnuplot(title: "Phonons, \(kind.rawValue) (reference cell)", xLabel: "wave vector", yLabel: "frequency (THz)")
            plot.series = results.indices.flatMap { c in
                (0..<branches).map { b in
                    Gnuplot.Series(title: b == 0 ? names[c] : "", xColumn: 1, yColumn: 2 + c * branches + b,
                                   style: "lines lw \(c == 0 ? 2 : 1) lc rgb '\(colors[c % colors.count])'")
                }
            }
            plot.verticalLines = ref.labels.map { ($0.x, $0.label, "gray") }
            plot.xRange = 0...(ref.pathDistance.last ?? 1)
            out.append(("phonons-\(kind.rawValue).\(format)", plot, data))

            var dosData = header("THz", names.map { "states_per_THz_" + $0 })
            for f in ref.dosFrequencies {
                dosData += num(f)
                for r in results {
                    let d = r.phonons?.results.first(where: { $0.lattice == kind })
                    // Each calculator's DOS on its own grid; interpolate onto the reference's.
                    dosData += " " + num(d.map { interpolate($0.dosFrequencies, $0.dos, at: f) } ?? .nan)
                }
                dosData += "\n"
            }
            var dos = Gnuplot(title: "Phonon density of states, \(kind.rawValue)", xLabel: "frequency (THz)", yLabel: "states/THz per primitive cell")
            dos.series = names.enumerated().map { Gnuplot.Series(title: $0.element, xColumn: 1, yColumn: $0.offset + 2,
                                                                  style: "lines lw \($0.offset == 0 ? 2 : 1) lc rgb '\(colors[$0.offset % colors.count])'") }
            out.append(("dos-\(kind.rawValue).\(format)", dos, dosData))
        }
        return out
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
            guard let prop = Property(rawValue: row.property),
                  let q = results[0].quantities(prop)?.first(where: { $0.name == row.name }), q.values.count > 1 else { return nil }
            let mean = q.values.reduce(0, +) / Double(q.values.count)
            let spread = (q.values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(q.values.count)).squareRoot()
            return spread > 0 ? 100 * e / spread : nil
        case .flag:
            return nil
        }
    }
}

/// Linear interpolation of (x, y) at `t`; 0 outside the grid (a DOS).
func interpolate(_ x: [Double], _ y: [Double], at t: Double) -> Double {
    guard let first = x.first, let last = x.last, t >= first, t <= last, x.count > 1 else { return 0 }
    let step = (last - first) / Double(x.count - 1)
    let k = min(Int((t - first) / step), x.count - 2)
    let w = (t - x[k]) / step
    return (1 - w) * y[k] + w * y[k + 1]
}
