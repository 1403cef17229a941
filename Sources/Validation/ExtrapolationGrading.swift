import Foundation
import Atomistic
import Reference

/// Grades, against a potential's active set, every structure the potential
/// evaluates during validation, in one place for every property: the
/// Validator wraps the calculator of each graded task in a
/// `RecordingCalculator` and, once the property is done, grades what it
/// recorded in one batch. A potential is graded when its source has a
/// grader (an MTP with an active set); others are not, and the report says why.
///
/// The thresholds: a grade above 1 means extrapolation, counted above
/// `extrapolating` (1.001 by default, the select threshold of `mtp grade`,
/// so that training structures, graded 1 up to rounding, do not count);
/// `strong` (2 by default, MLIP's usual threshold for selecting
/// configurations in active learning, where 10 is its usual stop) marks
/// strong extrapolation.
public struct ExtrapolationGrading: Sendable {
    public var extrapolating: Double
    public var strong: Double
    /// Thinning of long runs (`RecordingCalculator`): a property that
    /// evaluates more than twice this many structures is graded on between
    /// this many and twice as many, evenly spaced; the single-point
    /// properties stay below it and are graded whole.
    public var capacity: Int

    public init(extrapolating: Double = 1.001, strong: Double = 2, capacity: Int = 400) {
        self.extrapolating = extrapolating; self.strong = strong; self.capacity = capacity
    }

    /// The calculator a task of `source` should use: a recording one when
    /// the source is graded, nil otherwise (the task uses `calculator` as is).
    func recorder(wrapping calculator: Calculator, for source: CalculatorSource) -> RecordingCalculator? {
        source.grader == nil ? nil : RecordingCalculator(calculator, capacity: capacity)
    }

    /// `source` with calculators that record what they evaluate, and the
    /// slot that holds the last one made, when the source is graded; the
    /// source unchanged and nil otherwise. (The Validator's equilibria use
    /// this form: their relaxation takes a source's calculator as made.)
    func recording(_ source: CalculatorSource) -> (CalculatorSource, RecorderSlot?) {
        guard source.grader != nil else { return (source, nil) }
        let slot = RecorderSlot()
        var recorded = source
        let make = source.make, capacity = self.capacity
        recorded.make = {
            let r = RecordingCalculator(try make(), capacity: capacity)
            slot.calculator = r
            return r
        }
        return (recorded, slot)
    }

    /// Grades what `recorder` kept while `property` ran, with a fresh grader
    /// of `source` (one per task: graders keep buffers). Never throws: a
    /// grader that cannot be made or refuses structures is reported in the
    /// result.
    func grade(_ recorder: RecordingCalculator, property: any ValidationProperty, source: CalculatorSource,
               reference: Equilibrium) -> PropertyGrades {
        let t0 = ContinuousClock().now
        var out = PropertyGrades(evaluated: recorder.evaluated, graded: 0, maximum: nil, extrapolating: 0, strong: 0,
                                 extrapolatingThreshold: extrapolating, strongThreshold: strong)
        let axis = property as? ExtrapolationAxis
        var points: [GradedPoint] = []
        do {
            guard let make = source.grader else { return out }
            let grade = try make()
            for c in recorder.kept {
                let g: Double
                do { g = try grade(c) } catch {
                    out.failed += 1
                    if out.failure == nil { out.failure = "\(error)" }
                    continue
                }
                out.graded += 1
                out.maximum = max(out.maximum ?? g, g)
                if g > extrapolating { out.extrapolating += 1 }
                if g > strong { out.strong += 1 }
                if let p = axis?.axisPoint(of: c, reference: reference) { points.append(GradedPoint(point: p, grade: g)) }
            }
        } catch {
            out.failed = recorder.kept.count
            out.failure = "no grader: \(error)"
        }
        if let axis, !points.isEmpty {
            out.axis = axis.axisName
            out.points = points
            out.onsets = ExtrapolationOnset.of(points, centre: axis.axisCentre, threshold: extrapolating)
        }
        out.seconds = seconds(since: t0)
        return out
    }
}

/// The recording calculator a recording source made last.
final class RecorderSlot {
    var calculator: RecordingCalculator?
}
