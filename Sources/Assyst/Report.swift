import Foundation
import Atomistic
import Plotting
import TrainingStore

/// The run report: counts per stage, crystal systems and space groups
/// found, the fate of every attempted (space group, atom count) pair, and
/// the neighbour-distance histogram per stage.
public enum AssystReport {
    /// Structures and atoms per stage of a set.
    public static func counts(_ set: TrainingSet) -> [(stage: AssystStage, structures: Int, atoms: Int)] {
        AssystStage.allCases.map { s in
            let c = set.configurations.filter { $0.group == s.rawValue }
            return (s, c.count, c.reduce(0) { $0 + $1.atomCount })
        }
    }

    /// Detected space groups of the RANDSPG structures: group -> count.
    public static func detectedGroups(_ set: TrainingSet) -> [Int: Int] {
        var g: [Int: Int] = [:]
        for c in set.configurations where c.group == AssystStage.randspg.rawValue {
            if let n = c.feature(AssystFeature.detectedGroup).flatMap(Int.init), n > 0 { g[n, default: 0] += 1 }
        }
        return g
    }

    public static func text(set: TrainingSet, pairs: [PairOutcome]?, failures: [AssystStage: [String: Int]],
                            notConverged: [AssystStage: Int], header: String) -> String {
        var out = header + "\n\n"
        out += "Structures per stage\n"
        out += "stage       structures     atoms   discarded\n"
        for (stage, n, atoms) in counts(set) {
            let discarded = failures[stage]?.values.reduce(0, +) ?? 0
            // A stage built from the relaxed crystals that was not asked for
            // (STRAIN and the series by default): no row.
            if stage.source == .intmin && n == 0 && discarded == 0 { continue }
            out += stage.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                + String(format: "%12d %9d %11d", n, atoms, discarded)
            if let k = notConverged[stage], k > 0 { out += "   (\(k) kept at the relaxation step limit)" }
            out += "\n"
        }
        out += String(format: "total       %10d %9d\n", set.configurations.count, set.atomCount)
        for stage in AssystStage.allCases {
            guard let f = failures[stage], !f.isEmpty else { continue }
            out += "\nDiscarded in \(stage.rawValue):\n"
            for (why, n) in f.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                out += String(format: "%8d  ", n) + why + "\n"
            }
        }

        let detected = detectedGroups(set)
        var systems: [CrystalSystem: Int] = [:]
        for (g, n) in detected { systems[CrystalSystem(spaceGroup: g), default: 0] += n }
        out += "\nRANDSPG: crystal systems (space groups determined by spglib)\n"
        for s in CrystalSystem.allCases {
            out += s.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%6d\n", systems[s] ?? 0)
        }
        out += "distinct space groups found: \(detected.count) of 230; crystal systems: \(systems.count) of 7\n"

