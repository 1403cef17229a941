import Foundation
import Atomistic
import Parallel
import TrainingStore

/// Per-configuration loss weights from the energy above the set's lowest
/// (`--energy-weights E0[,p=P]` or `--energy-weights kT=T[,floor=F]`).
///
/// A fit to a set that spans far-from-equilibrium structures (the strained,
/// compressed and random crystals of an ASSYST set) spends its energy error
/// on them, while elastic constants, vacancy energies and phonons need the
/// low-energy structures accurate to well below 1 meV/atom. Fitting codes
/// such as pacemaker therefore weigh each structure by its energy above the
/// lowest. Here each configuration's three stored weights (energy, force,
/// stress) are multiplied by
///
///     w = 1 / (1 + dE/E0)^p                 (rational; the default, p = 1)
///     w = max(exp(-dE/kT), floor)           (Boltzmann-like)
///
/// with dE the energy per atom above the set's lowest (eV/atom). With one
/// species dE = E/N - min(E/N). With several, per-species reference energies
/// mu_s are fitted by least squares to the energies per atom over the whole
/// set (E/N ~ sum_s x_s mu_s, x_s the fraction of species s), and dE is the
/// remainder E/N - sum_s x_s mu_s minus the lowest remainder.
///
/// Under MPI each rank holds only its shard: the least-squares sums run over
/// the fixed tree of `FixedOrderSum` and the minimum is an exact reduction,
/// so the weights are the same, bit for bit, under any rank count.
/// Configurations without an energy, or whose stored energy weight is zero,
/// keep their weights and do not enter the minimum or the reference fit.
public struct EnergyWeights: Sendable, Equatable, Codable {
    public enum Form: Sendable, Equatable, Codable {
        /// 1 / (1 + dE/e0)^power.
        case rational(e0: Double, power: Double)
        /// max(exp(-dE/kT), floor).
        case boltzmann(kT: Double, floor: Double)
    }

    public var form: Form

    public init(_ form: Form) throws {
        switch form {
        case let .rational(e0, p):
            guard e0.isFinite, e0 > 0 else { throw EnergyWeightsError(text: "\(e0)", why: "E0 must be a finite energy > 0 (eV/atom)") }
            guard p.isFinite, p >= 0 else { throw EnergyWeightsError(text: "p=\(p)", why: "p must be finite and >= 0") }
        case let .boltzmann(kT, floor):
            guard kT.isFinite, kT > 0 else { throw EnergyWeightsError(text: "kT=\(kT)", why: "kT must be a finite energy > 0 (eV/atom)") }
            guard floor.isFinite, floor >= 0, floor <= 1 else { throw EnergyWeightsError(text: "floor=\(floor)", why: "floor must be in [0, 1]") }
        }
        self.form = form
    }

    /// Parses `E0`, `E0=..`, `E0,p=..`, or `kT=..[,floor=..]` (energies in eV/atom).
    public init(parsing text: String) throws {
        var values: [String: Double] = [:]
        for (k, item) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            let parts = trimmed.split(separator: "=", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let key: String, valueText: String
            if parts.count == 1, k == 0 { key = "e0"; valueText = parts[0] }
            else if parts.count == 2 { key = parts[0].lowercased(); valueText = parts[1] }
            else { throw EnergyWeightsError(text: text) }
            guard ["e0", "p", "kt", "floor"].contains(key) else { throw EnergyWeightsError(text: text, why: "unknown key '\(parts[0])'; " + EnergyWeightsError.expected) }
            guard values[key] == nil else { throw EnergyWeightsError(text: text, why: "'\(key)' given twice") }
            guard let v = Double(valueText), v.isFinite else { throw EnergyWeightsError(text: text, why: "'\(valueText)' is not a finite number") }
            values[key] = v
        }
        let form: Form
        if let kT = values["kt"] {
            guard values["e0"] == nil, values["p"] == nil else { throw EnergyWeightsError(text: text, why: "kT (with floor) and E0 (with p) are two forms; give one") }
            form = .boltzmann(kT: kT, floor: values["floor"] ?? 0)
        } else if let e0 = values["e0"] {
            guard values["floor"] == nil else { throw EnergyWeightsError(text: text, why: "floor belongs to the kT form") }
            form = .rational(e0: e0, power: values["p"] ?? 1)
        } else {
            throw EnergyWeightsError(text: text)
        }
        do { try self.init(form) } catch let e as EnergyWeightsError { throw EnergyWeightsError(text: text, why: e.why) }
    }

