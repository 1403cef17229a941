import Foundation
import Atomistic
import Reference
import Plotting

/// Energy-volume curves of the four lattices, scaled homogeneously about the
/// reference's equilibrium cell of each lattice, near equilibrium (+-10%)
/// and far from it (+-80%), and the energies of fcc and dhcp relative to hcp
/// at equal volume per atom (on hcp's grid). Both calculators are evaluated
/// on exactly the same cells, so the RMSE compares like with like.
public struct EnergyVolume: Sendable {
    public struct Range: Sendable {
        public var label: String
        public var fractions: [Double]
    }
    /// Volume per atom (A^3) and energy per atom (meV) per lattice and range.
    public var volumes: [LatticeKind: [[Double]]]
    public var energies: [LatticeKind: [[Double]]]
    /// fcc - hcp and dhcp - hcp (meV/atom) on hcp's volumes, per range.
    public var relative: [LatticeKind: [[Double]]]
    public var ranges: [Range]
    public var failures: [String]

    public static func ranges(_ s: ValidationSettings) -> [Range] {
        func grid(_ half: Double, _ n: Int) -> [Double] {
            (0..<n).map { 1 - half + 2 * half * Double($0) / Double(n - 1) }
        }
        return [Range(label: String(format: "+-%.0f%%", 100 * s.smallVolumeRange), fractions: grid(s.smallVolumeRange, s.smallVolumePoints)),
                Range(label: String(format: "+-%.0f%%", 100 * s.largeVolumeRange), fractions: grid(s.largeVolumeRange, s.largeVolumePoints))]
    }

    public static func compute(with calculator: Calculator, reference: Equilibrium, settings: ValidationSettings) -> EnergyVolume {
        let ranges = Self.ranges(settings)
        var failures: [String] = []
        func energy(_ c: Configuration) -> Double {
            do {
                let e = try calculator.calculate(c).energy / Double(c.atomCount)
                return e.isFinite ? 1000 * e : .nan
            } catch {
                if failures.count < 3 { failures.append("\(error)") }
                return .nan
            }
        }
        func scaled(_ kind: LatticeKind, volumePerAtom v: Double) -> Configuration {
            Self.scaled(reference, kind, volumePerAtom: v)
        }
        var volumes: [LatticeKind: [[Double]]] = [:], energies: [LatticeKind: [[Double]]] = [:]
        for kind in LatticeKind.allCases {
            let v0 = reference.volumePerAtom(kind)
            volumes[kind] = ranges.map { $0.fractions.map { $0 * v0 } }
            energies[kind] = volumes[kind]!.map { $0.map { energy(scaled(kind, volumePerAtom: $0)) } }
        }
        var relative: [LatticeKind: [[Double]]] = [:]
        for kind in [LatticeKind.fcc, .dhcp] {
            relative[kind] = zip(volumes[.hcp]!, energies[.hcp]!).map { vs, es in
                zip(vs, es).map { v, eh in energy(scaled(kind, volumePerAtom: v)) - eh }
            }
        }
        return EnergyVolume(volumes: volumes, energies: energies, relative: relative, ranges: ranges, failures: failures)
    }

    /// The reference cell of `kind` scaled to `v` A^3 per atom.
    static func scaled(_ reference: Equilibrium, _ kind: LatticeKind, volumePerAtom v: Double) -> Configuration {
        let s = pow(v / reference.volumePerAtom(kind), 1.0 / 3)
        return reference.cell(kind).deformed(by: [Vec3(s, 0, 0), Vec3(0, s, 0), Vec3(0, 0, s)])
    }

    /// Every cell `compute` evaluates: each lattice on its own volume grid,
    /// then fcc and dhcp on hcp's grid.
    public static func structures(reference: Equilibrium, settings: ValidationSettings) -> [SinglePointStructure] {
        let ranges = Self.ranges(settings)
        var out: [SinglePointStructure] = []
        func add(_ name: String, _ kind: LatticeKind, _ r: Int, _ v: Double) {
            out.append(SinglePointStructure(name: name, configuration: scaled(reference, kind, volumePerAtom: v), needs: [.energy],
                                            parameters: ["lattice": kind.rawValue, "range": ranges[r].label,
                                                         "volume_per_atom_A3": String(v)]))
        }
        for kind in LatticeKind.allCases {
            for (r, range) in ranges.enumerated() {
                for (j, f) in range.fractions.enumerated() {
                    add(String(format: "%@-range%d-%02d", kind.rawValue, r, j), kind, r, f * reference.volumePerAtom(kind))
                }
            }
        }
        for kind in [LatticeKind.fcc, .dhcp] {
            for (r, range) in ranges.enumerated() {
                for (j, f) in range.fractions.enumerated() {
                    add(String(format: "%@-at-hcp-volume-range%d-%02d", kind.rawValue, r, j), kind, r, f * reference.volumePerAtom(.hcp))
                }
            }
        }
        return out
    }