        if let pairs {
            let built = pairs.filter { $0.failure == nil }
            let exact = built.filter { $0.detectedGroup == $0.spaceGroup }.count
            out += "\nAttempted (space group, atoms) pairs: \(pairs.count); built \(built.count)"
            out += "; spglib finds exactly the target group for \(exact) (\(percent(exact, built.count))), a supergroup for the rest\n"
            out += "Per space group: atom counts built (detected group if not the target) and not built (reason below)\n"
            var reasons: [String] = []
            let byGroup = Dictionary(grouping: pairs, by: \.spaceGroup)
            for g in byGroup.keys.sorted() {
                let list = byGroup[g]!
                var line = String(format: "%3d ", g) + list[0].symbol.padding(toLength: 11, withPad: " ", startingAt: 0) + " "
                line += list.map { p -> String in
                    if let why = p.failure {
                        let k = reasons.firstIndex(of: why) ?? { reasons.append(why); return reasons.count - 1 }()
                        return "\(p.atoms)x[\(k + 1)]"
                    }
                    if let d = p.detectedGroup, d != g { return "\(p.atoms)(\(d))" }
                    return p.detectedGroup == nil ? "\(p.atoms)(?)" : "\(p.atoms)"
                }.joined(separator: " ")
                out += line + "\n"
            }
            if !reasons.isEmpty {
                out += "Reasons for pairs not built:\n"
                for (k, why) in reasons.enumerated() { out += "  [\(k + 1)] \(why)\n" }
            }
        }
        return out
    }

    private static func percent(_ a: Int, _ b: Int) -> String { b == 0 ? "-" : String(format: "%.1f%%", 100 * Double(a) / Double(b)) }

    /// Writes the space-group and crystal-system frequencies and the
    /// nearest-neighbour distance histogram per stage (data, script and, with
    /// gnuplot, the image); returns one line per plot for the report.
    public static func plots(set: TrainingSet, pairs: [PairOutcome]?, prefix: String, format: String,
                             binWidth: Double = 0.05, maxDistance: Double = 6) throws -> [String] {
        var lines: [String] = []
        func note(_ what: String, _ outcome: Gnuplot.Outcome, _ data: String) {
            switch outcome {
            case .drawn(let image): lines.append("\(what): \(image) (data \(data))")
            case .dataOnly(let reason): lines.append("\(what): no image, \(reason)")
            }
        }
        // Space groups: targets attempted, built, and found by spglib.
        let detected = detectedGroups(set)
        var built: [Int: Int] = [:], attempted: [Int: Int] = [:]
        for p in pairs ?? [] {
            attempted[p.spaceGroup, default: 0] += 1
            if p.failure == nil { built[p.spaceGroup, default: 0] += 1 }
        }
        var data = "# space_group attempted built detected crystal_system\n"
        for g in 1...230 {
            data += "\(g) \(attempted[g] ?? 0) \(built[g] ?? 0) \(detected[g] ?? 0) \(CrystalSystem(spaceGroup: g).rawValue)\n"
        }
        var plot = Gnuplot(title: "RANDSPG: space groups", xLabel: "space group", yLabel: "structures")
        plot.series = [Gnuplot.Series(title: "built (target group)", xColumn: 1, yColumn: 3, style: "impulses lw 3"),
                       Gnuplot.Series(title: "determined by spglib", xColumn: 1, yColumn: 4, style: "points pt 7 ps 0.6")]
        plot.xRange = 0...231
        // Crystal-system boundaries.
        for (g, name) in [(2.5, "monoclinic"), (15.5, "orthorhombic"), (74.5, "tetragonal"), (142.5, "trigonal"),
                          (167.5, "hexagonal"), (194.5, "cubic")] {
            plot.verticalLines.append((g, name, "gray40"))
        }
        note("space groups", try plot.render(data: data, to: "\(prefix)-spacegroups.\(format)"), "\(prefix)-spacegroups.dat")

        var systems = "# index crystal_system structures\n"
        for (k, s) in CrystalSystem.allCases.enumerated() {
            let n = detected.filter { CrystalSystem(spaceGroup: $0.key) == s }.values.reduce(0, +)
            systems += "\(k + 1) \(s.rawValue) \(n)\n"
        }
        var sysPlot = Gnuplot(title: "RANDSPG: crystal systems (spglib), 1 triclinic ... 7 cubic", xLabel: "crystal system", yLabel: "structures")
        sysPlot.series = [Gnuplot.Series(title: "structures", xColumn: 1, yColumn: 3, style: "boxes fs solid 0.5")]
        sysPlot.xRange = 0...8
        note("crystal systems", try sysPlot.render(data: systems, to: "\(prefix)-systems.\(format)"), "\(prefix)-systems.dat")

        // Nearest-neighbour distance per atom, per stage, normalised per atom.
        let bins = Int((maxDistance / binWidth).rounded(.up))
        let stages = AssystStage.allCases.filter { s in set.configurations.contains { $0.group == s.rawValue } }
        var histogram = [[Double]](repeating: [Double](repeating: 0, count: bins), count: stages.count)
        var atoms = [Int](repeating: 0, count: stages.count)
        for c in set.configurations {
            guard let s = stages.firstIndex(where: { $0.rawValue == c.group }) else { continue }
            guard let list = try? NeighborList(c, cutoff: maxDistance) else { continue }
            atoms[s] += c.atomCount
            for a in 0..<c.atomCount {
                var closest = Double.infinity
                for p in list.offsets[a]..<list.offsets[a + 1] { closest = min(closest, list.distance[p]) }
                if closest.isFinite { histogram[s][min(Int(closest / binWidth), bins - 1)] += 1 }
            }
        }
        var hist = "# r_center_A " + stages.map(\.rawValue).joined(separator: " ") + "\n"
        for b in 0..<bins {
            hist += String(format: "%.4f", (Double(b) + 0.5) * binWidth)
            for s in stages.indices { hist += " " + String(format: "%.6g", histogram[s][b] / Double(max(atoms[s], 1))) }
            hist += "\n"
        }
        var nn = Gnuplot(title: "nearest-neighbour distances per stage", xLabel: "distance (A)",
                         yLabel: "fraction of atoms per \(binWidth) A bin")
        nn.series = stages.enumerated().map { Gnuplot.Series(title: $0.element.rawValue, xColumn: 1, yColumn: $0.offset + 2, style: "steps") }
        nn.xRange = 0...maxDistance
        note("nearest-neighbour distances", try nn.render(data: hist, to: "\(prefix)-distances.\(format)"), "\(prefix)-distances.dat")
        return lines
    }
}
