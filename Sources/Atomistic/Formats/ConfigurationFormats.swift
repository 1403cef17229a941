import Foundation

/// What reading a file gives: its configurations, the element symbols their
/// species indices refer to (nil where the file stores indices only, as
/// .cfg does) and an optional note for the user (how something was
/// inferred).
public struct ConfigurationData: Sendable {
    public var configurations: [Configuration]
    public var symbols: [String]?
    public var note: String?
    public init(configurations: [Configuration], symbols: [String]?, note: String? = nil) {
        self.configurations = configurations
        self.symbols = symbols
        self.note = note
    }
}

/// The choices a user can make about reading and writing, whatever the
/// format; each format reads what concerns it.
public struct FormatOptions: Sendable {
    /// Element symbols of species indices 0, 1, ...: the table of formats
    /// that store indices (.cfg), or the fixed table of formats that store
    /// symbols (an unknown symbol is then an error).
    public var symbols: [String]?
    /// mlearn JSON: the order of `virial_stress` (nil: inferred).
    public var mlearnStressOrder: MLearnJSON.StressOrder?
    /// VASP: only the last ionic step of each run.
    public var lastStepOnly = false
    /// .cfg output: MLIP's fixed digits instead of shortest round-trip ones.
    public var mlipDigits = false
    public init(symbols: [String]? = nil, mlearnStressOrder: MLearnJSON.StressOrder? = nil,
                lastStepOnly: Bool = false, mlipDigits: Bool = false) {
        self.symbols = symbols
        self.mlearnStressOrder = mlearnStressOrder
        self.lastStepOnly = lastStepOnly
        self.mlipDigits = mlipDigits
    }
}

/// A file format of configurations: one type per format, registered once
/// in `ConfigurationFormats`, as ASE's io registry does. Adding a format is
/// its file plus one `register` line.
public protocol ConfigurationFormat {
    /// Short name for messages ("cfg", "extxyz", ...).
    static var name: String { get }
    /// Whether a file (lower-cased name, no directory) is of this format by
    /// its name alone.
    static func claims(fileName: String) -> Bool
    /// Whether the first bytes of a file whose name says nothing look like
    /// this format.
    static func recognises(head: String) -> Bool
    static func read(_ path: String, options: FormatOptions) throws -> ConfigurationData
    /// Whether `write` is supported.
    static var writes: Bool { get }
    static func write(_ data: ConfigurationData, to path: String, options: FormatOptions) throws
    /// The 1-based line of configuration `index` (or of one of its atoms)
    /// in `text`, for errors found after parsing; nil if unknown.
    static func line(in text: String, configuration index: Int, atom: Int?) -> Int?
}

extension ConfigurationFormat {
    public static func recognises(head: String) -> Bool { false }
    public static var writes: Bool { false }
    public static func write(_ data: ConfigurationData, to path: String, options: FormatOptions) throws {
        throw InputError(file: path, "cannot write \(name) files")
    }
    public static func line(in text: String, configuration index: Int, atom: Int?) -> Int? { nil }
}

/// An error that names the atom it concerns, so that it can be reported at
/// that atom's line.
public protocol AtomLocatedError: Error {
    var atom: Int? { get }
}

/// A registered format: the operations of a `ConfigurationFormat` type,
/// held as values so that the registry is a plain list.
public struct RegisteredFormat: Sendable {
    public let name: String
    let id: ObjectIdentifier
    let claims: @Sendable (String) -> Bool
    let recognises: @Sendable (String) -> Bool
    public let writes: Bool
    let reader: @Sendable (String, FormatOptions) throws -> ConfigurationData
    let writer: @Sendable (ConfigurationData, String, FormatOptions) throws -> Void
    let locator: @Sendable (String, Int, Int?) -> Int?

    public init<F: ConfigurationFormat>(_ format: F.Type) {
        name = F.name
        id = ObjectIdentifier(format)
        claims = { F.claims(fileName: $0) }
        recognises = { F.recognises(head: $0) }
        writes = F.writes
        reader = { try F.read($0, options: $1) }
        writer = { try F.write($0, to: $1, options: $2) }
        locator = { F.line(in: $0, configuration: $1, atom: $2) }
    }

