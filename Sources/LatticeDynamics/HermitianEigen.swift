import Atomistic
import COpenBLAS

/// Eigenvalues (and eigenvectors) of the Hermitian part of a complex square
/// matrix: what a dynamical matrix D(q) built from finite-difference force
/// constants needs, since the differences break its symmetry slightly
/// (O(step^2)) and LAPACK's `zheev` reads one triangle only, which would
/// make the answer depend on which.
///
/// The matrix is column-major with interleaved real and imaginary parts:
/// element (r, c) at 2 (r + c n) and 2 (r + c n) + 1. The solver keeps its
/// LAPACK workspace, so along a band path of hundreds of q points each solve
/// allocates only the eigenvalues it returns.
public struct HermitianEigensolver {
    public let dimension: Int
    private var work: [Double], rwork: [Double]

    public init(dimension n: Int) {
        precondition(n > 0, "dimension \(n)")
        dimension = n
        work = [Double](repeating: 0, count: 2 * 8 * n)
        rwork = [Double](repeating: 0, count: max(1, 3 * n - 2))
    }

    /// Replaces `matrix` by its Hermitian part (M + M^H) / 2 and returns its
    /// eigenvalues in ascending order; with `vectors`, `matrix` then holds
    /// the orthonormal eigenvectors as columns (column 0 the lowest's),
    /// otherwise its contents are undefined. Throws `LinearAlgebraError`
    /// when LAPACK fails.
    public mutating func solve(_ matrix: inout [Double], vectors: Bool) throws -> [Double] {
        let n = dimension
        precondition(matrix.count == 2 * n * n, "matrix of \(matrix.count) doubles for dimension \(n)")
        for r in 0..<n {
            for c in r..<n {
                let i1 = 2 * (r + c * n), i2 = 2 * (c + r * n)
                let re = 0.5 * (matrix[i1] + matrix[i2]), im = 0.5 * (matrix[i1 + 1] - matrix[i2 + 1])
                matrix[i1] = re; matrix[i1 + 1] = im
                matrix[i2] = re; matrix[i2 + 1] = -im
            }
        }
        var eigen = [Double](repeating: 0, count: n)
        var jobz = Int8(UInt8(ascii: vectors ? "V" : "N")), uplo = Int8(UInt8(ascii: "U"))
        var nn = Int32(n), lda = Int32(n), lwork = Int32(work.count / 2), info: Int32 = 0
        zheev_(&jobz, &uplo, &nn, &matrix, &lda, &eigen, &work, &lwork, &rwork, &info)
        try LinearAlgebraError.check("zheev", info: info)
        return eigen
    }
}
