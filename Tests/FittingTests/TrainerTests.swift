import XCTest
import Atomistic
import MTP
import Parallel
@testable import Fitting

final class TrainerTests: XCTestCase {
    /// A few small Cu configurations labelled by a reference MTP with a
    /// little noise added, so the fit has non-zero residuals.
    func data() throws -> (Potential, [Configuration]) {
        let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        let pot = try MTPFile.read(path: dir.appendingPathComponent("cu-06.mtp").path)
        var configs = try CFGFormat.read(path: dir.appendingPathComponent("cu-4.cfg").path)
        for c in configs.indices { configs[c].energy! += 0.01 * Double(c) }
        return (pot, configs)
    }

    /// The loss gradient 2 R_J^T r1 (in parameter order) and the loss
    /// |r1|^2 + rho^2 that the least-squares factor at theta carries.
    func factorGradientAndLoss(_ trainer: Trainer, at theta: [Double]) throws -> ([Double], Double) {
        let r = try trainer.factor(at: theta)
        let n = theta.count + 1
        let p = n - 1
        // Gradient in column order, then back to parameter order.
        var g = [Double](repeating: 0, count: p)
        for c in 0..<p {
            var s = 0.0
            for i in 0...c { s += r[c * n + i] * r[p * n + i] }
            g[trainer.order[c]] = 2 * s
        }
        var loss = 0.0
        for i in 0..<n { loss += r[p * n + i] * r[p * n + i] }
        return (g, loss)
    }

    /// The least-squares factor carries the loss gradient: 2 J^T r = 2 R_J^T r1,
    /// checked against finite differences of the loss for every parameter.
    func testLossGradientMatchesFiniteDifferences() throws {
        let (pot, configs) = try data()
        var start = pot
        // Move away from the optimum so that the gradient is not ~0.
        var theta = pot.parameters
        for p in theta.indices { theta[p] *= 1 + 0.01 * Double(p % 5 - 2) }
        start.parameters = theta
        var options = TrainingOptions()
        options.loss.forceScalingEpsilon = 0.5
        options.ridge = 1e-6
        let trainer = try Trainer(potential: start, configurations: configs, totalCount: configs.count,
                                  options: options, communicator: Communicator.start())
        let (g, loss) = try factorGradientAndLoss(trainer, at: theta)
        XCTAssertEqual(loss, try trainer.errors(at: theta).loss, accuracy: 1e-10 * loss)
        for q in 0..<g.count {
            let h = 1e-6 * max(1, abs(theta[q]))
            var up = theta, down = theta
            up[q] += h; down[q] -= h
            let fd = (try trainer.errors(at: up).loss - trainer.errors(at: down).loss) / (2 * h)
            XCTAssertEqual(g[q], fd, accuracy: 1e-5 * max(abs(fd), abs(g[q])) + 1e-9, "parameter \(q)")
        }
    }

    /// The Jacobian pass in its parts, as `PhaseBenchmark` times them: the
    /// local factors of two halves of the data (two ranks' shares), combined
    /// with the ridge rows, give the factor of the whole set (the same R^T R,
    /// R being unique up to the signs of its rows), and timing the local
    /// factor does not change it.
    func testLocalFactorsCombineToTheWholeFactor() throws {
        let (pot, configs) = try data()
        var options = TrainingOptions()
        options.ridge = 1e-4
        func trainer(_ part: ArraySlice<Configuration>) throws -> Trainer {
            try Trainer(potential: pot, configurations: Array(part), totalCount: configs.count,
                        options: options, communicator: Communicator.start())
        }
        let whole = try trainer(configs[...])
        let theta = whole.potential.parameters
        let want = try whole.factor(at: theta)
        let halves = [try trainer(configs[..<2]), try trainer(configs[2...])]
        var times = Trainer.LocalFactorTimes()
        let locals = try halves.map { try $0.localFactor(at: theta, times: &times) }
        XCTAssertEqual(locals[0], try halves[0].localFactor(at: theta))
        XCTAssertGreaterThan(times.derivatives, 0)
        XCTAssertGreaterThan(times.qr, 0)
        let got = try whole.combine(locals, theta: theta)
        let n = theta.count + 1
        func gram(_ r: [Double]) -> [Double] {
            var g = [Double](repeating: 0, count: n * n)
            for a in 0..<n { for b in 0..<n { for i in 0...min(a, b) { g[a * n + b] += r[a * n + i] * r[b * n + i] } } }
            return g
        }
        let (g, h) = (gram(got), gram(want))
        let scale = h.map(abs).max()!
        for k in g.indices { XCTAssertEqual(g[k], h[k], accuracy: 1e-10 * scale, "entry \(k)") }
    }

