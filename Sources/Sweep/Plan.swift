import Foundation
import MTP

/// One fit of a sweep: a level and a cutoff.
public struct FitSpec: Codable, Hashable, Sendable {
    public var level: Int
    public var cutoff: Double
    public init(level: Int, cutoff: Double) { self.level = level; self.cutoff = cutoff }

    /// Directory and file stem of the fit, e.g. `L08-c5.20`: sortable by
    /// level, and distinct for cutoffs that differ by 0.01 A or more.
    public var name: String { String(format: "L%02d-c%.2f", level, cutoff) }
}

/// A fit with what the scheduler needs to know about it.
public struct PlannedFit: Sendable, Equatable {
    public var spec: FitSpec
    public var parameterCount: Int
    /// Number of basis functions (moment coefficients).
    public var basisSize: Int
    /// Relative cost of training (arbitrary units, comparable across fits).
    public var estimatedCost: Double
}

/// The (level, cutoff) grid of a sweep and a cost estimate per fit.
public enum Plan {
    public struct PlanError: Error, CustomStringConvertible {
        public var description: String
        init(_ s: String) { description = s }
    }

    /// Levels from `FIRST:LAST:STEP` (step 2 if omitted: MLIP's levels are
    /// even) or a comma-separated list; each must be in 2...28.
    public static func levels(_ text: String) throws -> [Int] {
        let t = text.trimmingCharacters(in: .whitespaces)
        var out: [Int]
        if t.contains(":") {
            let parts = t.split(separator: ":", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard (2...3).contains(parts.count), let first = parts[0], let last = parts[1],
                  let step = parts.count == 3 ? parts[2] : 2, step > 0, first <= last else {
                throw PlanError("--levels '\(text)': expected FIRST:LAST[:STEP] with FIRST <= LAST and STEP > 0, e.g. 8:24:2")
            }
            out = Array(stride(from: first, through: last, by: step))
        } else {
            let parts = t.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else {
                throw PlanError("--levels '\(text)': expected integers separated by commas or FIRST:LAST:STEP")
            }
            out = parts.map { $0! }
        }
        for l in out where !BasisGenerator.levels.contains(l) {
            throw PlanError("--levels '\(text)': level \(l) is outside 2-28")
        }
        return Array(Set(out)).sorted()
    }

    /// Iteration limits of single levels from `LEVEL=N[,LEVEL=N...]`
    /// (`--max-iter-at`), e.g. `16=25` for a level that a higher one grows
    /// from; each level in 2...28, each N at least 1.
    public static func iterationLimits(_ text: String) throws -> [Int: Int] {
        var out: [Int: Int] = [:]
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard kv.count == 2, let level = kv[0], let n = kv[1], BasisGenerator.levels.contains(level), n >= 1 else {
                throw PlanError("--max-iter-at '\(text)': expected LEVEL=N pairs separated by commas (levels 2-28, N >= 1), e.g. 16=25")
            }
            guard out[level] == nil else { throw PlanError("--max-iter-at '\(text)': level \(level) given twice") }
            out[level] = n
        }
        guard !out.isEmpty else { throw PlanError("--max-iter-at '\(text)': expected LEVEL=N, e.g. 16=25") }
        return out
    }

    /// `limits` as `iterationLimits` reads it, levels in order.
    public static func iterationLimitsText(_ limits: [Int: Int]) -> String {
        limits.keys.sorted().map { "\($0)=\(limits[$0]!)" }.joined(separator: ",")
    }

    /// Cutoffs (A) from a comma-separated list; each must exceed `minDist`.
    public static func cutoffs(_ text: String, minDist: Double) throws -> [Double] {
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0!.isFinite }) else {
            throw PlanError("--cutoffs '\(text)': expected numbers separated by commas, e.g. 5.2,6.5,8.2")
        }
        let values = Array(Set(parts.map { $0! })).sorted()
        for c in values where c <= minDist {
            throw PlanError("--cutoffs '\(text)': cutoff \(c) is not above --min-dist \(minDist)")
        }
        let names = Set(values.map { FitSpec(level: 2, cutoff: $0).name })
        guard names.count == values.count else {
            throw PlanError("--cutoffs '\(text)': cutoffs must differ by at least 0.01 A")
        }
        return values
    }

    /// Relative training cost of a fit. Each iteration evaluates every
    /// configuration with derivatives for every parameter, and the work per
    /// atom grows with the number of neighbours, i.e. with the volume of the
    /// cutoff sphere: parameters x cutoff^3. Only ratios matter.
    public static func estimatedCost(parameterCount: Int, cutoff: Double) -> Double {
        Double(parameterCount) * cutoff * cutoff * cutoff
    }

    /// Every (level, cutoff) pair, levels outermost, with its size and cost.
    public static func grid(levels: [Int], cutoffs: [Double], speciesCount: Int, radialBasisSize: Int,
                            minDist: Double) throws -> [PlannedFit] {
        var out: [PlannedFit] = []
        for level in levels {
            // The size of the potential does not depend on the cutoff.
            guard let first = cutoffs.first else { break }
            let pot = try Potential.untrained(level: level, speciesCount: speciesCount, minDist: minDist,
                                              maxDist: first, radialBasisSize: radialBasisSize)
            for cutoff in cutoffs {
                out.append(PlannedFit(spec: FitSpec(level: level, cutoff: cutoff), parameterCount: pot.parameterCount,
                                      basisSize: pot.basis.scalarCount,
                                      estimatedCost: estimatedCost(parameterCount: pot.parameterCount, cutoff: cutoff)))
            }
        }
        return out
    }
}
