import Foundation

/// The registered properties, in report order. The built-in list is the
/// one place that names every property; `register` adds one at run time
/// (a library user's own property) and `unregister` removes it again.
public enum ValidationProperties {
    /// The properties of the seed paper's validation, in report order.
    /// Adding a property: its own file plus one line here.
    public static let builtIn: [any ValidationProperty] = [
        EquilibriumProperty(),
        EnergyVolumeProperty(),
        StrainsProperty(),
        VacanciesProperty(),
        SurfacesProperty(),
        PhononsProperty(),
        ElasticProperty(),
        MolecularDynamicsProperty(),
    ]

    /// Every registered property, in report order: what `Validator` runs by default.
    public static var all: [any ValidationProperty] { registry.list }

    /// Appends `property` to the report order, replacing a registered
    /// property with the same identifier in place.
    public static func register(_ property: any ValidationProperty) { registry.register(property) }

    /// Removes the property with `identifier`, if registered.
    public static func unregister(_ identifier: String) { registry.unregister(identifier) }

    /// The registered property with `identifier`, if any.
    public static func property(_ identifier: String) -> (any ValidationProperty)? {
        all.first { $0.identifier == identifier }
    }

    private static let registry = Registry(builtIn)

    /// The mutable list behind one lock: registration may come from any thread.
    private final class Registry: @unchecked Sendable {
        private let lock = NSLock()
        private var properties: [any ValidationProperty]
        init(_ p: [any ValidationProperty]) { properties = p }
        var list: [any ValidationProperty] {
            lock.lock(); defer { lock.unlock() }
            return properties
        }
        func register(_ p: any ValidationProperty) {
            lock.lock(); defer { lock.unlock() }
            if let i = properties.firstIndex(where: { $0.identifier == p.identifier }) {
                properties[i] = p
            } else {
                properties.append(p)
            }
        }
        func unregister(_ identifier: String) {
            lock.lock(); defer { lock.unlock() }
            properties.removeAll { $0.identifier == identifier }
        }
    }
}
