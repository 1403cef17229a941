import Foundation
import Atomistic
import Parallel

/// The damped step replicated (LAPACK on every rank) against ScaLAPACK on
/// every BLACS grid shape of the communicator's ranks (`mtp bench step`):
/// the time of each (slowest rank, best of the repeats) and the largest
/// difference of each grid's step from the replicated one and from the
/// first grid's, relative to the step's largest entry. The factor is a
/// fixed pseudo-random upper triangle of size n (seeded: the same on every
/// rank), well conditioned as a fit's R is after scaling.
public struct StepBenchmark {
    public var n: Int
    public var repeats: Int
    public var lambda = 1e-3

    public init(n: Int, repeats: Int) {
        self.n = n
        self.repeats = repeats
    }

    public struct Point: Codable, Sendable {
        public var grid: String
        public var seconds: Double
        public var differenceFromReplicated: Double
        public var differenceFromFirstGrid: Double
    }

    public struct Record: Codable, Sendable {
        public var ranks: Int
        public var n: Int
        public var replicated: Double
        public var grids: [Point]
    }

    func factor() -> [Double] {
        var g = SplitMix64(seed: 16)
        var r = [Double](repeating: 0, count: n * n)
        for c in 0..<n {
            for i in 0..<c { r[c * n + i] = g.uniform(-1, 1) }
            r[c * n + c] = 2 + g.uniform(0, 1) * Double(n).squareRoot()
        }
        return r
    }

    /// Every rank of `comm` calls it.
    public func measure(_ comm: Communicator) throws -> Record {
        let r = factor()
        var reference: [Double] = []
        var replicated = Double.infinity
        for _ in 0..<repeats {
            comm.barrier()
            let t = try ProcessTime.wallSeconds { reference = try Trainer.dampedSolution(r, lambda: lambda) }
            replicated = min(replicated, comm.allReduceMax(t))
        }
        let size = reference.map(abs).max() ?? 1
        func difference(_ a: [Double], _ b: [Double]) -> Double {
            zip(a, b).map { abs($0 - $1) }.max().map { $0 / max(size, 1e-300) } ?? 0
        }
        var points: [Point] = []
        var first: [Double]? = nil
        for rows in 1...comm.size where comm.size % rows == 0 {
            let grid = BlacsGrid(comm, rows: rows, columns: comm.size / rows)
            defer { grid.release() }
            var step: [Double] = []
            var best = Double.infinity
            for _ in 0..<repeats {
                comm.barrier()
                let t = try ProcessTime.wallSeconds {
                    step = try DistributedStep.dampedSolution(r, lambda: lambda, grid: grid, communicator: comm)
                }
                best = min(best, comm.allReduceMax(t))
            }
            if first == nil { first = step }
            points.append(Point(grid: "\(rows)x\(comm.size / rows)", seconds: best,
                                differenceFromReplicated: difference(step, reference),
                                differenceFromFirstGrid: difference(step, first!)))
        }
        return Record(ranks: comm.size, n: n, replicated: replicated, grids: points)
    }
}

extension StepBenchmark.Record {
    public var summary: [String] {
        var out = ["damped step, n = \(n), \(ranks) rank\(ranks == 1 ? "" : "s"): replicated LAPACK (dtpqrt) \(String(format: "%.4f", replicated)) s"]
        for p in grids {
            out.append(String(format: "ScaLAPACK pdgels on grid %@: %.4f s, differs from replicated by %.2e, from the first grid by %.2e",
                              p.grid, p.seconds, p.differenceFromReplicated, p.differenceFromFirstGrid))
        }
        return out
    }
}
