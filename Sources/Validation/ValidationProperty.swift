import Foundation
import Atomistic
import Reference
import Plotting

/// What one property computed for one calculator. The report only needs
/// its quantities (and, for plots, the property's own concrete type), so
/// per-calculator results hold these type-erased and a new property needs
/// no new field anywhere.
public protocol PropertyResult: Sendable {
    /// The rows this result contributes to the comparison table, in order.
    var quantities: [Quantity] { get }
}

/// A property the validation computes with every calculator and compares
/// with the reference: the extension point of `Validator`. A new property
/// is one file with a type conforming to this protocol and one line in
/// `ValidationProperties.builtIn` (or a `ValidationProperties.register`
/// call); the Validator and the report only iterate over the registered list.
public protocol ValidationProperty: Sendable {
    /// Names the property in progress lines, report rows, report.md's time
    /// table and report.json's keys; unique among the registered properties.
    var identifier: String { get }
    /// True when the property starts from the calculator's own relaxed
    /// lattices ("relaxed separately"); the Validator then reports it as
    /// failed, without running it, for a calculator whose lattices did not relax.
    var needsOwnEquilibrium: Bool { get }
    /// The lattices whose relaxed cells the property starts from (the
    /// reference's or the calculator's own). The Validator relaxes only the
    /// lattices the selected properties name, because with a DFT reference
    /// every relaxation costs tens of calculations: `--properties elastic`
    /// needs hcp alone. The default is all four, so a property that does not
    /// say still finds every cell.
    var lattices: [LatticeKind] { get }
    /// Rough relative cost; the Validator starts expensive properties first
    /// so that the worker threads finish together.
    var cost: Int { get }
    /// How report.md's method paragraph names this property; nil leaves it out.
    var method: ReportMethod? { get }
    /// Computes the property for one calculator. Throwing marks the whole
    /// property failed for that calculator; partial failures belong in the
    /// result's quantities (as notes) instead.
    func compute(_ input: PropertyInput) throws -> any PropertyResult
    /// This property's plots: `results` has every calculator, the reference
    /// first, with nil where the property was not computed.
    func plots(_ results: [(name: String, result: (any PropertyResult)?)], format: String) -> [ReportPlot]
    /// Whether a row of this property is among the console summary's
    /// headline numbers (flags, pass or fail, always are).
    func isHeadline(_ row: ValidationReport.Row) -> Bool
    /// Whether a row belongs in the relative-error plot (diagnostics such as
    /// displacements or grades have no meaningful relative error; flags
    /// never are).
    func isPlottedAsError(_ row: ValidationReport.Row) -> Bool
    /// Every structure the property evaluates with the reference when that
    /// takes single-point calculations only, on the reference lattices
    /// `reference`: what `mtp validate --export` writes for a DFT code and
    /// `--reference data:DIR` reads back labelled. nil (the default) when
    /// the reference must relax or move atoms itself; `labelledDataRefusal`
    /// then says why. The property's `compute` must ask for exactly these
    /// structures (data:DIR answers no other).
    func singlePointStructures(on reference: Equilibrium, settings: ValidationSettings) -> [SinglePointStructure]?
    /// Why the property cannot be computed from labelled single points.
    var labelledDataRefusal: String { get }
}

extension ValidationProperty {
    public var lattices: [LatticeKind] { LatticeKind.allCases }
    public var cost: Int { 0 }
    public var method: ReportMethod? { nil }
    public func plots(_ results: [(name: String, result: (any PropertyResult)?)], format: String) -> [ReportPlot] { [] }
    public func isHeadline(_ row: ValidationReport.Row) -> Bool { false }
    public func isPlottedAsError(_ row: ValidationReport.Row) -> Bool { true }
    public func singlePointStructures(on reference: Equilibrium, settings: ValidationSettings) -> [SinglePointStructure]? { nil }
    public var labelledDataRefusal: String {
        "it relaxes structures with the reference itself (its own lattices, relaxed defects or ions), which a one-shot export of single points cannot give"
    }
}

/// One single-point calculation of a property with the reference: a name
/// unique within the property (a directory name), the structure, the labels
/// the property uses and parameters for people (lattice, strain, ...).
public struct SinglePointStructure: Sendable {
    public enum Need: String, Codable, Sendable { case energy, forces }
    public var name: String
    public var configuration: Configuration
    public var needs: [Need]
    public var parameters: [String: String]
    public init(name: String, configuration: Configuration, needs: [Need], parameters: [String: String] = [:]) {
        self.name = name; self.configuration = configuration; self.needs = needs; self.parameters = parameters
    }
}

/// Everything one property run for one calculator may use.
public struct PropertyInput {
    /// This task's own calculator instance (never shared between threads).
    public var calculator: Calculator
    /// Where the calculator came from: its name and extrapolation grader.
    public var source: CalculatorSource
    /// The reference's relaxed lattices, on which properties compared "on
    /// the same cells" are evaluated by every calculator.
    public var reference: Equilibrium
    /// This calculator's own relaxed lattices; nil when their relaxation failed.
    public var own: Equilibrium?
    public var settings: ValidationSettings
    /// Atomic mass (amu) for phonons and dynamics.
    public var mass: Double

    /// Why a property that needs the calculator's own lattices was not run.
    public static let missingEquilibrium = "no equilibrium lattice (its relaxation failed)"

    /// The calculator's own lattices, or the failure every such property reports.
    public func ownEquilibrium() throws -> Equilibrium {
        guard let own else { throw PropertyFailure(Self.missingEquilibrium) }
        return own
    }
}

/// One plot of the report: the image name, the gnuplot plot and its data text.
public struct ReportPlot {
    public var image: String
    public var plot: Gnuplot
    public var data: String
    public init(image: String, plot: Gnuplot, data: String) {
        self.image = image; self.plot = plot; self.data = data
    }

    /// The first line of a data file: "# first column_1 column_2 ...".
    public static func header(_ first: String, _ columns: [String]) -> String {
        "# " + first + " " + columns.map { $0.replacingOccurrences(of: " ", with: "_") }.joined(separator: " ") + "\n"
    }
}

/// How report.md's method paragraph describes a property: on whose cells it
/// is computed, the noun naming it there and an optional extra sentence.
public struct ReportMethod: Sendable {
    public enum Cells: Sendable {
        /// Evaluated on the reference's relaxed cells by every calculator.
        case reference
        /// Relaxed separately with each calculator.
        case own
    }
    public var cells: Cells
    public var noun: String
    public var remark: String?
    public init(cells: Cells, noun: String, remark: String? = nil) {
        self.cells = cells; self.noun = noun; self.remark = remark
    }
}
