import Foundation
import Assyst
import Fitting
import MTP
import Sweep
import TrainingStore

/// A study as a user asks for it: a preset (`StudyScale`) and the values
/// given on top of it, each nil when not given, in the units and syntax of
/// the command line ("8:16:4", "EOS=10", "1-230"). `configuration()` turns
/// it into the checked `StudyConfiguration`, so that every front end (the
/// `mtp study` command, a script, a test) gets the same rules: which value
/// overrides what, how lists are parsed, which figure levels follow from
/// the levels, and one message naming the option that is wrong.
public struct StudyOverrides: Sendable {
    public var element: String
    public var atomicVolume: Double
    /// Reference calculator spec (eam:FILE, ase:FILE.py, mtp:FILE); a relative
    /// FILE is made absolute, since the study may be continued from elsewhere.
    public var calculator: String
    /// Preset name: "small" or "paper".
    public var scale = StudyScale.small.rawValue

    public var minAtoms: Int?
    public var maxAtoms: Int?
    /// "1-230" or "191,194,225,229".
    public var spaceGroups: String?
    public var perturbations: Int?
    public var strainCopies: Int?
    public var elasticStructures: Int?
    public var eosStructures: Int?
    public var phononStructures: Int?
    public var elasticMaxStrain: Double?
    public var phononCopies: Int?
    public var phononSoftModes: Int?
    public var seed: UInt64?
    /// Comma-separated subset names.
    public var subsets: String?
    /// "FIRST:LAST[:STEP]" or a list.
    public var levels: String?
    /// Comma-separated cutoffs (A).
    public var cutoffs: String?
    public var maxIterations: Int?
    public var minDist: Double?
    public var radialBasisSize: Int?
    public var radialBasisType: RadialBasisType?
    /// "NAME=F,..." as `mtp train --group-weights`.
    public var groupWeights: String?
    /// "E0[,p=P]" or "kT=T[,floor=F]" as `mtp train --energy-weights`.
    public var energyWeights: String?
    /// "LEVEL=N,..." (`--max-iter-at`).
    public var maxIterationsAt: String?
    /// `--grow` (`StudyConfiguration.grow`).
    public var grow = false
    /// Comma-separated validation properties.
    public var properties: String?
    /// "quick" or "full".
    public var validation: String?
    /// Comma-separated levels of Fig. 14.
    public var figureLevels: String?

    public init(element: String, atomicVolume: Double, calculator: String) {
        self.element = element
        self.atomicVolume = atomicVolume
        self.calculator = calculator
    }

    /// The preset with every override applied, checked (`StudyConfiguration.check`).
    /// Throws a `StudyError` naming the option at fault.
    public func configuration() throws -> StudyConfiguration {
        guard let preset = StudyScale(rawValue: scale) else {
            throw StudyError("--scale '\(scale)': expected one of \(StudyScale.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var c = preset.configuration(element: element, atomicVolume: atomicVolume, calculator: Self.absolute(calculator))
        if let v = minAtoms { c.minAtoms = v }
        if let v = maxAtoms { c.maxAtoms = v }
        if let s = spaceGroups {
            guard let g = AssystJob.spaceGroups(s) else { throw StudyError("--space-groups: numbers 1-230 and ranges, e.g. 1-230 or 191,194,225") }
            c.spaceGroups = g
        }
        if let v = perturbations { c.perturbations = v }
        if let v = strainCopies { c.strainCopies = v }
        if let v = elasticStructures { c.elasticStructures = v }
        if let v = eosStructures { c.eosStructures = v }
        if let v = phononStructures { c.phononStructures = v }
        if let v = elasticMaxStrain { c.elasticMaxStrain = v }
        if let v = phononCopies { c.phononCopies = v }
        if let v = phononSoftModes { c.phononSoftModes = v }
        if let v = seed { c.seed = v }
        do {
            if let s = subsets { c.subsets = try TrainingSubset.parse(s) }
            if let v = minDist { c.minDist = v }
            if let v = radialBasisSize { c.radialBasisSize = v }
            if let v = radialBasisType { c.radialBasisType = v == .chebyshev ? nil : v }
            if let e = energyWeights { c.energyWeights = try EnergyWeights(parsing: e).description }
            if let g = groupWeights { c.groupWeights = try GroupWeights(parsing: g).description }
            if let s = levels { c.levels = try Plan.levels(s) }
            if let s = cutoffs { c.cutoffs = try Plan.cutoffs(s, minDist: c.minDist) }
            if let s = properties { c.properties = try StudyValidationProperties.identifiers(s) }
            if let s = maxIterationsAt { c.maxIterationsAt = Plan.iterationLimitsText(try Plan.iterationLimits(s)) }
        } catch let e as StudyError { throw e } catch { throw StudyError("\(error)") }
        if let v = maxIterations { c.maxIterations = v }
        if grow { c.grow = true }
        if let v = validation {
            guard ["quick", "full"].contains(v) else { throw StudyError("--validation is quick or full") }
            c.quickValidation = v == "quick"
        }
        if let s = figureLevels {
            let parts = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { throw StudyError("--figure-levels: levels separated by commas, e.g. 16,24") }
            c.figureLevels = parts.map { $0! }
        } else {
            // The preset's levels of Fig. 14 that the study has, else its highest level.
            let kept = c.figureLevels.filter { c.levels.contains($0) }
            c.figureLevels = kept.isEmpty ? [c.levels.max()!] : kept
        }
        try c.check()
        return c
    }

    /// `spec` with a relative file after its "kind:" prefix made absolute.
    static func absolute(_ spec: String) -> String {
        guard let colon = spec.firstIndex(of: ":") else { return spec }
        let path = String(spec[spec.index(after: colon)...])
        guard !path.isEmpty && !path.hasPrefix("/") else { return spec }
        return String(spec[...colon]) + URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
