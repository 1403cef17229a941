import Foundation

/// Chosen properties by name (`mtp validate --properties ev,elastic`): a
/// registered identifier or one of the short names below, in any case.
/// The equilibria always come along (every property starts from them).
public enum PropertySelection {
    /// Short names users type for the built-in identifiers.
    public static let aliases: [String: String] = [
        "ev": "energy-volume", "e-v": "energy-volume", "strain": "strains", "vacancy": "vacancies",
        "surface": "surfaces", "phonon": "phonons", "md": "molecular dynamics", "dynamics": "molecular dynamics",
        "eq": EquilibriumProperty.identifier,
    ]

    /// The registered properties named in `list` (comma-separated), in report
    /// order, with the equilibria first; throws naming an unknown name.
    public static func properties(_ list: String) throws -> [any ValidationProperty] {
        let all = ValidationProperties.all
        var wanted: Set<String> = [EquilibriumProperty.identifier]
        for raw in list.split(separator: ",") {
            let name = raw.trimmingCharacters(in: .whitespaces).lowercased()
            let id = aliases[name] ?? name
            guard all.contains(where: { $0.identifier == id }) else {
                let names = all.map(\.identifier).joined(separator: ", ")
                throw PropertyFailure("--properties: unknown property '\(raw)' (known: \(names); short: ev, strain, vacancy, surface, phonon, md)")
            }
            wanted.insert(id)
        }
        return all.filter { wanted.contains($0.identifier) }
    }
}