    /// The factor of a configuration `dE` eV/atom above the lowest (dE >= 0).
    public func factor(_ dE: Double) -> Double {
        let d = max(0, dE)
        switch form {
        case let .rational(e0, p): return 1 / pow(1 + d / e0, p)
        case let .boltzmann(kT, floor): return max(exp(-d / kT), floor)
        }
    }

    /// `E0=..,p=..` or `kT=..,floor=..` (for logs and records).
    public var description: String {
        switch form {
        case let .rational(e0, p): return "E0=\(e0),p=\(p)"
        case let .boltzmann(kT, floor): return "kT=\(kT),floor=\(floor)"
        }
    }

    /// Multiplies the weights of this rank's `configurations` (collective:
    /// every rank calls it with its shard, in rank order of the data).
    @discardableResult
    public func apply(to configurations: inout [Configuration], communicator comm: Communicator) throws -> EnergyWeightsReport {
        let reference = try EnergyReference.of(configurations, communicator: comm)
        var factors = [Double](repeating: 1, count: configurations.count)
        var counted: [Int] = []
        for k in configurations.indices {
            guard let dE = reference.excess(configurations[k]) else { continue }
            let f = factor(dE)
            factors[k] = f
            counted.append(k)
            configurations[k].energyWeight *= f
            configurations[k].forceWeight *= f
            configurations[k].virialWeight *= f
        }
        // Summary of the factors over the whole set (exact min/max; the sum in the fixed tree).
        let lowest = -comm.allReduceMax(-(counted.map { factors[$0] }.min() ?? .infinity))
        let layout = BlockLayout(localCount: configurations.count, blockSize: 1, communicator: comm)
        var local = [Double](repeating: 0, count: 3 * configurations.count)
        for k in counted {
            local[3 * k] = 1; local[3 * k + 1] = factors[k]
            local[3 * k + 2] = factors[k] >= 0.5 ? 1 : 0
        }
        let t = try FixedOrderSum.sum(local, width: 3, layout: layout, communicator: comm)
        return EnergyWeightsReport(weights: self, reference: reference, weighted: Int(t[0]),
                                   meanFactor: t[0] > 0 ? t[1] / t[0] : 1, smallestFactor: t[0] > 0 ? lowest : 1,
                                   atLeastHalf: Int(t[2]))
    }
}

/// The energy per atom a configuration has above the set's lowest: the
/// per-species reference energies (least squares, several species) and the
/// lowest remainder.
public struct EnergyReference: Sendable, Equatable, Codable {
    /// mu_s (eV/atom) per species index; [] with one species (not needed).
    public var speciesEnergies: [Double]
    /// The lowest energy per atom (one species) or remainder (several), eV/atom.
    public var lowest: Double

    /// E/N - sum_s x_s mu_s (several species) or E/N (one); nil without an
    /// energy or with a zero energy weight.
    public func remainder(_ c: Configuration) -> Double? {
        guard var r = Self.energyPerAtom(c) else { return nil }
        if !speciesEnergies.isEmpty {
            let n = c.normalisationCount
            for s in c.species where s < speciesEnergies.count { r -= speciesEnergies[s] / n }
        }
        return r
    }

    /// E/N of a configuration that takes part (an energy, a non-zero energy
    /// weight, atoms); nil for the others.
    static func energyPerAtom(_ c: Configuration) -> Double? {
        guard let e = c.energy, c.energyWeight > 0, c.atomCount > 0 else { return nil }
        return e / c.normalisationCount
    }

    /// dE = remainder - lowest (>= 0), nil where `remainder` is nil.
    public func excess(_ c: Configuration) -> Double? { remainder(c).map { max(0, $0 - lowest) } }

