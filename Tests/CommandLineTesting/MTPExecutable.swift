import Foundation

/// The `mtp` executable as users run it, for the command-line tests of
/// every module: one place that knows where the build put it and how to
/// capture what it says.
public enum MTPExecutable {
    /// What one run left behind.
    public struct Run: Sendable {
        public var status: Int32
        public var out: String
        public var err: String
    }

    /// Test bundles and executables are built into the same folder; on
    /// Linux the test runner's bundle may be one level below it.
    public static var url: URL {
        let dir = Bundle.main.bundleURL
        for candidate in [dir.appendingPathComponent("mtp"), dir.deletingLastPathComponent().appendingPathComponent("mtp")]
        where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        return dir.appendingPathComponent("mtp")
    }

    /// Runs `mtp` with these arguments to completion. Both pipes are drained
    /// before waiting, so a chatty command cannot block on a full pipe.
    public static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil) throws -> Run {
        try run(url, arguments, in: directory, environment: environment)
    }

    /// Runs any executable (a peer tool, say) the same way.
    /// `environment`, when given, replaces the test process's.
    public static func run(_ executable: URL, _ arguments: [String], in directory: URL? = nil,
                           environment: [String: String]? = nil) throws -> Run {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let environment { p.environment = environment }
        if let directory { p.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }
}