    /// The fixed block tree gives the factor of the whole set whatever the
    /// blocks (one configuration per block, three, all four): the same R^T R
    /// as one streaming QR of every row; and the same blocks give the same
    /// bits every time.
    func testBlockTreeFactorIsTheWholeFactor() throws {
        let (pot, configs) = try data()
        let trainer = try Trainer(potential: pot, configurations: configs, totalCount: configs.count,
                                  options: TrainingOptions(), communicator: Communicator.start())
        let theta = trainer.potential.parameters
        let want = try trainer.localFactor(at: theta)
        let n = theta.count + 1
        func gram(_ r: [Double]) -> [Double] {
            var g = [Double](repeating: 0, count: n * n)
            for a in 0..<n { for b in 0..<n { for i in 0...min(a, b) { g[a * n + b] += r[a * n + i] * r[b * n + i] } } }
            return g
        }
        let h = gram(want)
        let scale = h.map(abs).max()!
        XCTAssertGreaterThanOrEqual(trainer.factorLayout.blockSize, 1)
        for size in [1, 3, 4] {
            trainer.factorLayout = BlockLayout(counts: [configs.count], blockSize: size, rank: 0)
            let got = try trainer.treeFactor(at: theta)
            XCTAssertEqual(got, try trainer.treeFactor(at: theta))
            let g = gram(got)
            for k in g.indices { XCTAssertEqual(g[k], h[k], accuracy: 1e-10 * scale, "blocks of \(size), entry \(k)") }
        }
    }

    /// Keeping every configuration's rows between evaluations (a memory
    /// budget) and rebuilding them per configuration (no budget, or a budget
    /// that holds only some, or evaluating block by block as for very large
    /// configurations) give the same loss, errors and gradient, bit for bit.
    func testCacheBudgetDoesNotChangeResults() throws {
        let (pot, configs) = try data()
        var theta = pot.parameters
        for p in theta.indices { theta[p] *= 1 + 0.02 * Double(p % 3 - 1) }
        let ev = try Evaluator(pot)
        let partial = try configs.prefix(2).reduce(0) {
            $0 + NeighborhoodCache.bytes(for: ev, config: $1, neighbors: try NeighborList($1, cutoff: ev.cutoff))
        }
        var results: [(TrainingErrors, [Double])] = []
        for (budget, blockwise) in [(0, false), (1 << 30, false), (partial, false), (0, true)] {
            let trainer = try Trainer(potential: pot, configurations: configs, totalCount: configs.count,
                                      options: TrainingOptions(), communicator: Communicator.start(), cacheBudget: budget)
            if blockwise { trainer.largestRebuilt = 0 }
            // Twice: the second call reuses what the first kept or rebuilt.
            _ = try trainer.lossAndGradient(at: pot.parameters)
            results.append(try trainer.lossAndGradient(at: theta))
            XCTAssertEqual(try trainer.errors(at: theta).loss, results.last!.0.loss)
            if budget == 1 << 30 { XCTAssertEqual(trainer.cachedConfigurations, configs.count) }
            if budget == 0 { XCTAssertEqual(trainer.cachedConfigurations, 0) }
            if budget == partial { XCTAssertEqual(trainer.cachedConfigurations, 2) }
        }
        for r in results.dropFirst() {
            XCTAssertEqual(r.0.loss, results[0].0.loss)
            XCTAssertEqual(r.1, results[0].1)
        }
    }

    /// The cheap loss gradient (one directional derivative per
    /// configuration) equals the gradient carried by the Jacobian's factor,
    /// with force scaling and ridge on.
    func testCheapGradientEqualsJacobianGradient() throws {
        let (pot, configs) = try data()
        var theta = pot.parameters
        for p in theta.indices { theta[p] *= 1 + 0.01 * Double(p % 5 - 2) }
        var start = pot
        start.parameters = theta
        var options = TrainingOptions()
        options.loss.forceScalingEpsilon = 0.5
        options.ridge = 1e-6
        let trainer = try Trainer(potential: start, configurations: configs, totalCount: configs.count,
                                  options: options, communicator: Communicator.start())
        let (want, _) = try factorGradientAndLoss(trainer, at: theta)
        let (errors, got) = try trainer.lossAndGradient(at: theta)
        XCTAssertEqual(errors.loss, try trainer.errors(at: theta).loss)
        let scale = want.map(abs).max()!
        XCTAssertGreaterThan(scale, 0)
        for q in want.indices { XCTAssertEqual(got[q], want[q], accuracy: 1e-9 * scale, "parameter \(q)") }
    }