    /// Whether this is `format`.
    public func `is`<F: ConfigurationFormat>(_ format: F.Type) -> Bool { id == ObjectIdentifier(format) }
    public func read(_ path: String, options: FormatOptions) throws -> ConfigurationData { try reader(path, options) }
    public func write(_ data: ConfigurationData, to path: String, options: FormatOptions) throws {
        guard writes else { throw InputError(file: path, "cannot write \(name) files") }
        try writer(data, path, options)
    }
    public func line(in text: String, configuration index: Int, atom: Int?) -> Int? { locator(text, index, atom) }
}

/// The one registry of configuration formats: every command that reads or
/// writes configurations goes through it.
public enum ConfigurationFormats {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var formats: [RegisteredFormat] = [
        RegisteredFormat(CFGFormat.self), RegisteredFormat(ExtXYZFormat.self), RegisteredFormat(MLearnJSON.self),
        RegisteredFormat(VASPFormat.Vasprun.self), RegisteredFormat(VASPFormat.OUTCAR.self),
    ]

    /// The registered formats, in the order they are asked.
    public static var registered: [RegisteredFormat] {
        lock.lock(); defer { lock.unlock() }
        return formats
    }

    /// Adds a format (once; registering again is harmless).
    public static func register<F: ConfigurationFormat>(_ format: F.Type) {
        lock.lock(); defer { lock.unlock() }
        if !formats.contains(where: { $0.is(format) }) { formats.append(RegisteredFormat(format)) }
    }

    /// A VASP run directory stands for its vasprun.xml, or else its OUTCAR.
    public static func resolve(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return path }
        for name in ["vasprun.xml", "OUTCAR"] {
            let inside = (path as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: inside) { return inside }
        }
        throw InputError(file: path, "directory holds neither vasprun.xml nor OUTCAR")
    }

    /// The format of `path`: by its name, else (for an existing file) by
    /// its first bytes.
    public static func format(of path: String) throws -> RegisteredFormat {
        let name = (path as NSString).lastPathComponent.lowercased()
        let all = registered
        if let f = all.first(where: { $0.claims(name) }) { return f }
        if let handle = FileHandle(forReadingAtPath: path) {
            let head = String(decoding: handle.readData(ofLength: 4096), as: UTF8.self)
            try? handle.close()
            if let f = all.first(where: { $0.recognises(head) }) { return f }
        }
        throw InputError(file: path, "unknown configuration format (known: \(all.map(\.name).joined(separator: ", ")))")
    }

    /// Every configuration of `path` (a file or a VASP run directory).
    public static func read(_ path: String, options: FormatOptions = FormatOptions()) throws -> ConfigurationData {
        let file = try resolve(path)
        let data = try format(of: file).read(file, options: options)
        try validate(data.configurations, in: file)
        return data
    }

    /// What every reader's result must satisfy: at least one configuration,
    /// none with an `InputLimits.problem` (reported at its line).
    public static func validate(_ configurations: [Configuration], in path: String) throws {
        guard !configurations.isEmpty else { throw InputError(file: path, "the file holds no configurations") }
        for (k, c) in configurations.enumerated() {
            if let problem = InputLimits.problem(in: c) { throw located(problem, in: path, configuration: k) }
        }
    }

    /// Writes `data` to `path` in the format its name gives.
    public static func write(_ data: ConfigurationData, to path: String, options: FormatOptions = FormatOptions()) throws {
        try format(of: path).write(data, to: path, options: options)
    }

    /// An error found in configuration `index` (0-based) of `path` after
    /// reading, located at the configuration's (or the offending atom's) line.
    public static func located(_ error: Error, in path: String, configuration index: Int) -> InputError {
        InputError(file: path, line: SourceLines.line(in: path, configuration: index, atom: (error as? AtomLocatedError)?.atom),
                   "configuration \(index + 1): \(error)")
    }
}

extension NeighborList.Failure: AtomLocatedError {
    public var atom: Int? {
        switch self {
        case let .overlappingAtoms(i, _, _): return i
        case let .notFinite(a): return a
        case .singularCell, .unreasonable: return nil
        }
    }
}
