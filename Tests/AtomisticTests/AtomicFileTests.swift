import Foundation
import XCTest
@testable import Atomistic

final class AtomicFileTests: XCTestCase {
    func testWritesAndReplacesLeavingNoTemporaryFiles() throws {
        let dir = try FormatFixtures.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/data.txt"
        try AtomicFile.write("first\n", to: path)
        XCTAssertEqual(try AtomicFile.readText(path: path), "first\n")
        try AtomicFile.write(Data("second, longer ü\n".utf8), to: path)
        XCTAssertEqual(try AtomicFile.readText(path: path), "second, longer ü\n")
        try AtomicFile.write("", to: path)
        XCTAssertEqual(try AtomicFile.readText(path: path), "")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["data.txt"])
    }

    func testMissingDirectoryNamesThePath() throws {
        let path = "/nonexistent-\(UUID().uuidString)/out.cfg"
        XCTAssertThrowsError(try AtomicFile.write("x", to: path)) { error in
            let e = error as? AtomicFileError
            XCTAssertEqual(e?.path, path)
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
    }

    /// Renaming onto a directory fails after the temporary file was written:
    /// the error names the path and the temporary file is removed.
    func testFailedRenameRemovesTemporaryFile() throws {
        let dir = try FormatFixtures.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = dir + "/target"
        try FileManager.default.createDirectory(atPath: target + "/inner", withIntermediateDirectories: true)
        XCTAssertThrowsError(try AtomicFile.write("x", to: target)) { error in
            XCTAssertTrue("\(error)".contains(target), "\(error)")
            XCTAssertTrue("\(error)".contains("rename"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["target"])
    }

    func testReadTextErrors() throws {
        assertInputError(try AtomicFile.readText(path: "/nonexistent/file"), file: "/nonexistent/file", line: nil,
                         "cannot read file")
        let dir = try FormatFixtures.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bad"
        try AtomicFile.write(Data([0x66, 0xFF, 0xFE]), to: path)
        assertInputError(try AtomicFile.readText(path: path), file: path, line: nil, "not valid UTF-8")
    }
}