    /// BFGS from an untrained start lowers the loss at every iteration and
    /// ends below the loss of its exact linear solve.
    func testBFGSReducesLoss() throws {
        let (pot, configs) = try data()
        var start = pot
        // Radial functions away from the reference's, linear coefficients unknown.
        start.radialCoeffs = start.radialCoeffs!.enumerated().map { $0.element * (1 + 0.2 * Double($0.offset % 5 - 2)) }
        start.speciesCoeffs = nil
        start.momentCoeffs = nil
        var options = TrainingOptions()
        options.maxIterations = 15
        options.optimizer = BFGS.name
        let trainer = try Trainer(potential: start, configurations: configs, totalCount: configs.count,
                                  options: options, communicator: Communicator.start())
        var losses: [Double] = []
        let final = try trainer.run(progress: { losses.append($0.errors.loss) })
        XCTAssertGreaterThan(losses.count, 5)
        for (a, b) in zip(losses, losses.dropFirst()) { XCTAssertLessThanOrEqual(b, a) }
        XCTAssertLessThan(final.loss, 0.999 * losses[0])
        XCTAssertEqual(final.jacobianPasses, 1)
        XCTAssertGreaterThanOrEqual(final.gradientEvaluations, losses.count)
    }

    /// Training lowers the loss and reports finite errors; the linear
    /// problem's condition number is finite.
    func testTrainingReducesLoss() throws {
        let (pot, configs) = try data()
        var start = pot
        start.speciesCoeffs = nil
        start.momentCoeffs = nil
        var options = TrainingOptions()
        options.maxIterations = 8
        let trainer = try Trainer(potential: start, configurations: configs, totalCount: configs.count,
                                  options: options, communicator: Communicator.start())
        var losses: [Double] = []
        var conds: [Double] = []
        let final = try trainer.run(progress: { losses.append($0.errors.loss); conds.append($0.conditionNumber) })
        XCTAssertGreaterThan(losses.count, 2)
        for (a, b) in zip(losses, losses.dropFirst()) { XCTAssertLessThanOrEqual(b, a) }
        XCTAssertLessThan(final.loss, losses[0])
        XCTAssertTrue(conds.allSatisfy { $0.isFinite && $0 >= 1 })
    }

    func testStreamingQRMatchesOneShotFactor() throws {
        var g = SystemRandomNumberGenerator()
        let n = 5
        let rows = (0..<40).map { _ in (0..<n).map { _ in Double.random(in: -1...1, using: &g) } }
        var a = StreamingQR(columns: n, blockRows: 7)
        for r in rows { try a.append(r) }
        try a.flush()
        // R^T R equals A^T A (the Gram matrix) whatever the blocking.
        for i in 0..<n {
            for j in 0..<n {
                var gram = 0.0
                for r in rows { gram += r[i] * r[j] }
                var rtr = 0.0
                for k in 0..<n { rtr += a.r[i * n + k] * a.r[j * n + k] }
                XCTAssertEqual(rtr, gram, accuracy: 1e-12 * 40)
            }
        }
        // Combining two halves gives the same Gram matrix.
        var h1 = StreamingQR(columns: n), h2 = StreamingQR(columns: n)
        for r in rows[..<15] { try h1.append(r) }
        for r in rows[15...] { try h2.append(r) }
        try h1.flush(); try h2.flush()
        // Combining two halves gives the same Gram matrix, by the stacked QR
        // and by the triangular-pentagonal QR of the tree (upper triangular).
        for c in [try StreamingQR.combine([h1.r, h2.r], columns: n), try StreamingQR.combinePair(h1.r, h2.r, columns: n)] {
            for i in 0..<n { for j in 0..<n {
                var x = 0.0, y = 0.0
                for k in 0..<n { x += c[i * n + k] * c[j * n + k]; y += a.r[i * n + k] * a.r[j * n + k] }
                XCTAssertEqual(x, y, accuracy: 1e-11)
                if j < i { XCTAssertEqual(c[j * n + i], 0) }
            }}
        }
    }
}
