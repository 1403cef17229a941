import XCTest
import Foundation
import Atomistic
import Reference
import Structures
@testable import Validation

/// Wraps a calculator and records the shape of every cell it is asked
/// about, so that a test can tell which lattices a validation relaxed.
final class LoggingCalculator: Calculator {
    /// Shared by every instance a CalculatorSource makes (one per task).
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var cells: [Configuration] = []
        func add(_ c: Configuration) { lock.lock(); cells.append(c); lock.unlock() }
        var all: [Configuration] { lock.lock(); defer { lock.unlock() }; return cells }
    }
    let inner: Calculator
    let log: Log
    init(_ inner: Calculator, log: Log) { self.inner = inner; self.log = log }
    var name: String { inner.name }
    var cutoff: Double { inner.cutoff }
    func calculate(_ config: Configuration) throws -> Labels {
        log.add(config)
        return try inner.calculate(config)
    }
}

final class LatticeSelectionTests: XCTestCase {
    /// Each selection relaxes the union of its properties' lattices; the
    /// equilibrium alone (or everything) relaxes all four.
    func testTheSelectedPropertiesNameTheLatticesToRelax() throws {
        func needed(_ list: String) throws -> [LatticeKind] { Equilibrium.lattices(needed: try PropertySelection.properties(list)) }
        XCTAssertEqual(try needed("elastic"), [.hcp])
        XCTAssertEqual(try needed("strain,surface,md"), [.hcp])
        XCTAssertEqual(try needed("phonon"), [.hcp, .bcc])
        XCTAssertEqual(try needed("elastic,phonon"), [.hcp, .bcc])
        XCTAssertEqual(try needed("ev"), LatticeKind.allCases)
        XCTAssertEqual(try needed("vacancy"), LatticeKind.allCases)
        XCTAssertEqual(try needed("eq"), LatticeKind.allCases)
        XCTAssertEqual(Equilibrium.lattices(needed: ValidationProperties.all), LatticeKind.allCases)
    }

    /// `--properties elastic` with the EAM against itself: the reference is
    /// asked only about 2-atom hexagonal cells (hcp, relaxed and strained;
    /// no fcc, dhcp or bcc cell), the report lists hcp's lattice rows and
    /// the five elastic constants with zero error, and report.md and
    /// report.json are written without the other lattices.
    func testElasticAloneRelaxesOnlyHCPAndStillReports() throws {
        let eam = ValidationTests.eamFile
        let log = LoggingCalculator.Log()
        var validator = Validator(reference: CalculatorSource(name: "eam", make: { LoggingCalculator(try EAMCalculator(file: eam), log: log) }),
                                  potentials: [CalculatorSource(name: "eam copy", make: { try EAMCalculator(file: eam) })],
                                  mass: ValidationTests.mgMass, startLattice: (3.18, 1.62), settings: .quick)
        validator.properties = try PropertySelection.properties("elastic")
        let report = try validator.run()

        let asked = log.all
        XCTAssertFalse(asked.isEmpty)
        for c in asked {
            XCTAssertEqual(c.atomCount, 2)
            // a1.a2 / (|a1||a2|) is -1/2 or 1/2 for a hexagonal cell (up to the
            // 0.5 % strains), 0 for the cubic fcc and bcc cells.
            let cosine = dot(c.cell[0], c.cell[1]) / (norm(c.cell[0]) * norm(c.cell[1]))
            XCTAssertEqual(abs(cosine), 0.5, accuracy: 0.02)
        }

        let lattice = report.rows.filter { $0.property == EquilibriumProperty.identifier }.map(\.name)
        XCTAssertEqual(lattice, ["hcp a", "hcp c/a", "hcp volume", "hcp energy"])
        let elastic = report.rows.filter { $0.property == "elastic" }
        XCTAssertEqual(elastic.count, 5)
        for row in elastic {
            let value = try XCTUnwrap(row.reference)
            XCTAssertTrue(value.isFinite && value > 0, "\(row.name) = \(value)")
            XCTAssertEqual(try XCTUnwrap(row.errors[0]), 0, accuracy: 1e-9, row.name)
        }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mtp-lattices-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try report.write(to: dir, title: "elastic only")
        let markdown = try String(contentsOfFile: dir + "/report.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("| hcp C11 (relaxed ions) | GPa |"), markdown)
        XCTAssertTrue(markdown.contains("| hcp a | A |"), markdown)
        XCTAssertFalse(markdown.contains("fcc"), markdown)
        XCTAssertFalse(markdown.contains("bcc"), markdown)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report.json"))) as? [String: Any]
        XCTAssertNotNil(json)
    }
}
