import Foundation

/// Differences between predicted and reference labels of the same
/// configurations, in the units users compare: energy per atom (meV/atom),
/// force components (eV/A) and stress (GPa).
public struct LabelErrors: Sendable {
    public struct Statistic: Sendable {
        public var count = 0
        public var sumSquares = 0.0
        public var sumAbs = 0.0
        public var max = 0.0
        public init() {}
        public var rmse: Double { count == 0 ? .nan : (sumSquares / Double(count)).squareRoot() }
        public var mae: Double { count == 0 ? .nan : sumAbs / Double(count) }
        mutating func add(_ d: Double) {
            count += 1
            sumSquares += d * d
            sumAbs += abs(d)
            max = Swift.max(max, abs(d))
        }
    }

    /// eV/A^3 in GPa.
    public static let gpaPerEVPerA3 = 160.21766208

    /// Energy error per atom, meV/atom.
    public var energyPerAtom = Statistic()
    /// Force error per Cartesian component, eV/A.
    public var forceComponent = Statistic()
    /// Stress error per Voigt component (W/V), GPa; periodic cells only.
    public var stress = Statistic()
    public var configurations = 0

    public init() {}

    /// Adds one configuration; labels missing on either side are skipped.
    public mutating func add(predicted p: Configuration, reference r: Configuration) {
        configurations += 1
        if let ep = p.energy, let er = r.energy {
            energyPerAtom.add((ep - er) / r.normalisationCount * 1000)
        }
        if let fp = p.forces, let fr = r.forces {
            for (a, b) in zip(fp, fr) { for x in 0..<3 { forceComponent.add(a[x] - b[x]) } }
        }
        if let wp = p.virial, let wr = r.virial, r.pbc == .all, r.volume > 0 {
            let scale = Self.gpaPerEVPerA3 / r.volume
            for (a, b) in zip(wp.voigt, wr.voigt) { stress.add((a - b) * scale) }
        }
    }

    /// A small table: RMSE, MAE and max per quantity.
    public var table: String {
        func row(_ name: String, _ unit: String, _ s: Statistic) -> String {
            guard s.count > 0 else { return "\(name.padding(toLength: 8, withPad: " ", startingAt: 0)) (no labels on both sides)" }
            return "\(name.padding(toLength: 8, withPad: " ", startingAt: 0))" + [s.rmse, s.mae, s.max].map { fmt($0) }.joined() + "  \(unit)"
        }
        func fmt(_ x: Double) -> String {
            let text = x == 0 ? "0" : (abs(x) >= 1e-3 && abs(x) < 1e5 ? String(format: "%.4f", x) : String(format: "%.3e", x))
            return String(repeating: " ", count: max(1, 14 - text.count)) + text
        }
        return "\(configurations) configurations\n"
            + "quantity          RMSE           MAE           max\n"
            + row("energy", "meV/atom", energyPerAtom) + "\n"
            + row("forces", "eV/A (per component)", forceComponent) + "\n"
            + row("stress", "GPa", stress) + "\n"
    }
}

extension LabelErrors {
    /// The errors of `predicted` against `reference`, configuration by
    /// configuration; the two lists must hold the same structures.
    public static func compare(predicted: [Configuration], reference: [Configuration],
                               predictedFile: String, referenceFile: String) throws -> LabelErrors {
        guard reference.count == predicted.count else {
            throw InputError(file: predictedFile, "holds \(predicted.count) configurations, \(referenceFile) holds \(reference.count)")
        }
        var errors = LabelErrors()
        for (c, (r, p)) in zip(reference, predicted).enumerated() {
            guard r.atomCount == p.atomCount else {
                throw InputError(file: predictedFile, "configuration \(c + 1): \(p.atomCount) atoms, \(r.atomCount) in \(referenceFile)")
            }
            errors.add(predicted: p, reference: r)
        }
        return errors
    }
}
