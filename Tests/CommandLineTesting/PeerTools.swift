import Foundation

/// The peer tools that read our files in the tests (motep, h5py), from the
/// virtual environment `scripts/peers/setup.sh` creates at the repository
/// root. Tests that need them run only where it exists (CI creates it).
public enum PeerTools {
    /// The repository root (this file is Tests/CommandLineTesting/PeerTools.swift).
    public static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The venv's python, or nil when the venv has not been created.
    public static var python: URL? {
        let p = root.appendingPathComponent(".venv-peers/bin/python")
        return FileManager.default.isExecutableFile(atPath: p.path) ? p : nil
    }

    /// Runs `scripts/peers/SCRIPT` with the venv's python; the run's status,
    /// stdout and stderr.
    public static func run(script: String, _ arguments: [String]) throws -> MTPExecutable.Run {
        guard let python else { throw CocoaError(.fileNoSuchFile) }
        return try MTPExecutable.run(python, [root.appendingPathComponent("scripts/peers/\(script)").path] + arguments)
    }
}
