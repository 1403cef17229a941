/// An upper triangle of a column-major n x n matrix stored packed, column
/// by column (LAPACK's 'U' packed layout): n (n + 1) / 2 values instead of
/// n^2, the form in which the factor tree holds and sends its factors
/// (`FactorTree`), which halves their memory and messages.
public enum PackedTriangle {
    /// Values of a packed n x n triangle.
    public static func count(_ n: Int) -> Int { n * (n + 1) / 2 }

    /// The upper triangle of `full` (column-major n x n; below the diagonal ignored).
    public static func pack(_ full: [Double], columns n: Int) -> [Double] {
        precondition(full.count == n * n)
        var out = [Double](repeating: 0, count: count(n))
        full.withUnsafeBufferPointer { f in
            out.withUnsafeMutableBufferPointer { o in
                var k = 0
                for c in 0..<n { for row in 0...c { o[k] = f[c * n + row]; k += 1 } }
            }
        }
        return out
    }

    /// The column-major n x n matrix of a packed triangle (zeros below the diagonal).
    public static func unpack(_ packed: [Double], columns n: Int) -> [Double] {
        precondition(packed.count == count(n))
        var out = [Double](repeating: 0, count: n * n)
        packed.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                var k = 0
                for c in 0..<n { for row in 0...c { o[c * n + row] = p[k]; k += 1 } }
            }
        }
        return out
    }
}
