import Foundation
import XCTest
@testable import Atomistic

/// A fixture the tests need is not where it should be: a failure, never a skip.
struct MissingFixture: Error, CustomStringConvertible {
    var path: String
    var description: String { "fixture \(path) not found" }
}

/// Helpers shared by the file-format tests.
enum FormatFixtures {
    static func url(_ name: String, _ ext: String, _ subdirectory: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext,
                                          subdirectory: "Fixtures/\(subdirectory)") else {
            throw MissingFixture(path: "Fixtures/\(subdirectory)/\(name).\(ext)")
        }
        return url
    }

    /// The repository's Tests folder, from this file's path (Tests/AtomisticTests/FormatTestSupport.swift).
    static var testsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    }

    static func text(_ name: String, _ ext: String, _ subdirectory: String) throws -> String {
        try String(contentsOf: url(name, ext, subdirectory), encoding: .utf8)
    }

    /// A fresh empty directory for one test.
    static func scratchDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("atomistic-format-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Asserts that `body` throws an `InputError` for `file` at `line` whose
/// message contains `fragment`, and that its description names both.
func assertInputError<T>(_ body: @autoclosure () throws -> T, file expectedFile: String, line expectedLine: Int?,
                         _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected an InputError containing '\(fragment)', nothing was thrown", file: file, line: line)
    } catch let e as InputError {
        XCTAssertEqual(e.file, expectedFile, "\(e)", file: file, line: line)
        XCTAssertEqual(e.line, expectedLine, "\(e)", file: file, line: line)
        XCTAssertTrue(e.message.contains(fragment), "message '\(e.message)' lacks '\(fragment)'", file: file, line: line)
        XCTAssertTrue(e.description.hasPrefix(expectedFile), "\(e)", file: file, line: line)
        if let l = expectedLine {
            XCTAssertTrue(e.description.contains(":\(l):"), "\(e)", file: file, line: line)
        }
    } catch {
        XCTFail("expected an InputError, got \(error)", file: file, line: line)
    }
}

/// A deterministic pseudo-random generator (SplitMix64) for test data.
typealias TestRandom = SplitMix64

extension SplitMix64 {
    /// Awkward doubles: many digits, tiny, huge, negative zero.
    mutating func awkward() -> Double {
        switch next() % 8 {
        case 0: return -0.0
        case 1: return uniform(-1, 1) * 1e-300
        case 2: return uniform(-1, 1) * 1e17
        case 3: return 1.0 / 3.0
        default: return uniform(-10, 10)
        }
    }
    mutating func vec(_ f: (inout TestRandom) -> Double) -> Vec3 { Vec3(f(&self), f(&self), f(&self)) }
}

/// A random labelled configuration with `periodicAxes` leading periodic axes.
func randomConfiguration(_ rng: inout TestRandom, atoms n: Int, periodicAxes k: Int, species s: Int,
                         forces: Bool = true, properties: Int = 1) -> Configuration {
    var cell: [Vec3] = [Vec3(5.1, 0.2, -0.1), Vec3(0.3, 4.7, 0.05), Vec3(-0.2, 0.1, 6.3)]
    for a in 0..<3 { cell[a] += rng.vec { $0.uniform(-0.01, 0.01) } }
    for a in k..<3 { cell[a] = .zero }
    var pbc = Periodicity.none
    for a in 0..<k { pbc[a] = true }
    var c = Configuration(cell: cell, pbc: pbc, species: (0..<n).map { _ in Int(rng.next() % UInt64(s)) },
                          positions: (0..<n).map { _ in rng.vec { $0.awkward() } })
    c.energy = rng.awkward()
    if forces { c.forces = (0..<n).map { _ in rng.vec { $0.awkward() } } }
    c.virial = Virial(voigt: (0..<6).map { _ in rng.awkward() })
    c.features = [Feature(key: "ID", value: "\(rng.next() % 100)"), Feature(key: "note", value: "two words")]
    c.atomProperties = (0..<properties).map { p in
        AtomProperty(name: "prop\(p)", values: (0..<n).map { _ in rng.awkward() })
    }
    return c
}
