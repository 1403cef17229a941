import Foundation

/// Everything one calculator produced, keyed by property identifier, so a
/// new property needs no new field here.
public struct CalculatorResults: Sendable {
    public var name: String
    /// Each computed property's result.
    public var results: [String: any PropertyResult] = [:]
    /// Properties that could not be computed at all, and why.
    public var failures: [String: String] = [:]
    /// Wall time of each property (s).
    public var seconds: [String: Double] = [:]
    /// Extrapolation grades of the structures each property evaluated
    /// (`ExtrapolationGrading`); empty when the calculator is not graded,
    /// and `gradeNote` says why.
    public var grades: [String: PropertyGrades] = [:]
    public var gradeNote: String?

    public init(name: String) { self.name = name }

    /// The result of the property with `identifier`, nil if not computed.
    public subscript(_ identifier: String) -> (any PropertyResult)? {
        get { results[identifier] }
        set { results[identifier] = newValue }
    }

    /// The rows of the property with `identifier`, nil if not computed.
    public func quantities(_ identifier: String) -> [Quantity]? { results[identifier]?.quantities }
}
