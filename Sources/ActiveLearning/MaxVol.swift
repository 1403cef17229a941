import Atomistic
import COpenBLAS

/// Dense kernels on row-major matrices. A row-major m x n matrix is LAPACK's
/// column-major n x m transpose, which is how every call below reads it.
enum Dense {
    /// Singular values and right singular vectors of the row-major m x n
    /// matrix `a` (destroyed): returns sigma (min(m, n), descending) and V as
    /// row-major n x min(m, n), column k the k-th right singular vector.
    static func rightSingular(_ a: inout [Double], rows m: Int, cols n: Int) throws -> (sigma: [Double], v: [Double]) {
        // a = V S U'^T as the column-major n x m matrix a^T = V S U'^T: V are
        // the left singular vectors of what LAPACK sees.
        let k = min(m, n)
        var sigma = [Double](repeating: 0, count: k)
        var u = [Double](repeating: 0, count: n * k)   // column-major n x k
        var vt = [Double](repeating: 0, count: 1)
        var jobu = Int8(UInt8(ascii: "S")), jobvt = Int8(UInt8(ascii: "N"))
        var mm = Int32(n), nn = Int32(m), lda = Int32(n), ldu = Int32(n), ldvt: Int32 = 1
        var info: Int32 = 0
        var lwork: Int32 = -1
        var query = 0.0
        dgesvd_(&jobu, &jobvt, &mm, &nn, &a, &lda, &sigma, &u, &ldu, &vt, &ldvt, &query, &lwork, &info)
        try LinearAlgebraError.check("dgesvd", info: info)
        lwork = Int32(query) + 1
        var work = [Double](repeating: 0, count: Int(lwork))
        dgesvd_(&jobu, &jobvt, &mm, &nn, &a, &lda, &sigma, &u, &ldu, &vt, &ldvt, &work, &lwork, &info)
        try LinearAlgebraError.check("dgesvd", info: info, meaning: "the singular value decomposition did not converge (info \(info))")
        var v = [Double](repeating: 0, count: n * k)
        for p in 0..<n { for c in 0..<k { v[p * k + c] = u[p + c * n] } }
        return (sigma, v)
    }

    /// C = X Y for row-major X (m x k) and Y (k x n).
    static func multiply(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, m: Int, k: Int, n: Int,
                         into c: UnsafeMutablePointer<Double>) {
        guard m > 0, n > 0 else { return }
        if k == 0 { c.initialize(repeating: 0, count: m * n); return }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, x, Int32(k), y, Int32(n), 0, c, Int32(n))
    }
}

/// The LU factors of a square matrix A, to compute c = u A^-1 one row at a
/// time with plain loops. Grading and the selection both go through
/// `Projector`, so a training row graded later repeats, bit for bit, the
/// arithmetic that bounded it by 1 + tolerance during the selection: its
/// grade cannot exceed that bound by rounding, however small the smallest
/// kept singular value.
struct LUFactors {
    let n: Int
    /// Column-major LU of A^T (the row-major A buffer), unit lower L.
    let lu: [Double]
    let pivots: [Int]

    init(rowMajor a: [Double], n: Int) throws {
        self.n = n
        var f = a
        var ipiv = [Int32](repeating: 0, count: n)
        var nn = Int32(n), info: Int32 = 0
        dgetrf_(&nn, &nn, &f, &nn, &ipiv, &info)
        try LinearAlgebraError.check("dgetrf", info: info, meaning: "the active set's matrix is singular (LU pivot \(info) is zero)")
        lu = f
        pivots = ipiv.map { Int($0) - 1 }
    }

    /// x <- x A^-1, i.e. solves A^T y = x^T.
    func solveRight(_ x: UnsafeMutablePointer<Double>) {
        lu.withUnsafeBufferPointer { f in
            for i in 0..<n where pivots[i] != i { let t = x[i]; x[i] = x[pivots[i]]; x[pivots[i]] = t }
            for j in 0..<n {
                let xj = x[j]
                if xj == 0 { continue }
                let col = j * n
                for i in (j + 1)..<n { x[i] -= f[col + i] * xj }
            }
            var j = n - 1
            while j >= 0 {
                let col = j * n
                x[j] /= f[col + j]
                let xj = x[j]
                for i in 0..<j { x[i] -= f[col + i] * xj }
                j -= 1
            }
        }
    }
}

/// Raw parameter rows to MaxVol coordinates: u = b M (the projection onto
/// the kept singular directions) and c = u A^-1.
struct Projector {
    let parameters: Int
    let rank: Int
    let projection: [Double]   // P x r, row-major

    /// u = b M for one row, accumulated parameter by parameter.
    func project(_ b: UnsafePointer<Double>, into u: UnsafeMutablePointer<Double>) {
        let r = rank
        u.initialize(repeating: 0, count: r)
        projection.withUnsafeBufferPointer { m in
            for p in 0..<parameters {
                let bp = b[p]
                if bp == 0 { continue }
                let row = p * r
                for k in 0..<r { u[k] += bp * m[row + k] }
            }
        }
    }

    /// u for each of `count` rows (row-major count x P) into count x r.
    func project(_ b: [Double], count: Int) -> [Double] {
        var u = [Double](repeating: 0, count: count * rank)
        b.withUnsafeBufferPointer { bp in
            u.withUnsafeMutableBufferPointer { up in
                for q in 0..<count { project(bp.baseAddress! + q * parameters, into: up.baseAddress! + q * rank) }
            }
        }
        return u
    }
}

