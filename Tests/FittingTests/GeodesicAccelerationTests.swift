import XCTest
import Atomistic
import MTP
import Parallel
@testable import Fitting

/// Levenberg-Marquardt's geodesic acceleration: the damped normal-equation
/// solve it uses, its second directional derivative, and that it speeds
/// the fit up.
final class GeodesicAccelerationTests: XCTestCase {
    /// A random column-major factor of [J | r] with n - 1 parameter columns.
    func randomFactor(n: Int, seed: UInt64) throws -> [Double] {
        var rng = SplitMix64(seed: seed)
        let rows = (0..<(3 * n)).map { _ in (0..<n).map { _ in Double(rng.next() % 2001) / 1000 - 1 } }
        var qr = StreamingQR(columns: n, blockRows: 8)
        for r in rows { try qr.append(r) }
        try qr.flush()
        return qr.r
    }

    func testDampedNormalSolutionSolvesTheDampedNormalEquations() throws {
        let n = 7, p = n - 1, lambda = 0.03
        let r = try randomFactor(n: n, seed: 4)
        let g = (0..<p).map { Double($0) - 2.5 }
        let d = try Trainer.dampedNormalSolution(r, gradient: g, lambda: lambda)
        // (R_J^T R_J + lambda D^2) d + g / 2 = 0, D the column norms of R_J.
        func rij(_ i: Int, _ j: Int) -> Double { i <= j ? r[j * n + i] : 0 }
        for i in 0..<p {
            var s = 0.5 * g[i], di = 0.0
            for k in 0...i { di += rij(k, i) * rij(k, i) }
            for j in 0..<p {
                var rtr = 0.0
                for k in 0..<p { rtr += rij(k, i) * rij(k, j) }
                s += rtr * d[j]
            }
            s += lambda * di * d[i]
            XCTAssertEqual(s, 0, accuracy: 1e-10, "row \(i)")
        }
        // With the gradient at the factor's own point, g = 2 R_J^T r1, it is the damped Gauss-Newton step.
        var gHere = [Double](repeating: 0, count: p)
        for c in 0..<p { for i in 0...c { gHere[c] += 2 * r[c * n + i] * r[p * n + i] } }
        let normal = try Trainer.dampedNormalSolution(r, gradient: gHere, lambda: lambda)
        let step = try Trainer.dampedSolution(r, lambda: lambda)
        for (a, b) in zip(normal, step) { XCTAssertEqual(a, b, accuracy: 1e-10 * max(1, abs(b))) }
    }

    func trainer(geodesic: Bool, iterations: Int) throws -> Trainer {
        let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        var pot = try MTPFile.read(path: dir.appendingPathComponent("cu-06.mtp").path)
        var configs = try CFGFormat.read(path: dir.appendingPathComponent("cu-4.cfg").path)
        for c in configs.indices { configs[c].energy! += 0.01 * Double(c) }
        // From MLIP's initial radial functions and no linear coefficients: a real fit.
        pot.radialCoeffs = Potential.defaultRadialCoeffs(speciesCount: 1, radialFuncsCount: pot.radialFuncsCount,
                                                         radialBasisSize: pot.radialBasisSize)
        pot.speciesCoeffs = nil
        pot.momentCoeffs = nil
        var options = TrainingOptions()
        options.maxIterations = iterations
        options.tolerance = 1e-14
        options.geodesicAcceleration = geodesic
        return try Trainer(potential: pot, configurations: configs, totalCount: configs.count, options: options,
                           communicator: Communicator.start())
    }

    /// The second directional derivative of the residuals that the
    /// acceleration is built on, against a finer central difference of J v
    /// along v: r_vv = d/dt (J(theta + t v) v) at t = 0.
    func testSecondDirectionalDerivativeOfTheResiduals() throws {
        let t = try trainer(geodesic: true, iterations: 1)
        _ = try t.run()
        let theta = t.potential.parameters
        let v = theta.indices.map { 1e-3 * Double(($0 * 7) % 5 - 2) * max(1, abs(theta[$0])) }
        var geo = GeodesicAcceleration()
        geo.h = 1e-3
        let rvv = try geo.secondDerivative(t, velocity: v, at: theta)
        let e = 1e-4
        var plus = theta, minus = theta
        for x in theta.indices { plus[x] += e * v[x]; minus[x] -= e * v[x] }
        let (jp, _) = try t.jacobianTimes(v, evaluator: t.evaluator(at: plus))
        let (jm, _) = try t.jacobianTimes(v, evaluator: t.evaluator(at: minus))
        var worst = 0.0, scale = 0.0
        for c in rvv.indices {
            for i in rvv[c].indices {
                let fd = (jp[c][i] - jm[c][i]) / (2 * e)
                worst = max(worst, abs(rvv[c][i] - fd)); scale = max(scale, abs(fd))
            }
        }
        XCTAssertGreaterThan(scale, 0)
        XCTAssertLessThan(worst, 1e-4 * scale)
    }

    /// The same fit, the same number of Jacobian passes: the accelerated
    /// one ends at a lower loss, every iteration lowers it, and neither
    /// leaves a NaN.
    func testAccelerationLowersTheLossFaster() throws {
        var losses: [Bool: [Double]] = [:]
        for geodesic in [false, true] {
            let t = try trainer(geodesic: geodesic, iterations: 10)
            var trace: [Double] = []
            let final = try t.run(progress: { trace.append($0.errors.loss) })
            XCTAssertTrue(final.loss.isFinite)
            for (a, b) in zip(trace, trace.dropFirst()) { XCTAssertLessThanOrEqual(b, a) }
            losses[geodesic] = trace
        }
        let plain = try XCTUnwrap(losses[false]?.last), accelerated = try XCTUnwrap(losses[true]?.last)
        XCTAssertLessThan(accelerated, plain, "geodesic \(losses[true]!) plain \(losses[false]!)")
    }
}
