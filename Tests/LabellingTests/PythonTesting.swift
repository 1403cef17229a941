import Foundation
import XCTest
import Reference

/// The Python the `mtp` tool would use, and whether it has ASE (GPAW).
/// Where it lacks them the tests are skipped with the reason, except on CI
/// (CI=true), which installs them (`scripts/python-env.sh --dft`) and so
/// must run every test.
enum PythonTesting {
    static var python: String { (try? PythonLaunch(calculatorFile: "x.py").python) ?? "python3" }

    /// Runs `python -c code`; returns stdout, or nil if it failed.
    static func run(_ code: String, arguments: [String] = []) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, "-c", code] + arguments
        // The worker's environment: this test process may have started MPI,
        // and a child that inherits its launcher variables (GPAW's MPI, say)
        // would try to join it.
        p.environment = PythonLaunch.workerEnvironment(ProcessInfo.processInfo.environment)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }

    static func require(module: String) throws {
        guard run("import \(module)") == nil else { return }
        let why = "\(python) cannot import \(module) (run `bash scripts/python-env.sh\(module == "gpaw" ? " --dft" : "")`)"
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            XCTFail("CI must have \(module): \(why)")
            throw XCTSkip(why)
        }
        print("skipped: \(why)")
        throw XCTSkip(why)
    }

    /// A scratch directory removed by the test's teardown.
    static func scratch(_ test: XCTestCase) throws -> String {
        let dir = NSTemporaryDirectory() + "mtp-label-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// Writes `text` to DIR/NAME and returns the path.
    static func file(_ dir: String, _ name: String, _ text: String) throws -> String {
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
