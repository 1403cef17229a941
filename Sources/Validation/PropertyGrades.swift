import Foundation

/// How far outside its training data a potential went in one property:
/// the MaxVol extrapolation grades (gamma) of the structures the potential
/// evaluated there, against the active set of its training set. gamma <= 1
/// interpolates the training data; above 1 the potential extrapolates, and
/// its numbers in that property are a guess rather than a fit.
public struct PropertyGrades: Codable, Sendable, Equatable {
    /// Structures the potential evaluated in the property, and how many of
    /// them were graded (all, or an even thinning of long runs).
    public var evaluated: Int
    public var graded: Int
    /// Largest grade (+infinity when a structure touches parameters the
    /// training set never uses); nil when nothing could be graded.
    public var maximum: Double?
    /// Graded structures above the extrapolation and strong thresholds.
    public var extrapolating: Int
    public var strong: Int
    /// The thresholds the counts use.
    public var extrapolatingThreshold: Double
    public var strongThreshold: Double
    /// Structures the grader refused, and the first reason.
    public var failed: Int = 0
    public var failure: String?
    /// Seconds spent grading.
    public var seconds: Double = 0
    /// For a property with an axis (`ExtrapolationAxis`): its name, every
    /// graded point on it with its grade, and per series where the
    /// potential starts to extrapolate.
    public var axis: String?
    public var points: [GradedPoint]?
    public var onsets: [ExtrapolationOnset]?

    /// Share of graded structures above the extrapolation threshold (0 to 1).
    public var extrapolatingShare: Double { graded > 0 ? Double(extrapolating) / Double(graded) : 0 }
    public var strongShare: Double { graded > 0 ? Double(strong) / Double(graded) : 0 }
}

/// One graded structure of an axis property.
public struct GradedPoint: Codable, Sendable, Equatable {
    public var point: AxisPoint
    public var grade: Double
}

/// Where, along one series of an axis, the structures start to grade above
/// the extrapolation threshold: the nearest such value below the centre and
/// above it (nil: none on that side), and the values graded on that series.
public struct ExtrapolationOnset: Codable, Sendable, Equatable {
    public var series: String
    public var below: Double?
    public var above: Double?
    public var lowest: Double
    public var highest: Double

    /// The onsets of every series (sorted by name) from graded points; a
    /// point without a series belongs to every series. A value within
    /// rounding of the centre (the reference cell, reached by scaling it by
    /// 1 - 0.1 + 0.2 * 2/4, say) is the centre, on both sides.
    static func of(_ points: [GradedPoint], centre: Double, threshold: Double) -> [ExtrapolationOnset] {
        let shared = points.filter { $0.point.series == nil }
        let names = Set(points.compactMap(\.point.series)).sorted()
        let tolerance = 1e-6 * max(1, abs(centre))
        return names.map { name in
            let mine = points.filter { $0.point.series == name } + shared
            let values = mine.map(\.point.value)
            let over = mine.filter { $0.grade > threshold }.map { abs($0.point.value - centre) <= tolerance ? centre : $0.point.value }
            return ExtrapolationOnset(series: name, below: over.filter { $0 <= centre }.max(), above: over.filter { $0 >= centre }.min(),
                                      lowest: values.min()!, highest: values.max()!)
        }
    }

    /// "V/V0 <= 0.60 and >= 1.40", "none in 0.20 ... 1.80".
    func text(axis: String) -> String {
        func f(_ x: Double) -> String { String(format: "%.3g", x) }
        switch (below, above) {
        case (nil, nil): return "\(series): none in \(f(lowest)) ... \(f(highest))"
        case (let b?, nil): return "\(series): \(axis) <= \(f(b))"
        case (nil, let a?): return "\(series): \(axis) >= \(f(a))"
        case (let b?, let a?):
            return b == a ? "\(series): at the reference cell already (\(axis) = \(f(b)))" : "\(series): \(axis) <= \(f(b)) and >= \(f(a))"
        }
    }
}
