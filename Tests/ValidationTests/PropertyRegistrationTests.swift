import XCTest
import Foundation
import Atomistic
import Reference
import Structures
@testable import Validation

/// A property registered from outside the library: the energy per atom of
/// fcc at a fixed lattice constant (4.5 A, near the Mg EAM's fcc
/// equilibrium), computed with each calculator.
struct FixedFCCEnergy: ValidationProperty, PropertyResult {
    static let a = 4.5
    var energy = 0.0     // meV/atom
    var identifier: String { "fcc energy at fixed a" }
    var needsOwnEquilibrium: Bool { false }

    func compute(_ input: PropertyInput) throws -> any PropertyResult {
        let cell = Lattice.fcc(a: Self.a).unitCell()
        return FixedFCCEnergy(energy: 1000 * (try input.calculator.calculate(cell).energy) / Double(cell.atomCount))
    }
    var quantities: [Quantity] { [.value("fcc energy at a = 4.5 A", "meV/atom", energy)] }
}

final class PropertyRegistrationTests: XCTestCase {
    func run() throws -> (ValidationReport, String) {
        let eam = ValidationTests.eamFile
        let report = try Validator(reference: CalculatorSource(name: "eam", make: { try EAMCalculator(file: eam) }),
                                   potentials: [CalculatorSource(name: "lj", make: { LennardJones() })],
                                   mass: ValidationTests.mgMass, startLattice: (3.18, 1.62), settings: .quick).run()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mtp-registry-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try report.write(to: dir, title: "registry")
        return (report, try String(contentsOfFile: dir + "/report.md", encoding: .utf8))
    }

    /// Registering the property is all it takes for a default Validator to
    /// compute it with every calculator and for the report to show it;
    /// unregistered, it is gone and the built-in rows are untouched.
    func testARegisteredPropertyIsComputedAndReportedAndAnUnregisteredOneIsNot() throws {
        let toy = FixedFCCEnergy()
        XCTAssertNil(ValidationProperties.property(toy.identifier))
        ValidationProperties.register(toy)
        defer { ValidationProperties.unregister(toy.identifier) }
        XCTAssertEqual(ValidationProperties.all.last?.identifier, toy.identifier)

        let (with, withMarkdown) = try run()
        let cell = Lattice.fcc(a: FixedFCCEnergy.a).unitCell()
        let eamEnergy = 1000 * (try EAMCalculator(file: ValidationTests.eamFile).calculate(cell).energy) / Double(cell.atomCount)
        let ljEnergy = 1000 * (try LennardJones().calculate(cell).energy) / Double(cell.atomCount)
        let rows = with.rows.filter { $0.property == toy.identifier }
        XCTAssertEqual(rows.count, 1)
        let row = try XCTUnwrap(rows.first)
        XCTAssertEqual(row.name, "fcc energy at a = 4.5 A")
        XCTAssertEqual(try XCTUnwrap(row.reference), eamEnergy, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(row.values[0]), ljEnergy, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(row.errors[0]), ljEnergy - eamEnergy, accuracy: 1e-9)
        XCTAssertNotEqual(eamEnergy, ljEnergy)
        // Last in report order, in the table and in the time table.
        XCTAssertEqual(with.rows.last?.property, toy.identifier)
        XCTAssertTrue(withMarkdown.contains("| fcc energy at a = 4.5 A | meV/atom |"), withMarkdown)
        XCTAssertTrue(withMarkdown.contains("| fcc energy at fixed a | "), withMarkdown)
        let json = try JSONSerialization.jsonObject(with: with.json) as! [String: Any]
        let seconds = json["secondsPerProperty"] as! [String: [String: Double]]
        XCTAssertNotNil(seconds["lj"]?[toy.identifier])

        ValidationProperties.unregister(toy.identifier)
        XCTAssertNil(ValidationProperties.property(toy.identifier))
        let (without, withoutMarkdown) = try run()
        XCTAssertFalse(without.rows.contains { $0.property == toy.identifier })
        XCTAssertFalse(withoutMarkdown.contains("fcc energy at"), withoutMarkdown)
        // The built-in properties give the same rows either way.
        let builtIn = with.rows.filter { $0.property != toy.identifier }
        XCTAssertEqual(builtIn.map(\.name), without.rows.map(\.name))
        XCTAssertEqual(builtIn.map(\.reference), without.rows.map(\.reference))
        XCTAssertEqual(builtIn.map(\.errors), without.rows.map(\.errors))
    }

    /// A property that starts from the calculator's own lattices is not run
    /// for a calculator whose lattices did not relax; its row says why.
    func testAPropertyNeedingItsOwnLatticesFailsWhenTheyDoNotRelax() throws {
        struct NeedsOwn: ValidationProperty {
            var identifier: String { "own hcp energy" }
            var needsOwnEquilibrium: Bool { true }
            func compute(_ input: PropertyInput) throws -> any PropertyResult {
                let own = try input.ownEquilibrium()
                return FixedFCCEnergy(energy: 1000 * own.energyPerAtom[.hcp]!)
            }
        }
        let eam = ValidationTests.eamFile
        var validator = Validator(reference: CalculatorSource(name: "eam", make: { try EAMCalculator(file: eam) }),
                                  potentials: [CalculatorSource(name: "collapsing", make: { LennardJones(epsilon: -0.3) })],
                                  mass: ValidationTests.mgMass, startLattice: (3.18, 1.62), settings: .quick)
        validator.properties = [EquilibriumProperty(), NeedsOwn()]
        let report = try validator.run()
        XCTAssertEqual(Set(report.rows.map(\.property)), ["equilibrium", "own hcp energy"])
        let row = try XCTUnwrap(report.rows.first { $0.property == "own hcp energy" })
        let hcpEnergy = try XCTUnwrap(report.rows.first { $0.name == "hcp energy" }?.reference)   // meV/atom
        XCTAssertEqual(try XCTUnwrap(row.reference), hcpEnergy, accuracy: 1e-9)
        XCTAssertNil(row.values[0] ?? nil)
        XCTAssertEqual(row.notes[0], PropertyInput.missingEquilibrium)
    }
}
