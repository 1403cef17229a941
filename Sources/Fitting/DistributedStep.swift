import Foundation
import Atomistic
import CScaLAPACK
import Parallel

/// A BLACS process grid (rows x columns, row-major) on the ranks of a
/// communicator (the fit's, a sweep group's included). Collective to make;
/// released with `release()` by every rank of the grid.
public final class BlacsGrid {
    public let rows: Int, columns: Int
    public let myRow: Int, myColumn: Int
    let context: Int32
    private let system: Int32

    public init(_ comm: Communicator, rows: Int, columns: Int) {
        precondition(rows * columns == comm.size, "the grid must use every rank")
        system = Csys2blacs_handle(UnsafeMutableRawPointer(comm.handle))
        var ctx = system
        Cblacs_gridinit(&ctx, "R", Int32(rows), Int32(columns))
        context = ctx
        var nr: Int32 = 0, nc: Int32 = 0, r: Int32 = 0, c: Int32 = 0
        Cblacs_gridinfo(ctx, &nr, &nc, &r, &c)
        self.rows = Int(nr); self.columns = Int(nc); myRow = Int(r); myColumn = Int(c)
    }

    public func release() {
        Cblacs_gridexit(context)
        Cfree_blacs_system_handle(system)
    }
}

/// The damped Levenberg-Marquardt step (`Trainer.dampedSolution`) on a
/// BLACS grid: the stacked system [R_J; sqrt(lambda) D] (2P x P) and its
/// right-hand side [-r1; 0] distributed block-cyclically, ScaLAPACK's
/// `pdgels` (distributed Householder QR and triangular solve), the solution
/// gathered to every rank. The same step as the replicated LAPACK one to
/// rounding; every rank of the grid calls it with the same R and lambda.
public enum DistributedStep {
    public static let blockSize = 32

    public static func dampedSolution(_ r: [Double], lambda: Double, grid: BlacsGrid, communicator: Communicator) throws -> [Double] {
        let n = r.count.squareRootInt
        let p = n - 1
        let m = 2 * p
        var scale = [Double](repeating: 0, count: p)
        for c in 0..<p {
            var s = 0.0
            for row in 0...c { s += r[c * n + row] * r[c * n + row] }
            scale[c] = max(s.squareRoot(), 1e-300)
        }
        let sl = lambda.squareRoot()
        var nb = Int32(blockSize), zero: Int32 = 0
        var mm = Int32(m), pp = Int32(p), one: Int32 = 1
        var myRow = Int32(grid.myRow), myCol = Int32(grid.myColumn)
        var nprow = Int32(grid.rows), npcol = Int32(grid.columns)
        let locRows = Int(numroc_(&mm, &nb, &myRow, &zero, &nprow))
        let locCols = Int(numroc_(&pp, &nb, &myCol, &zero, &npcol))
        let locB = Int(numroc_(&one, &nb, &myCol, &zero, &npcol))
        var lld = Int32(max(1, locRows))
        var ctx = grid.context
        var descA = [Int32](repeating: 0, count: 9), descB = [Int32](repeating: 0, count: 9)
        var info: Int32 = 0
        descinit_(&descA, &mm, &pp, &nb, &nb, &zero, &zero, &ctx, &lld, &info)
        try LinearAlgebraError.check("descinit", info: info)
        descinit_(&descB, &mm, &one, &nb, &nb, &zero, &zero, &ctx, &lld, &info)
        try LinearAlgebraError.check("descinit", info: info)
        func global(_ local: Int, _ me: Int, _ procs: Int) -> Int {
            (local / blockSize) * blockSize * procs + me * blockSize + local % blockSize
        }
        var a = [Double](repeating: 0, count: max(1, locRows * locCols))
        for lc in 0..<locCols {
            let j = global(lc, grid.myColumn, grid.columns)
            for lr in 0..<locRows {
                let i = global(lr, grid.myRow, grid.rows)
                a[lc * locRows + lr] = i < p ? (j >= i ? r[j * n + i] : 0) : (i - p == j ? sl * scale[j] : 0)
            }
        }
        var b = [Double](repeating: 0, count: max(1, locRows * locB))
        if locB > 0 {
            for lr in 0..<locRows {
                let i = global(lr, grid.myRow, grid.rows)
                b[lr] = i < p ? -r[p * n + i] : 0
            }
        }
        var lwork: Int32 = -1
        var query = 0.0
        pdgels_("N", &mm, &pp, &one, &a, &one, &one, &descA, &b, &one, &one, &descB, &query, &lwork, &info)
        try LinearAlgebraError.check("pdgels", info: info)
        lwork = Int32(max(1, Int(query)))
        var work = [Double](repeating: 0, count: Int(lwork))
        pdgels_("N", &mm, &pp, &one, &a, &one, &one, &descA, &b, &one, &one, &descB, &work, &lwork, &info)
        try LinearAlgebraError.check("pdgels", info: info)
        // Rows 0..<p of b hold the solution; each entry on one rank of process column 0.
        var x = [Double](repeating: 0, count: p)
        if locB > 0 {
            for lr in 0..<locRows {
                let i = global(lr, grid.myRow, grid.rows)
                if i < p { x[i] = b[lr] }
            }
        }
        communicator.allReduceSum(&x)   // one non-zero term per entry: exact
        return x
    }
}
