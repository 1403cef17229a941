import Foundation
import Atomistic
import MTP
import Parallel

/// Training errors of one group of configurations (or "(all)"), in
/// meV/atom, eV/A and GPa: what `mtp train` prints at the end and what a
/// sweep's record keeps.
public struct GroupErrorRow: Codable, Equatable, Sendable {
    public var group: String
    public var configurations: Int
    public var energyRMSE, energyMAE, energyMax: Double
    public var forceRMSE, forceMAE, forceMax: Double
    public var stressRMSE, stressMAE, stressMax: Double
    public init(group: String, configurations: Int, energyRMSE: Double, energyMAE: Double, energyMax: Double,
                forceRMSE: Double, forceMAE: Double, forceMax: Double,
                stressRMSE: Double, stressMAE: Double, stressMax: Double) {
        self.group = group; self.configurations = configurations
        self.energyRMSE = energyRMSE; self.energyMAE = energyMAE; self.energyMax = energyMax
        self.forceRMSE = forceRMSE; self.forceMAE = forceMAE; self.forceMax = forceMax
        self.stressRMSE = stressRMSE; self.stressMAE = stressMAE; self.stressMax = stressMax
    }
}

/// Per-group errors from per-configuration statistics of every rank.
enum GroupErrors {
    /// Numbers per configuration: energy error (meV/atom, NaN if none),
    /// force sum of squares, sum of |.|, max, count, the same for stress,
    /// and the group's index.
    static let width = 10

    /// Adds configuration `c`'s statistics (model `predicted` against
    /// `reference`) to `flat`.
    static func record(predicted: Configuration, reference: Configuration, into flat: inout [Double], at c: Int) {
        var le = LabelErrors()
        le.add(predicted: predicted, reference: reference)
        let o = width * c
        flat[o] = le.energyPerAtom.count > 0 ? le.energyPerAtom.sumAbs : .nan
        flat[o + 1] = le.forceComponent.sumSquares; flat[o + 2] = le.forceComponent.sumAbs
        flat[o + 3] = le.forceComponent.max; flat[o + 4] = Double(le.forceComponent.count)
        flat[o + 5] = le.stress.sumSquares; flat[o + 6] = le.stress.sumAbs
        flat[o + 7] = le.stress.max; flat[o + 8] = Double(le.stress.count)
        flat[o + 9] = 0
    }

    /// The rows per group (and "(all)" when there are several), summed in
    /// configuration order over every rank: the same on every rank,
    /// whatever the number of ranks.
    static func rows(_ flat: [Double], names: [String], communicator comm: Communicator) -> [GroupErrorRow] {
        var flat = flat
        let allNames = Array(Set(comm.allGather(Array(Set(names)).sorted().joined(separator: "\n"))
            .flatMap { $0.split(separator: "\n").map(String.init) })).sorted()
        for (c, n) in names.enumerated() { flat[width * c + 9] = Double(allNames.firstIndex(of: n)!) }
        let all = comm.allGatherOrdered(flat)
        var rows: [GroupErrorRow] = []
        let groupsToShow = allNames.count > 1 ? allNames + ["(all)"] : allNames
        for (gi, g) in groupsToShow.enumerated() {
            var e = LabelErrors.Statistic(), f = LabelErrors.Statistic(), s = LabelErrors.Statistic()
            var count = 0
            for c in 0..<(all.count / width) {
                let o = width * c
                if g != "(all)" && Int(all[o + 9]) != gi { continue }
                count += 1
                if !all[o].isNaN { e.count += 1; e.sumSquares += all[o] * all[o]; e.sumAbs += all[o]; e.max = max(e.max, all[o]) }
                f.sumSquares += all[o + 1]; f.sumAbs += all[o + 2]; f.max = max(f.max, all[o + 3]); f.count += Int(all[o + 4])
                s.sumSquares += all[o + 5]; s.sumAbs += all[o + 6]; s.max = max(s.max, all[o + 7]); s.count += Int(all[o + 8])
            }
            rows.append(GroupErrorRow(group: g, configurations: count,
                                      energyRMSE: e.rmse, energyMAE: e.mae, energyMax: e.max,
                                      forceRMSE: f.rmse, forceMAE: f.mae, forceMax: f.max,
                                      stressRMSE: s.rmse, stressMAE: s.mae, stressMax: s.max))
        }
        return rows
    }

    /// The table as `mtp train` prints it.
    /// `title` heads the first column (`training errors` or `validation errors`).
    static func text(_ rows: [GroupErrorRow], title: String = "training errors") -> String {
        var text = title.padding(toLength: max(20, title.count), withPad: " ", startingAt: 0) + " configs | energy meV/atom: RMSE      MAE      max | forces eV/A: RMSE     MAE     max | stress GPa: RMSE     MAE     max\n"
        for r in rows {
            text += r.group.padding(toLength: max(20, r.group.count), withPad: " ", startingAt: 0)
            text += String(format: " %7d | %20.4f %8.4f %8.4f | %17.5f %7.5f %7.5f | %16.5f %7.5f %7.5f\n",
                           r.configurations, r.energyRMSE, r.energyMAE, r.energyMax,
                           r.forceRMSE, r.forceMAE, r.forceMax, r.stressRMSE, r.stressMAE, r.stressMax)
        }
        return text
    }
}

extension Trainer {
    /// The final evaluation of a fit: loss, errors and the per-group table
    /// at `theta`, from the neighbour lists the trainer holds (one loss
    /// pass; nothing is rebuilt).
    public func finalErrors(at theta: [Double]) throws -> (errors: TrainingErrors, groups: [GroupErrorRow]) {
        try timings.measure(\.loss) {
            var flat = [Double](repeating: 0, count: GroupErrors.width * configs.count)
            var names: [String] = []
            let errors = try lossOnly(at: theta) { c, e in
                var predicted = configs[c]
                predicted.energy = e.energy; predicted.forces = e.forces; predicted.virial = e.virial
                GroupErrors.record(predicted: predicted, reference: configs[c], into: &flat, at: c)
                names.append(configs[c].group ?? "all")
            }
            return (errors, GroupErrors.rows(flat, names: names, communicator: communicator))
        }
    }
}