    public var quantities: [Quantity] {
        var q: [Quantity] = []
        let note = failures.isEmpty ? nil : "evaluation failed: " + failures.joined(separator: "; ")
        for (r, range) in ranges.enumerated() {
            for kind in LatticeKind.allCases {
                var c = Quantity.curve("E-V \(kind.rawValue) \(range.label)", "meV/atom", energies[kind]![r])
                c.note = note
                q.append(c)
            }
        }
        for (r, range) in ranges.enumerated() {
            for kind in [LatticeKind.fcc, .dhcp] {
                var c = Quantity.curve("\(kind.rawValue) - hcp at equal volume \(range.label)", "meV/atom", relative[kind]![r])
                c.note = note
                q.append(c)
            }
        }
        // At hcp's equilibrium volume (the middle of the small range).
        let mid = ranges[0].fractions.count / 2
        for kind in [LatticeKind.fcc, .dhcp] {
            q.append(.value("\(kind.rawValue) - hcp at hcp volume", "meV/atom", relative[kind]![0][mid], note: note))
        }
        return q
    }
}

extension EnergyVolume: PropertyResult {}

/// Energy-volume curves on the reference's cells, with their plots.
public struct EnergyVolumeProperty: ValidationProperty {
    public var identifier: String { "energy-volume" }
    public var needsOwnEquilibrium: Bool { false }
    public var cost: Int { 20 }
    public var method: ReportMethod? { ReportMethod(cells: .reference, noun: "E-V curves") }
    public init() {}

    public func compute(_ input: PropertyInput) throws -> any PropertyResult {
        EnergyVolume.compute(with: input.calculator, reference: input.reference, settings: input.settings)
    }
    public func singlePointStructures(on reference: Equilibrium, settings: ValidationSettings) -> [SinglePointStructure]? {
        EnergyVolume.structures(reference: reference, settings: settings)
    }
    public func isHeadline(_ row: ValidationReport.Row) -> Bool { row.name.hasPrefix("E-V") }

    /// One plot per lattice and range (near: the small range, far: the
    /// large one) and fcc and dhcp relative to hcp over the large range; a
    /// calculator without curves gets NaN columns, so columns stay aligned.
    public func plots(_ results: [(name: String, result: (any PropertyResult)?)], format: String) -> [ReportPlot] {
        let ev = results.map { $0.result as? EnergyVolume }
        guard let ev0 = ev.first ?? nil else { return [] }
        let names = results.map(\.name)
        var out: [ReportPlot] = []
        for kind in LatticeKind.allCases {
            for (r, range) in ev0.ranges.enumerated() {
                let v = ev0.volumes[kind]![r]
                var data = ReportPlot.header("volume_A3_per_atom", names.map { "E_meV_per_atom_" + $0 })
                for (j, x) in v.enumerated() {
                    data += num(x) + ev.map { " " + num($0?.energies[kind]?[r][j] ?? .nan) }.joined() + "\n"
                }
                var plot = Gnuplot(title: "Energy-volume, \(kind.rawValue) (\(range.label) of the reference volume)",
                                   xLabel: "volume (A^3/atom)", yLabel: "energy (meV/atom)")
                plot.series = names.enumerated().map { Gnuplot.Series(title: $0.element, xColumn: 1, yColumn: $0.offset + 2,
                                                                       style: $0.offset == 0 ? "lines lw 2" : "linespoints") }
                out.append(ReportPlot(image: "ev-\(kind.rawValue)-\(r == 0 ? "near" : "far").\(format)", plot: plot, data: data))
            }
        }
        // fcc and dhcp relative to hcp.
        let large = ev0.ranges.count - 1
        var data = ReportPlot.header("volume_A3_per_atom", names.flatMap { ["fcc-hcp_meV_" + $0, "dhcp-hcp_meV_" + $0] })
        for (j, x) in ev0.volumes[.hcp]![large].enumerated() {
            data += num(x) + ev.map { r in
                " " + num(r?.relative[.fcc]?[large][j] ?? .nan) + " " + num(r?.relative[.dhcp]?[large][j] ?? .nan)
            }.joined() + "\n"
        }
        var plot = Gnuplot(title: "fcc and dhcp relative to hcp at equal volume", xLabel: "volume (A^3/atom)", yLabel: "energy difference (meV/atom)")
        plot.series = names.enumerated().flatMap { (i, n) in
            [Gnuplot.Series(title: "fcc - hcp, \(n)", xColumn: 1, yColumn: 2 + 2 * i, style: i == 0 ? "lines lw 2" : "linespoints"),
             Gnuplot.Series(title: "dhcp - hcp, \(n)", xColumn: 1, yColumn: 3 + 2 * i, style: i == 0 ? "lines lw 2" : "linespoints")]
        }
        out.append(ReportPlot(image: "ev-relative.\(format)", plot: plot, data: data))
        return out
    }
}

/// E-V points lie on their lattice's volume axis, V over the reference's
/// equilibrium volume of that lattice (the fcc and dhcp points on hcp's
/// grid included), recognised as a uniformly scaled reference cell.
extension EnergyVolumeProperty: ExtrapolationAxis {
    public var axisName: String { "V/V0" }
    public var axisCentre: Double { 1 }
    public func axisPoint(of configuration: Configuration, reference: Equilibrium) -> AxisPoint? {
        for kind in LatticeKind.allCases {
            guard let base = reference.cells[kind], base.atomCount == configuration.atomCount, let f = configuration.deformationGradient(from: base) else { continue }
            let s: Double = f[0][0]
            var uniform = s > 0
            for j in 0..<3 {
                for k in 0..<3 {
                    let expected: Double = j == k ? s : 0
                    if abs(f[j][k] - expected) > 1e-9 * s { uniform = false }
                }
            }
            if uniform { return AxisPoint(series: kind.rawValue, value: s * s * s) }
        }
        return nil
    }
}
