/// The tensor part of an MTP: which moments are computed from neighbours
/// ("basic" moments), how they are contracted into further moments, and
/// which moments are the scalar basis functions B_a.
///
/// This is exactly the `alpha_*` block of an `.mtp` file. Moment slots are
/// numbered 0..<momentsCount; basic moments occupy the first slots.
public struct MomentBasis: Equatable, Sendable {
    /// A basic moment: sum_j f_mu(r_ij) (x/r)^a (y/r)^b (z/r)^c.
    public struct Basic: Equatable, Hashable, Sendable {
        public var mu: Int, a: Int, b: Int, c: Int
        public init(mu: Int, a: Int, b: Int, c: Int) { self.mu = mu; self.a = a; self.b = b; self.c = c }
        public var nu: Int { a + b + c }
    }
    /// m[k] += mult * m[i] * m[j]; k is computed after i and j.
    public struct Contraction: Equatable, Hashable, Sendable {
        public var i: Int, j: Int, mult: Int, k: Int
        public init(i: Int, j: Int, mult: Int, k: Int) { self.i = i; self.j = j; self.mult = mult; self.k = k }
    }

    /// Number of radial functions (K = radial_funcs_count).
    public var radialFuncsCount: Int
    /// Total number of moment slots (alpha_moments_count).
    public var momentsCount: Int
    public var basic: [Basic]
    public var contractions: [Contraction]
    /// Slots of the scalar basis functions (alpha_moment_mapping), one per
    /// moment coefficient xi_a.
    public var scalarSlots: [Int]

    public init(radialFuncsCount: Int, momentsCount: Int, basic: [Basic],
                contractions: [Contraction], scalarSlots: [Int]) {
        self.radialFuncsCount = radialFuncsCount
        self.momentsCount = momentsCount
        self.basic = basic
        self.contractions = contractions
        self.scalarSlots = scalarSlots
    }

    public var scalarCount: Int { scalarSlots.count }

    /// Checks the invariants every evaluator relies on: slots in range, each
    /// contraction's operands computed before its target, mu < K.
    /// Returns a description of the first violation, or nil.
    /// The largest tensor rank a + b + c accepted from a file.
    public static let maxPower = 32

    public func firstInconsistency() -> String? {
        if basic.count > momentsCount { return "alpha_index_basic_count \(basic.count) exceeds alpha_moments_count \(momentsCount)" }
        for (n, m) in basic.enumerated() {
            if m.mu < 0 || m.mu >= radialFuncsCount { return "basic moment \(n) has mu = \(m.mu), outside 0..<radial_funcs_count (\(radialFuncsCount))" }
            if m.a < 0 || m.b < 0 || m.c < 0 { return "basic moment \(n) has a negative power" }
            if m.a > MomentBasis.maxPower || m.b > MomentBasis.maxPower || m.c > MomentBasis.maxPower || m.a + m.b + m.c > MomentBasis.maxPower {
                return "basic moment \(n) has powers \(m.a), \(m.b), \(m.c): more than \(MomentBasis.maxPower) in all (level 28 needs 6)"
            }
        }
        var ready = [Bool](repeating: false, count: momentsCount)
        for n in 0..<basic.count { ready[n] = true }
        for (n, t) in contractions.enumerated() {
            for s in [t.i, t.j, t.k] where s < 0 || s >= momentsCount {
                return "contraction \(n) {\(t.i), \(t.j), \(t.mult), \(t.k)} refers to slot \(s), outside 0..<\(momentsCount)"
            }
            if !ready[t.i] || !ready[t.j] { return "contraction \(n) {\(t.i), \(t.j), \(t.mult), \(t.k)} uses a slot before it is computed" }
            if t.k < basic.count { return "contraction \(n) writes into basic moment slot \(t.k)" }
            ready[t.k] = true
        }
        for (n, s) in scalarSlots.enumerated() where s < 0 || s >= momentsCount || !ready[s] {
            return "alpha_moment_mapping entry \(n) = \(s) is not a computed moment slot"
        }
        return nil
    }
}