/// MaxVol (Goreinov, Oseledets, Savostyanov et al.): among the rows of a
/// tall m x r matrix U, the r rows whose square submatrix A has (locally)
/// the largest |det|. Then every row of U is a combination of the rows of A
/// with coefficients C = U A^-1 of modulus at most 1 + tolerance, which is
/// what makes max |C_j| a measure of extrapolation.
enum MaxVol {
    struct Result {
        /// Rows of U forming A; position j of the set holds row selected[j].
        var selected: [Int]
        var swaps: Int
        /// max |U A^-1| over all rows at the end (<= 1 + tolerance when converged).
        var maxCoefficient: Double
    }

    /// Rows chosen by LU with partial pivoting: a good start, since each
    /// pivot is the largest remaining entry of its column.
    ///
    /// A positive `info` (an exactly zero pivot) is not a failure here: the
    /// factorisation still runs to the end and its row order is still a
    /// start; whether the chosen rows are singular is decided right after,
    /// by `coefficients` (`LUFactors` throws then). Only an illegal
    /// argument throws.
    static func initialRows(_ u: [Double], rows m: Int, cols r: Int) throws -> [Int] {
        var cm = [Double](repeating: 0, count: m * r)
        for i in 0..<m { for j in 0..<r { cm[i + j * m] = u[i * r + j] } }
        var ipiv = [Int32](repeating: 0, count: r)
        var mm = Int32(m), rr = Int32(r), info: Int32 = 0
        dgetrf_(&mm, &rr, &cm, &mm, &ipiv, &info)
        if info < 0 { try LinearAlgebraError.check("dgetrf", info: info) }
        var perm = Array(0..<m)
        for j in 0..<r { perm.swapAt(j, Int(ipiv[j]) - 1) }
        return Array(perm[0..<r])
    }

    /// C = U A^-1 row by row through `LUFactors`, the arithmetic of grading.
    static func coefficients(_ u: [Double], rows m: Int, cols r: Int, selected: [Int]) throws -> [Double] {
        var a = [Double](repeating: 0, count: r * r)
        for (j, row) in selected.enumerated() { for c in 0..<r { a[j * r + c] = u[row * r + c] } }
        let f = try LUFactors(rowMajor: a, n: r)
        var c = u
        c.withUnsafeMutableBufferPointer { cp in
            for i in 0..<m { f.solveRight(cp.baseAddress! + i * r) }
        }
        return c
    }

    /// Runs MaxVol on the row-major m x r matrix `u` (m >= r, rank r).
    /// Deterministic: ties go to the first entry in row-major order.
    static func select(_ u: [Double], rows m: Int, cols r: Int, tolerance: Double, maxSwaps: Int) throws -> Result {
        precondition(m >= r && r > 0)
        var selected = try initialRows(u, rows: m, cols: r)
        var swaps = 0
        var col = [Double](repeating: 0, count: m), row = [Double](repeating: 0, count: r)
        // Rounds of cheap rank-one updates, each started from (and the whole
        // run ended by) coefficients recomputed exactly as grading computes
        // them: the run stops only when those are all within 1 + tolerance.
        while true {
            var c = try coefficients(u, rows: m, cols: r, selected: selected)
            var round = 0
            while round < max(r, 16) && swaps < maxSwaps {
                let (best, bi, bj) = largest(c, rows: m, cols: r, eligible: nil)
                if best <= 1 + tolerance { break }
                swap(&c, rows: m, cols: r, row: bi, position: bj, colBuffer: &col, rowBuffer: &row)
                selected[bj] = bi
                swaps += 1
                round += 1
            }
            if round == 0 || swaps >= maxSwaps {
                let final = largest(c, rows: m, cols: r, eligible: nil).value
                return Result(selected: selected, swaps: swaps, maxCoefficient: final)
            }
        }
    }

    /// The entry of largest modulus among eligible rows.
    static func largest(_ c: [Double], rows m: Int, cols r: Int, eligible: [Bool]?) -> (value: Double, row: Int, col: Int) {
        var best = -1.0, bi = -1, bj = -1
        c.withUnsafeBufferPointer { p in
            for i in 0..<m where eligible?[i] ?? true {
                let base = i * r
                for j in 0..<r {
                    let v = abs(p[base + j])
                    if v > best { best = v; bi = i; bj = j }
                }
            }
        }
        return (best, bi, bj)
    }

    /// Replaces the row at `position` of the set by row `i` of U, updating
    /// C = U A^-1 by the rank-one formula C -= C[:, j] (C[i, :] - e_j) / C[i, j].
    static func swap(_ c: inout [Double], rows m: Int, cols r: Int, row i: Int, position j: Int,
                     colBuffer col: inout [Double], rowBuffer row: inout [Double]) {
        let pivot = c[i * r + j]
        for q in 0..<m { col[q] = c[q * r + j] }
        for q in 0..<r { row[q] = c[i * r + q] }
        row[j] -= 1
        cblas_dger(CblasRowMajor, Int32(m), Int32(r), -1 / pivot, col, 1, row, 1, &c, Int32(r))
    }
}