    /// The reference of the whole set, from every rank's shard (collective).
    public static func of(_ configs: [Configuration], communicator comm: Communicator) throws -> EnergyReference {
        let localSpecies = configs.flatMap(\.species).max() ?? -1
        let speciesCount = Int(comm.allReduceMax(Double(localSpecies))) + 1
        var mu: [Double] = []
        if speciesCount > 1 {
            let S = speciesCount, width = S * S + S
            var local = [Double](repeating: 0, count: width * configs.count)
            for (k, c) in configs.enumerated() {
                guard let y = energyPerAtom(c) else { continue }
                let x = fractions(c, speciesCount: S)
                for i in 0..<S {
                    for j in 0..<S { local[width * k + i * S + j] = x[i] * x[j] }
                    local[width * k + S * S + i] = x[i] * y
                }
            }
            let layout = BlockLayout(localCount: configs.count, blockSize: 1, communicator: comm)
            let t = try FixedOrderSum.sum(local, width: width, layout: layout, communicator: comm)
            mu = try solveNormalEquations(Array(t[0..<(S * S)]), Array(t[(S * S)...]), size: S)
        }
        let partial = EnergyReference(speciesEnergies: mu, lowest: 0)
        let localLowest = configs.compactMap { partial.remainder($0) }.min() ?? .infinity
        let lowest = -comm.allReduceMax(-localLowest)
        return EnergyReference(speciesEnergies: mu, lowest: lowest.isFinite ? lowest : 0)
    }

    /// The fraction of each species in `c`.
    static func fractions(_ c: Configuration, speciesCount S: Int) -> [Double] {
        var x = [Double](repeating: 0, count: S)
        for s in c.species where s >= 0 && s < S { x[s] += 1 }
        let n = c.normalisationCount
        return x.map { $0 / n }
    }

    /// Solves A mu = b (A = sum x x^T, symmetric positive semi-definite,
    /// S x S) by the pseudo-inverse: a species with no data (a zero row and
    /// column) gets mu = 0 instead of a failed solve.
    static func solveNormalEquations(_ a: [Double], _ b: [Double], size S: Int) throws -> [Double] {
        try SmallLinearAlgebra.pseudoSolve(a, n: S, b, cutoff: 1e-12).0
    }
}

/// What `EnergyWeights.apply` did, for the log line and the summary JSON.
public struct EnergyWeightsReport: Sendable, Equatable, Codable {
    public var weights: EnergyWeights
    public var reference: EnergyReference
    /// Configurations weighted (with an energy and a non-zero energy weight).
    public var weighted: Int
    public var meanFactor: Double
    public var smallestFactor: Double
    /// Configurations whose factor is at least 0.5.
    public var atLeastHalf: Int

    /// The line `mtp train` prints.
    public var line: String {
        let refs = reference.speciesEnergies.isEmpty ? "" :
            ", species references " + reference.speciesEnergies.map { String(format: "%.6g", $0) }.joined(separator: "/") + " eV/atom"
        let kind = reference.speciesEnergies.isEmpty ? "energy" : "remainder"
        return "energy weights \(weights.description): lowest \(kind) " + String(format: "%.6g", reference.lowest) + " eV/atom\(refs); "
            + String(format: "factors over %d configurations: mean %.4g, smallest %.4g, %d at least 0.5", weighted, meanFactor, smallestFactor, atLeastHalf)
    }
}

/// The per-configuration weight factors of a `mtp train` run, as a
/// checkpoint tag: a checkpoint written under other `--group-weights` or
/// `--energy-weights` does not resume. Nil without either (checkpoints of
/// before match).
public enum WeightFactors {
    public static func tag(groupWeights: GroupWeights?, energyWeights: EnergyWeights?) -> String? {
        if groupWeights == nil && energyWeights == nil { return nil }
        return "group weights \(groupWeights?.description ?? "none"); energy weights \(energyWeights?.description ?? "none")"
    }
}

/// A malformed `--energy-weights` value.
public struct EnergyWeightsError: Error, CustomStringConvertible {
    static let expected = "expected E0[,p=P] (w = 1/(1+dE/E0)^p) or kT=T[,floor=F] (w = max(exp(-dE/kT), F)), energies in eV/atom, E0 and kT > 0, p >= 0, 0 <= F <= 1"
    public var text: String
    public var why: String = EnergyWeightsError.expected
    public var description: String { "--energy-weights '\(text)': \(why)" }
}
