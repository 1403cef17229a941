import Foundation
import Atomistic
import Reference

/// A calculator that hands every configuration on to the one it wraps and
/// keeps a copy, so that the Validator can grade everything a property
/// evaluated (E-V points, strained cells, relaxation steps, displaced
/// phonon cells, dynamics snapshots) without any property knowing about
/// grading.
///
/// Relaxations and dynamics evaluate thousands of configurations; grading
/// all of them would cost as much again as the property. Past `capacity`
/// kept configurations the record is thinned evenly: every other one is
/// dropped and the stride between kept ones doubles, so memory stays below
/// twice `capacity` and the kept ones still span the whole run (the first
/// evaluation is always kept; the short single-point properties are kept
/// whole).
final class RecordingCalculator: Calculator {
    let wrapped: Calculator
    let capacity: Int
    /// Configurations evaluated, kept or not.
    private(set) var evaluated = 0
    /// The kept configurations, in evaluation order: every `stride`-th.
    private(set) var kept: [Configuration] = []
    private(set) var stride = 1

    init(_ wrapped: Calculator, capacity: Int) {
        self.wrapped = wrapped
        self.capacity = max(1, capacity)
    }

    var name: String { wrapped.name }
    var cutoff: Double { wrapped.cutoff }

    func calculate(_ config: Configuration) throws -> Labels {
        if evaluated % stride == 0 {
            // Geometry only: labels and per-atom columns play no part in a grade.
            kept.append(Configuration(cell: config.cell, pbc: config.pbc, species: config.species, positions: config.positions))
            if kept.count >= 2 * capacity {
                kept = kept.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
                stride *= 2
            }
        }
        evaluated += 1
        return try wrapped.calculate(config)
    }
}
