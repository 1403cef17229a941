import Atomistic

/// The HDF5 training store as a registered configuration format: read whole
/// by any command that reads files, written with the default cost model.
/// Sharded reads under MPI go through `ShardSource`, which reads a store by
/// hyperslabs instead.
public enum StoreFormat: ConfigurationFormat {
    public static var name: String { "h5" }
    public static func claims(fileName: String) -> Bool { fileName.hasSuffix(".h5") || fileName.hasSuffix(".hdf5") }
    /// HDF5's signature, for a store under another name.
    public static func recognises(head: String) -> Bool { head.utf8.starts(with: [0x89, 0x48, 0x44, 0x46]) }
    public static func read(_ path: String, options: FormatOptions) throws -> ConfigurationData {
        let set = try StoreReader(path: path).readAll()
        return ConfigurationData(configurations: set.configurations, symbols: set.species.isEmpty ? options.symbols : set.species)
    }
    public static var writes: Bool { true }
    public static func write(_ data: ConfigurationData, to path: String, options: FormatOptions) throws {
        try StoreWriter.write(TrainingSet(configurations: data.configurations, species: data.symbols ?? []), to: path)
    }

    /// Adds the store to `ConfigurationFormats` (idempotent). Every entry
    /// point of this module that looks up a format calls it, so a library
    /// user never meets a registry without it.
    public static func register() { _ = registration }
    private static let registration: Void = ConfigurationFormats.register(StoreFormat.self)

    /// Whether `path` names a training store.
    public static func isStore(_ path: String) -> Bool {
        register()
        return (try? ConfigurationFormats.format(of: path))?.is(StoreFormat.self) ?? false
    }
}
