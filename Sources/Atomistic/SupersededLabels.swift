/// Labels a file may carry beside energy, forces and stress that describe
/// the same calculation (ASE writes `free_energy=` and per-atom `energies`).
/// When a tool replaces energy, forces and stress with its own, these would
/// be stale: they are dropped so that no reader pairs new labels with old.
extension Configuration {
    /// Comment-line keys (features) that are labels of the calculation.
    public static let supersededFeatureKeys: Set<String> = [
        "free_energy", "energy", "total_energy", "stress", "virial", "stresses", "virials",
    ]
    /// Per-atom columns that are labels of the calculation.
    public static let supersededAtomProperties: Set<String> = [
        "energies", "energy", "forces", "force", "stresses", "stress", "local_energy", "local_energies",
    ]

    /// Removes the features and atom properties above (case-insensitively).
    public mutating func dropSupersededLabels() {
        features.removeAll { Self.supersededFeatureKeys.contains($0.key.lowercased()) }
        atomProperties.removeAll { p in
            let base = p.name.lowercased().split(separator: "[").first.map(String.init) ?? ""
            return Self.supersededAtomProperties.contains(base)
        }
    }
}
