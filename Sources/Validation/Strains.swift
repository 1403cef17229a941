import Foundation
import Atomistic
import Reference

/// Energies of the reference's hcp cell under large homogeneous strains:
/// the three uniaxial strains and the three shears (engineering shear
/// strain, applied symmetrically), each from -max to +max. Training sets
/// rarely reach +-60%; this shows how gracefully a potential degrades.
public struct Strains: Sendable {
    public static let axes = ["xx", "yy", "zz", "yz", "xz", "xy"]
    public var strains: [Double]
    /// Energy per atom (meV) per axis and strain.
    public var energies: [[Double]]
    public var failures: [String]

    /// The deformation gradient of Voigt component `axis` at strain `e`.
    static func gradient(axis: Int, strain e: Double) -> [Vec3] {
        var f = [Vec3(1, 0, 0), Vec3(0, 1, 0), Vec3(0, 0, 1)]
        switch axis {
        case 0, 1, 2: f[axis][axis] += e
        case 3: f[1][2] += e / 2; f[2][1] += e / 2
        case 4: f[0][2] += e / 2; f[2][0] += e / 2
        default: f[0][1] += e / 2; f[1][0] += e / 2
        }
        return f
    }

    static func strains(_ settings: ValidationSettings) -> [Double] {
        let n = settings.strainPoints
        return (0..<n).map { -settings.maxStrain + 2 * settings.maxStrain * Double($0) / Double(n - 1) }
    }

    /// The reference's hcp cell under strain `e` of Voigt component `axis`.
    static func strained(_ reference: Equilibrium, axis: Int, strain e: Double) -> Configuration {
        reference.cell(.hcp).deformed(by: gradient(axis: axis, strain: e))
    }

    /// Every cell `compute` evaluates.
    public static func structures(reference: Equilibrium, settings: ValidationSettings) -> [SinglePointStructure] {
        (0..<6).flatMap { axis in
            strains(settings).enumerated().map { j, e in
                SinglePointStructure(name: String(format: "%@-%02d", axes[axis], j), configuration: strained(reference, axis: axis, strain: e),
                                     needs: [.energy], parameters: ["component": axes[axis], "strain": String(e)])
            }
        }
    }

    public static func compute(with calculator: Calculator, reference: Equilibrium, settings: ValidationSettings) -> Strains {
        let strains = Self.strains(settings)
        var failures: [String] = []
        let energies = (0..<6).map { axis in
            strains.map { e -> Double in
                let c = strained(reference, axis: axis, strain: e)
                do {
                    let en = try calculator.calculate(c).energy / Double(c.atomCount)
                    return en.isFinite ? 1000 * en : .nan
                } catch {
                    if failures.count < 3 { failures.append("\(axes[axis]) \(e): \(error)") }
                    return .nan
                }
            }
        }
        return Strains(strains: strains, energies: energies, failures: failures)
    }

    public var quantities: [Quantity] {
        let note = failures.isEmpty ? nil : "evaluation failed: " + failures.joined(separator: "; ")
        let label = String(format: "+-%.0f%%", 100 * (strains.last ?? 0))
        var q = (0..<6).map { axis -> Quantity in
            var c = Quantity.curve("hcp \(axis < 3 ? "uniaxial strain" : "shear") \(Self.axes[axis]) \(label)", "meV/atom", energies[axis])
            c.note = note
            return c
        }
        var all = Quantity.curve("hcp strains, all six \(label)", "meV/atom", energies.flatMap { $0 })
        all.note = note
        q.append(all)
        return q
    }
}

extension Strains: PropertyResult {}

/// Large strains of the reference's hcp cell.
public struct StrainsProperty: ValidationProperty {
    public var identifier: String { "strains" }
    public var needsOwnEquilibrium: Bool { false }
    public var lattices: [LatticeKind] { [.hcp] }
    public var cost: Int { 10 }
    public var method: ReportMethod? { ReportMethod(cells: .reference, noun: "strains") }
    public init() {}

    public func compute(_ input: PropertyInput) throws -> any PropertyResult {
        Strains.compute(with: input.calculator, reference: input.reference, settings: input.settings)
    }
    public func singlePointStructures(on reference: Equilibrium, settings: ValidationSettings) -> [SinglePointStructure]? {
        Strains.structures(reference: reference, settings: settings)
    }
}

/// Strained cells lie on the axis of their Voigt component (engineering
/// strain for shears, as applied), recognised from the deformation
/// gradient relative to the reference's hcp cell; the unstrained cell lies
/// on all six.
extension StrainsProperty: ExtrapolationAxis {
    public var axisName: String { "strain" }
    public var axisCentre: Double { 0 }
    public func axisPoint(of configuration: Configuration, reference: Equilibrium) -> AxisPoint? {
        guard let base = reference.cells[.hcp], base.atomCount == configuration.atomCount, let f = configuration.deformationGradient(from: base) else { return nil }
        let diagonal: [Double] = (0..<3).map { f[$0][$0] - 1 }
        let pairs: [(Int, Int)] = [(1, 2), (0, 2), (0, 1)]
        let shears: [Double] = pairs.map { f[$0.0][$0.1] + f[$0.1][$0.0] }
        let voigt: [Double] = diagonal + shears
        let asymmetry: Double = pairs.map { abs(f[$0.0][$0.1] - f[$0.1][$0.0]) }.max()!
        let magnitudes: [Double] = voigt.map { abs($0) }
        let largest: Int = magnitudes.indices.max { magnitudes[$0] < magnitudes[$1] }!
        let others: Double = magnitudes.indices.filter { $0 != largest }.map { magnitudes[$0] }.max()!
        let tolerance = 1e-9
        guard asymmetry <= tolerance, others <= tolerance else { return nil }
        if abs(voigt[largest]) <= tolerance { return AxisPoint(series: nil, value: 0) }
        return AxisPoint(series: Strains.axes[largest], value: voigt[largest])
    }
}
