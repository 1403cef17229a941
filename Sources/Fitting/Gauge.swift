import Foundation
import MTP

/// The MTP has an exact symmetry: scaling radial function mu by alpha scales
/// every basis function by alpha^(number of its tensors that use mu), which
/// the moment coefficients can undo. Left free, a fit drifts along this
/// symmetry towards badly scaled radial functions and an ill-conditioned
/// linear problem (MLIP adds a small penalty against it). `normalised`
/// moves a potential to the point of its orbit where every radial function
/// has unit coefficient norm, without changing any energy.
struct Gauge {
    /// degree[a][mu]: how many tensors with radial function mu the scalar
    /// basis function a contracts.
    let degree: [[Int]]

    init(_ basis: MomentBasis) {
        let k = basis.radialFuncsCount
        var deg = [[Int]](repeating: [Int](repeating: 0, count: k), count: basis.momentsCount)
        for (b, m) in basis.basic.enumerated() { deg[b][m.mu] = 1 }
        for t in basis.contractions {
            // Every contraction writing into slot k has the same degrees;
            // take them from the first one.
            if deg[t.k].allSatisfy({ $0 == 0 }) {
                for mu in 0..<k { deg[t.k][mu] = deg[t.i][mu] + deg[t.j][mu] }
            }
        }
        degree = basis.scalarSlots.map { deg[$0] }
    }

    func normalised(_ pot: Potential) -> Potential {
        guard var c = pot.radialCoeffs, var xi = pot.momentCoeffs else { return pot }
        let s = pot.speciesCount, k = pot.radialFuncsCount, r = pot.radialBasisSize
        var alpha = [Double](repeating: 1, count: k)
        for mu in 0..<k {
            var sq = 0.0
            for pair in 0..<(s * s) { for kk in 0..<r { let x = c[(pair * k + mu) * r + kk]; sq += x * x } }
            let norm = sq.squareRoot()
            guard norm > 0, norm.isFinite else { continue }
            alpha[mu] = 1 / norm
            for pair in 0..<(s * s) { for kk in 0..<r { c[(pair * k + mu) * r + kk] *= alpha[mu] } }
        }
        for a in xi.indices {
            var f = 1.0
            for mu in 0..<k where degree[a][mu] > 0 { f *= pow(alpha[mu], Double(-degree[a][mu])) }
            xi[a] *= f
        }
        var out = pot
        out.radialCoeffs = c
        out.momentCoeffs = xi
        return out
    }
}
