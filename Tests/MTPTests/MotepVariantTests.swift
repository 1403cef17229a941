import XCTest
import Atomistic
@testable import MTP

/// motep writes the radial basis of a `.mtp` as `min`, `max`, `size`
/// (and `radial_funcs_count` after the coefficients); the reader takes it
/// as MLIP's `min_dist`, `max_dist`, `radial_basis_size`.
final class MotepVariantTests: XCTestCase {
    func path(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/motep-variant") else {
            throw InputError(file: "Fixtures/motep-variant/\(name)", "fixture missing")
        }
        return url.path
    }

    func testReadsMotepsLayout() throws {
        let text = try String(contentsOfFile: try path("cu-08-motep.mtp"), encoding: .utf8)
        XCTAssertTrue(text.contains("\tmin = ") && text.contains("\tsize = ") && !text.contains("min_dist"))
        let motep = try MTPFile.read(path: try path("cu-08-motep.mtp"))
        let mlip = try MTPFile.read(path: try path("cu-08.mtp"))
        XCTAssertEqual(motep.minDist, mlip.minDist)
        XCTAssertEqual(motep.maxDist, mlip.maxDist)
        XCTAssertEqual(motep.radialBasisSize, mlip.radialBasisSize)
        XCTAssertEqual(motep.radialFuncsCount, mlip.radialFuncsCount)
        XCTAssertEqual(motep.basis, mlip.basis)
        XCTAssertEqual(motep.parameters.count, mlip.parameters.count)
        // motep prints 16 significant digits.
        for (a, b) in zip(motep.parameters, mlip.parameters) { XCTAssertEqual(a, b, accuracy: 1e-15 * max(abs(b), 1e-300)) }
        // Written back in MLIP's layout, it reads the same.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("motep-\(UUID().uuidString).mtp")
        defer { try? FileManager.default.removeItem(at: url) }
        try MTPFile.write(motep, to: url.path)
        XCTAssertEqual(try MTPFile.read(path: url.path).parameters, motep.parameters)
    }

    /// MLIP's names win when a file has both; a motep file without `min`
    /// still names the missing key as MLIP calls it.
    func testKeyPrecedenceAndMessages() throws {
        let text = try String(contentsOfFile: try path("cu-08-motep.mtp"), encoding: .utf8)
        let both = text.replacingOccurrences(of: "\tmin = ", with: "\tmin_dist = 0.75\n\tmin = ")
        XCTAssertEqual(try MTPFile.parse(both, file: "both.mtp").minDist, 0.75)
        let none = text.split(separator: "\n").filter { !$0.contains("\tmin = ") }.joined(separator: "\n")
        XCTAssertThrowsError(try MTPFile.parse(none, file: "none.mtp")) { XCTAssertTrue("\($0)".contains("min_dist"), "\($0)") }
    }
}
