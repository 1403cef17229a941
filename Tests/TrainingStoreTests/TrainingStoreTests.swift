import XCTest
import CommandLineTesting
import Foundation
import Atomistic
@testable import TrainingStore

/// A fixture the tests need is not where it should be: a failure, never a skip.
struct MissingFixture: Error, CustomStringConvertible {
    var path: String
    var description: String { "fixture \(path) not found" }
}

final class TrainingStoreTests: TemporaryDirectoryTestCase {
    func fixture(_ name: String) throws -> String {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil)).path
    }
    /// A file elsewhere under the repository's Tests folder (this file is
    /// Tests/TrainingStoreTests/TrainingStoreTests.swift); missing is a failure.
    func testsFile(_ name: String) throws -> String {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let path = tests.appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path) else { throw MissingFixture(path: path) }
        return path
    }

    func roundTrip(_ set: TrainingSet, cutoff: Double = 5.0) throws -> TrainingSet {
        let path = tmp + "/set-\(UUID().uuidString.prefix(6)).h5"
        try StoreWriter.write(set, to: path, costModel: CostModel(cutoff: cutoff))
        return try StoreReader(path: path).readAll()
    }

    /// Bit-level equality: `==` on Double treats -0.0 == 0.0, the digest does not.
    func assertIdentical(_ a: [Configuration], _ b: [Configuration], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (k, (x, y)) in zip(a, b).enumerated() {
            XCTAssertEqual(x, y, "configuration \(k + 1)", file: file, line: line)
            XCTAssertEqual(ConfigurationDigest.of(x), ConfigurationDigest.of(y), "configuration \(k + 1) bits", file: file, line: line)
        }
    }

    // MARK: Round trips

    func testCFGRoundTripKeepsEveryValueAndExtraColumns() throws {
        let path = try fixture("mlip/calc-efs-multi10-first3.cfg")
        let configs = try CFGFormat.read(path: path)
        XCTAssertFalse(configs[0].atomProperties.isEmpty, "fixture has nbh_grades")
        let back = try roundTrip(TrainingSet(configurations: configs))
        assertIdentical(configs, back.configurations)
        XCTAssertEqual(try CFGFormat.format(configs, style: .full), try CFGFormat.format(back.configurations, style: .full))
    }

    /// The 500 three-species (Cu, Ag, Au) configurations of the MLIP reference
    /// outputs bundled with the MTP tests, Tests/MTPTests/Fixtures/mlip-reference/multi/*/calc-efs.first100.cfg.
    /// The same data written twice, a second apart, gives the same bytes:
    /// HDF5 object modification times are not recorded, so reproducible
    /// pipelines (mtp assyst with a seed) can be checked with cmp.
    func testSameDataGivesIdenticalFiles() throws {
        let configs = try CFGFormat.read(path: testsFile("MTPTests/Fixtures/mlip-reference/multi/04/calc-efs.first100.cfg"))
        let set = TrainingSet(configurations: Array(configs.prefix(10)), species: ["Cu", "Ag", "Au"])
        let a = tmp + "/same-a.h5", b = tmp + "/same-b.h5"
        try StoreWriter.write(set, to: a, costModel: CostModel(cutoff: 5))
        Thread.sleep(forTimeInterval: 1.1)
        try StoreWriter.write(set, to: b, costModel: CostModel(cutoff: 5))
        let da = try Data(contentsOf: URL(fileURLWithPath: a)), db = try Data(contentsOf: URL(fileURLWithPath: b))
        XCTAssertGreaterThan(da.count, 1000)
        XCTAssertEqual(da, db)
    }

    func testThreeSpeciesReferenceSetRoundTrip() throws {
        var configs: [Configuration] = []
        for level in ["02", "04", "06", "08", "10"] {
            configs += try CFGFormat.read(path: try testsFile("MTPTests/Fixtures/mlip-reference/multi/\(level)/calc-efs.first100.cfg"))
        }
        XCTAssertEqual(configs.count, 500)
        XCTAssertEqual(Set(configs.flatMap(\.species)), [0, 1, 2], "all three species occur")
        let back = try roundTrip(TrainingSet(configurations: configs, species: ["Cu", "Ag", "Au"]))
        XCTAssertEqual(back.species, ["Cu", "Ag", "Au"])
        assertIdentical(configs, back.configurations)
        XCTAssertEqual(try CFGFormat.format(configs, style: .full), try CFGFormat.format(back.configurations, style: .full))
    }

    func testExtXYZRoundTripOfMLearnRecords() throws {
        let ml = try MLearnJSON.read(path: try fixture("mlearn/Mo-20.json"))
        let text = try ExtXYZFormat.format(ml.configurations, symbols: ml.species)
        let parsed = try ExtXYZFormat.parse(text, file: "<mem>")
        let back = try roundTrip(TrainingSet(configurations: parsed.configurations, species: parsed.species))
        assertIdentical(parsed.configurations, back.configurations)
        XCTAssertEqual(text, try ExtXYZFormat.format(back.configurations, symbols: back.species))
    }

    func testMLearnDirectToStoreKeepsGroupsAndValues() throws {
        let ml = try MLearnJSON.read(path: try fixture("mlearn/Mo-20.json"))
        let set = TrainingSet(configurations: ml.configurations, species: ml.species)
        let back = try roundTrip(set)
        assertIdentical(ml.configurations, back.configurations)
        XCTAssertEqual(back.groups, set.groups)
        XCTAssertTrue(back.groups.contains("Elastic"))
        // The first record's first position, exactly as written in the JSON text.
        XCTAssertEqual(back.configurations[0].positions[0].x, 9.404514716053999)
    }

    /// The bundled subsets of the four mlearn sets (Fixtures/ORIGIN.txt): every
    /// group of each set is represented (Mo's across its two files).
    func testAllMLearnSetsRoundTripThroughCFG() throws {
        let files = ["Mo": ["Mo-20", "Mo-10"], "Si": ["Si-20"], "Ge": ["Ge-20"], "Li": ["Li-20"]]
        for element in ["Mo", "Si", "Ge", "Li"] {
            var groups = Set<String>()
            for name in files[element]! {
                let ml = try MLearnJSON.read(path: try fixture("mlearn/\(name).json"))
                XCTAssertEqual(ml.species, [element], name)
                groups.formUnion(ml.configurations.compactMap(\.group))
                let cfg = try CFGFormat.parse(try CFGFormat.format(ml.configurations, style: .full), file: name)
                let back = try roundTrip(TrainingSet(configurations: cfg, species: ml.species))
                assertIdentical(cfg, back.configurations)
            }
            XCTAssertEqual(groups, ["AIMD-NVT", "Elastic", "Surface", "Vacancy"], element)
        }
    }

    func testMissingLabelsStayMissing() throws {
        var c = Configuration(cell: [Vec3(3, 0, 0), Vec3(0, 3, 0), Vec3(0, 0, 3)], pbc: .all, species: [0, 1], positions: [.zero, Vec3(1.5, 1.5, 1.5)])
        var labelled = c
        labelled.energy = -0.0
        labelled.virial = Virial(voigt: [0, -0.0, 1, 2, 3, 4])
        labelled.forces = [Vec3(-0.0, 0, 1), Vec3(0, 0, -1)]
        labelled.group = "RATTLE"
        labelled.features = [Feature(key: "k", value: "v w")]
        c.group = nil
        let back = try roundTrip(TrainingSet(configurations: [c, labelled], species: ["Mg", "Al"]))
        XCTAssertNil(back.configurations[0].energy)
        XCTAssertNil(back.configurations[0].forces)
        XCTAssertNil(back.configurations[0].virial)
        XCTAssertNil(back.configurations[0].group)
        assertIdentical([c, labelled], back.configurations)
    }

    // MARK: mlearn stress

    func testMLearnStressOrderAndSignFromData() throws {
        let ml = try MLearnJSON.read(path: try fixture("mlearn/Mo-20.json"))
        XCTAssertEqual(ml.stressOrder.description, "xx,yy,zz,xy,xz,yz")
        // Sign, on the Mo records of strain mode 1 (uniaxial along x), bundled in
        // Mo-10.json with sheared cells of their own, so its order is inferred too.
        let more = try MLearnJSON.read(path: try fixture("mlearn/Mo-10.json"))
        XCTAssertEqual(more.stressOrder, ml.stressOrder)
        let all = more.configurations
        func find(_ d: String) throws -> Configuration {
            try XCTUnwrap(all.first { $0.features.contains(Feature(key: "description", value: d)) }, d)
        }
        // dE/d(eps_xx) = -W_xx: central difference between -6 % and -2 %
        // against W at -4 % (large compression, so VASP's constant Pulay
        // stress offset of a few kbar does not matter).
        let a = try find("Mo 3x3x3 cell, mode 1, strain -0.0600"), b = try find("Mo 3x3x3 cell, mode 1, strain -0.0200")
        let mid = try find("Mo 3x3x3 cell, mode 1, strain -0.0400")
        let slope = (b.energy! - a.energy!) / 0.04
        XCTAssertEqual(slope, -mid.virial!.xx, accuracy: 0.10 * abs(mid.virial!.xx))
        let minus = b
        XCTAssertGreaterThan(minus.virial!.xx, 0, "a compressed cell has positive W")
    }

    func testSiStressOrderIsVASPs() throws {
        let si = try MLearnJSON.read(path: try fixture("mlearn/Si-20.json"))
        XCTAssertEqual(si.stressOrder, .vasp)
        XCTAssertTrue(si.stressOrderEvidence.hasPrefix("inferred"), si.stressOrderEvidence)
    }

    // MARK: VASP

    /// expected.json, written with the synthetic VASP fixtures by
    /// Fixtures/vasp/make_fixtures.py from the values it chose.
    struct ExpectedVASPRun: Decodable {
        struct Step: Decodable {
            var cell: [[Double]], positions: [[Double]], forces: [[Double]]
            var energy: Double, enthalpyPV: Double, stressKB: [Double], virial: [Double]
        }
        var species: [String]
        var speciesIndices: [Int]
        var steps: [Step]
    }

    func expectedVASPRun() throws -> ExpectedVASPRun {
        try JSONDecoder().decode(ExpectedVASPRun.self, from: Data(contentsOf: URL(fileURLWithPath: try fixture("vasp/expected.json"))))
    }

    /// Every step of `r` against the expectation; `positionTolerance` is the
    /// file's print precision for Cartesian positions (vasprun has exact
    /// fractional coordinates, OUTCAR prints Cartesian ones to 1e-5).
    func assertMatches(_ r: VASPFormat.Result, _ e: ExpectedVASPRun, positionTolerance: Double,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.species, e.species, file: file, line: line)
        XCTAssertEqual(r.configurations.count, e.steps.count, file: file, line: line)
        func near(_ a: Vec3, _ b: [Double], _ tol: Double, _ what: String) {
            for k in 0..<3 { XCTAssertEqual(a[k], b[k], accuracy: tol, what, file: file, line: line) }
        }
        for (n, (c, s)) in zip(r.configurations, e.steps).enumerated() {
            let step = "step \(n + 1)"
            XCTAssertEqual(c.species, e.speciesIndices, step, file: file, line: line)
            XCTAssertEqual(c.pbc, .all, step, file: file, line: line)
            for k in 0..<3 { near(c.cell[k], s.cell[k], 1e-12, "\(step) cell row \(k + 1)") }
            XCTAssertEqual(c.positions.count, s.positions.count, step, file: file, line: line)
            for (a, (p, q)) in zip(c.positions, s.positions).enumerated() { near(p, q, positionTolerance, "\(step) position \(a + 1)") }
            guard let forces = c.forces, let energy = c.energy, let virial = c.virial else {
                XCTFail("\(step): missing labels", file: file, line: line); continue
            }
            XCTAssertEqual(forces.count, s.forces.count, step, file: file, line: line)
            for (a, (f, g)) in zip(forces, s.forces).enumerated() { near(f, g, 1e-12, "\(step) force \(a + 1)") }
            // Printed to 1e-8 eV (vasprun: F + P*V, rounded, then P*V removed).
            XCTAssertEqual(energy, s.energy, accuracy: 1e-8, "\(step) energy", file: file, line: line)
            for (k, (w, x)) in zip(virial.voigt, s.virial).enumerated() {
                XCTAssertEqual(w, x, accuracy: 1e-12, "\(step) virial component \(k + 1) (Voigt)", file: file, line: line)
            }
        }
    }

    func testVasprunMatchesSyntheticRun() throws {
        let e = try expectedVASPRun()
        let path = try fixture("vasp/vasprun_synthetic.xml")
        let r = try VASPFormat.readVasprun(path: path)
        assertMatches(r, e, positionTolerance: 1e-12)
        // The fixture is only a test of PSTRESS handling if the term matters.
        XCTAssertGreaterThan(e.steps.map(\.enthalpyPV).min()!, 0.1)
        let last = try VASPFormat.readVasprun(path: path, lastStepOnly: true)
        XCTAssertEqual(last.configurations, [r.configurations.last!])
    }

    func testOUTCARMatchesSyntheticRun() throws {
        let e = try expectedVASPRun()
        let path = try fixture("vasp/OUTCAR_synthetic")
        let r = try VASPFormat.readOUTCAR(path: path)
        assertMatches(r, e, positionTolerance: 5.1e-6)
        let last = try VASPFormat.readOUTCAR(path: path, lastStepOnly: true)
        XCTAssertEqual(last.configurations, [r.configurations.last!])
    }

    // MARK: Partition and cost

    func testPartitionCoversEverythingOnceAndBalances() {
        var rng = SystemRandomNumberGenerator()
        let costs = (0..<1200).map { _ in Double(Int.random(in: 2...200, using: &rng)) }
        for parts in 1...8 {
            let ranges = Partition.contiguous(costs: costs, parts: parts)
            XCTAssertEqual(ranges.count, parts)
            XCTAssertEqual(ranges.first!.lowerBound, 0)
            XCTAssertEqual(ranges.last!.upperBound, costs.count)
            for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
            let sums = ranges.map { $0.reduce(0) { $0 + costs[$1] } }
            XCTAssertLessThan(Partition.imbalance(sums), 0.10, "parts \(parts)")
        }
    }

    func testMorePartsThanItemsGivesEmptyShards() {
        let ranges = Partition.contiguous(costs: [5, 1, 7], parts: 5)
        XCTAssertEqual(ranges.map(\.count).reduce(0, +), 3)
        XCTAssertEqual(ranges.filter(\.isEmpty).count, 2)
        XCTAssertEqual(Partition.contiguous(costs: [], parts: 3), [0..<0, 0..<0, 0..<0])
    }

    func testStoredCostCountsNeighbours() throws {
        let configs = try CFGFormat.read(path: try fixture("mlip/calc-efs-multi10-first3.cfg"))
        let path = tmp + "/cost.h5"
        let model = CostModel(cutoff: 5.0, atomWeight: 20)
        try StoreWriter.write(TrainingSet(configurations: configs), to: path, costModel: model)
        let reader = try StoreReader(path: path)
        for (k, c) in configs.enumerated() {
            let pairs = try NeighborList(c, cutoff: 5.0).pairCount
            XCTAssertGreaterThan(pairs, 0)
            XCTAssertEqual(reader.cost[k], Double(pairs) + 20 * Double(c.atomCount))
        }
        XCTAssertEqual(try reader.read(1..<1).count, 0)
        XCTAssertEqual(try reader.read(1..<3).map(\.positions), Array(configs[1..<3]).map(\.positions))
    }

    // MARK: Bad input

    func testTruncatedFileIsReportedWithItsName() throws {
        let path = tmp + "/good.h5"
        try StoreWriter.write(TrainingSet(configurations: try CFGFormat.read(path: try fixture("mlip/calc-efs-multi10-first3.cfg"))), to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let bad = tmp + "/truncated.h5"
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: bad))
        XCTAssertThrowsError(try StoreReader(path: bad).readAll()) { error in
            XCTAssertTrue("\(error)".contains("truncated.h5"), "\(error)")
        }
        let text = tmp + "/text.h5"
        try "not hdf5".write(toFile: text, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try StoreReader(path: text)) { XCTAssertTrue("\($0)".contains("not an HDF5 file"), "\($0)") }
    }

    func testNaNAndUnknownSpeciesAreRefused() throws {
        var c = Configuration(species: [0], positions: [.zero])
        c.energy = .nan
        XCTAssertThrowsError(try StoreWriter.write(TrainingSet(configurations: [c]), to: tmp + "/nan.h5")) {
            XCTAssertTrue("\($0)".contains("configuration 1: non-finite energy"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp + "/nan.h5"))
        var set = TrainingSet(configurations: [], species: ["Cu"])
        XCTAssertThrowsError(try set.append([Configuration(species: [1], positions: [.zero])], symbols: nil, source: "x.cfg")) {
            XCTAssertTrue("\($0)".contains("x.cfg"), "\($0)")
        }
    }

    func testMalformedMLearnNamesTheRecord() throws {
        let path = tmp + "/bad.json"
        try #"[{"structure": {"lattice": {"matrix": [[1,0,0],[0,1,0],[0,0,1]]}, "sites": [{"species": [{"element": "Xx"}], "xyz": [0,0,0]}]}, "outputs": {}}]"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MLearnJSON.read(path: path, stressOrder: .vasp)) {
            XCTAssertTrue("\($0)".contains("record 1: site 1: unknown element 'Xx'"), "\($0)")
        }
    }

    func testSpeciesMergeBySymbol() throws {
        var set = TrainingSet()
        try set.append([Configuration(species: [0, 1], positions: [.zero, Vec3(2, 0, 0)])], symbols: ["Cu", "Ag"], source: "a")
        try set.append([Configuration(species: [0, 1], positions: [.zero, Vec3(2, 0, 0)])], symbols: ["Ag", "Au"], source: "b")
        XCTAssertEqual(set.species, ["Cu", "Ag", "Au"])
        XCTAssertEqual(set.configurations[1].species, [1, 2])
    }
}
