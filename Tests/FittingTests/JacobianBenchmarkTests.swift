import XCTest
import Atomistic
import MTP
import Parallel
@testable import Fitting

/// `JacobianBenchmark` (what `mtp bench jacobian` and benchmarks/jacobian
/// report): its counts describe the data, and a block size asked for one
/// measurement is used for it and then given back.
final class JacobianBenchmarkTests: XCTestCase {
    func fixtures() throws -> (Potential, [Configuration]) {
        let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        return (try MTPFile.read(path: dir.appendingPathComponent("cu-06.mtp").path),
                try CFGFormat.read(path: dir.appendingPathComponent("cu-4.cfg").path))
    }

    func testCountsAndBlockSize() throws {
        let (pot, configs) = try fixtures()
        let before = JacobianWorkspace.blockAtoms
        let comm = Communicator.start()
        let byDefault = try JacobianBenchmark(potential: pot, configurations: configs, repeats: 1, reference: false).measure(comm)
        let small = try JacobianBenchmark(potential: pot, configurations: configs, repeats: 1, reference: false,
                                          blockAtoms: 1).measure(comm)
        XCTAssertEqual(JacobianWorkspace.blockAtoms, before, "the block size is given back")
        XCTAssertEqual(byDefault.blockAtoms, before)
        XCTAssertEqual(small.blockAtoms, 1)
        for r in [byDefault, small] {
            XCTAssertEqual(r.configurations, configs.count)
            XCTAssertEqual(r.atoms, configs.reduce(0) { $0 + $1.atomCount })
            XCTAssertEqual(r.parameters, pot.parameterCount)
            XCTAssertGreaterThan(r.productGFlop, 0)
            XCTAssertTrue(r.passCPU.isFinite && r.passCPU > 0)
            XCTAssertTrue(JacobianBenchmark.summary(r).joined().contains("blocks of at most \(r.blockAtoms!) atoms"))
        }
        // The products of an atom have the force columns of its block, at
        // least its own neighbours': one atom a block never costs more flops.
        XCTAssertLessThanOrEqual(small.productGFlop, byDefault.productGFlop * (1 + 1e-12))
    }
}
