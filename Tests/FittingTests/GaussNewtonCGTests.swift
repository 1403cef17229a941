import XCTest
import Atomistic
import MTP
import Parallel
@testable import Fitting

/// The matrix-free Gauss-Newton optimizer: its products with the scaled
/// Jacobian equal those of the explicit rows (the ones Levenberg-Marquardt
/// factors), and it lowers the loss.
final class GaussNewtonCGTests: XCTestCase {
    func trainer(iterations: Int = 5, untrained: Bool = false) throws -> (Trainer, [Double]) {
        // The data of TrainerTests: small Cu cells labelled by a reference
        // MTP, energies shifted so that the residuals are not zero.
        let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        let pot = try MTPFile.read(path: dir.appendingPathComponent("cu-06.mtp").path)
        var configs = try CFGFormat.read(path: dir.appendingPathComponent("cu-4.cfg").path)
        for c in configs.indices { configs[c].energy! += 0.01 * Double(c) }
        var start = pot
        var theta = pot.parameters
        for p in theta.indices { theta[p] *= 1 + 0.01 * Double(p % 5 - 2) }
        start.parameters = theta
        if untrained {
            var radial: [Double] = pot.radialCoeffs!
            for x in radial.indices { radial[x] *= 1 + 0.2 * Double(x % 5 - 2) }
            start.radialCoeffs = radial
            start.speciesCoeffs = nil
            start.momentCoeffs = nil
        }
        var options = TrainingOptions()
        options.loss.forceScalingEpsilon = 0.5
        options.maxIterations = iterations
        options.optimizer = GaussNewtonCG.name
        let trainer = try Trainer(potential: start, configurations: configs, totalCount: configs.count,
                                  options: options, communicator: Communicator.start())
        return (trainer, theta)
    }

    /// Every scaled Jacobian row of the local configurations, as the factor sees them.
    func explicitRows(_ trainer: Trainer, at theta: [Double]) throws -> [[[Double]]] {
        let ev = try trainer.evaluator(at: theta)
        return try trainer.configs.indices.map { c in
            let (e, d) = try ev.derivatives(trainer.configs[c], neighbors: trainer.neighbors[c])
            var out: [[Double]] = []
            trainer.rows[c].forEachRow(model: e, derivatives: d, reference: trainer.configs[c]) { row, _ in out.append(Array(row)) }
            return out
        }
    }

    func testProductsEqualExplicitJacobian() throws {
        let (trainer, theta) = try trainer()
        let rows = try explicitRows(trainer, at: theta)
        let ev = try trainer.evaluator(at: theta)
        let P = theta.count
        var g = SystemRandomNumberGenerator()
        let v = (0..<P).map { _ in Double.random(in: -1...1, using: &g) }
        let (jv, norm2) = try trainer.jacobianTimes(v, evaluator: ev)
        var want2 = 0.0
        for c in rows.indices {
            XCTAssertEqual(jv[c].count, rows[c].count)
            let want = rows[c].map { row in zip(row, v).reduce(0) { $0 + $1.0 * $1.1 } }
            let scale = max(want.map(abs).max()!, 1e-300)
            for x in want.indices { XCTAssertEqual(jv[c][x], want[x], accuracy: 1e-10 * scale, "J v configuration \(c) row \(x)") }
            want2 += want.reduce(0) { $0 + $1 * $1 }
        }
        XCTAssertEqual(norm2, want2, accuracy: 1e-10 * want2)
        let u = rows.map { $0.map { _ in Double.random(in: -1...1, using: &g) } }
        let jtu = try trainer.jacobianTransposeTimes(u, evaluator: ev)
        var want = [Double](repeating: 0, count: P)
        for c in rows.indices { for (x, row) in rows[c].enumerated() { for p in 0..<P { want[p] += row[p] * u[c][x] } } }
        let scale = want.map(abs).max()!
        XCTAssertGreaterThan(scale, 0)
        for p in 0..<P { XCTAssertEqual(jtu[p], want[p], accuracy: 1e-10 * scale, "J^T u parameter \(p)") }
        // J^T J v in one pass equals the two products.
        let (jtjv, fused2) = try trainer.normalTimes(v, evaluator: ev)
        let jtjvTwo = try trainer.jacobianTransposeTimes(jv, evaluator: ev)
        let s2 = jtjvTwo.map(abs).max()!
        for p in 0..<P { XCTAssertEqual(jtjv[p], jtjvTwo[p], accuracy: 1e-12 * s2, "J^T J v parameter \(p)") }
        XCTAssertEqual(fused2, norm2, accuracy: 1e-12 * norm2)
        // The column norms of the preconditioner are those of the rows.
        let squares = try trainer.columnSquares(at: theta)
        for p in 0..<P {
            let s = rows.joined().reduce(0) { $0 + $1[p] * $1[p] }
            XCTAssertEqual(squares[p], s, accuracy: 1e-12 * max(s, 1e-300), "column \(p)")
        }
    }

    /// From an untrained start (linear coefficients unknown) the loss falls
    /// at every iteration and well below that of the exact linear solve.
    func testReducesLoss() throws {
        let (trainer, _) = try trainer(iterations: 8, untrained: true)
        var losses: [Double] = []
        let final = try trainer.run(progress: { losses.append($0.errors.loss) })
        XCTAssertEqual(losses.count, 8)
        for (a, b) in zip(losses, losses.dropFirst()) { XCTAssertLessThanOrEqual(b, a) }
        XCTAssertLessThan(final.loss, 0.5 * losses[0])
        XCTAssertGreaterThan(final.gradientEvaluations, final.iteration)
    }
}
