import Foundation
import Atomistic

/// Where one graded structure lies along a property's scan: the series (a
/// lattice, a strain component) and the value on the axis. A nil series
/// lies on every series at once (the unstrained cell is the zero of each
/// strain component).
public struct AxisPoint: Codable, Sendable, Equatable {
    public var series: String?
    public var value: Double
    public init(series: String?, value: Double) { self.series = series; self.value = value }
}

/// A property that scans its structures along one axis (volume, strain).
/// For these the report says not only how strongly a potential
/// extrapolates but where it starts: the values, on each side of the
/// reference cell, beyond which the structures grade above the threshold.
/// The property recognises its own structures from their geometry, so that
/// the recording calculator needs nothing from the property's computation.
public protocol ExtrapolationAxis {
    /// The axis as the report names it ("V/V0", "strain").
    var axisName: String { get }
    /// The value of the reference's relaxed cell, from which the report
    /// looks outwards for the first extrapolating structure.
    var axisCentre: Double { get }
    /// Where `configuration` lies on the axis, or nil when it is none of
    /// the property's scanned structures (a relaxation step, say).
    func axisPoint(of configuration: Configuration, reference: Equilibrium) -> AxisPoint?
}

extension Configuration {
    /// The deformation gradient F taking `base`'s cell to this cell (rows:
    /// cell vectors, each mapped as a = F a0), when the cells are
    /// comparable; nil when `base` has no volume.
    func deformationGradient(from base: Configuration) -> [[Double]]? {
        let a = base.cell
        let det = determinant(a)
        guard det != 0, det.isFinite else { return nil }
        // Columns of base^-1 are the cross products of its rows over det.
        let inverseColumns = [cross(a[1], a[2]), cross(a[2], a[0]), cross(a[0], a[1])].map { $0 / det }
        return (0..<3).map { j in
            (0..<3).map { k in (0..<3).reduce(0.0) { $0 + cell[$1][j] * inverseColumns[$1][k] } }
        }
    }
}
