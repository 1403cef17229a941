/// Generates the moment basis (the `alpha_*` block of an `.mtp` file) of a
/// level-L Moment Tensor Potential.
///
/// The rule. A scalar basis function is a complete contraction of at most
/// four moment tensors M_{mu,nu} (mu <= 5, nu <= 10). Such a contraction is
/// a loopless multigraph: one vertex per tensor, labelled (mu, nu), whose
/// degree is nu; an edge of multiplicity e between two vertices contracts e
/// indices of the one with e indices of the other. Two contractions are the
/// same function exactly when their graphs are isomorphic (by a permutation
/// of equally labelled vertices), so the basis holds one function per
/// isomorphism class of such graphs whose level
/// sum_v (2 + 4 mu_v + nu_v) is at most L. A disconnected graph is the
/// product of its components (a vertex with nu = 0 is a component of its
/// own), so products of lower-level scalars are included. This count gives,
/// for L = 2, 4, ..., 28: 1, 2, 5, 9, 16, 29, 52, 92, 163, 288, 500, 864,
/// 1464, 2445 functions, the sizes of MLIP's shipped templates.
///
/// Evaluation. Every graph is computed exactly (not a symmetrised
/// combination of graphs): an intermediate moment is the contraction of a
/// set S of the graph's tensors and keeps one symmetric index group per
/// tensor in S that still has edges leaving S; its slots are the products of
/// the symmetric components ({a, b, c}, a + b + c = group size) of its
/// groups. Two intermediates X, Y are contracted by pairing, for every group
/// i of X and group j of Y, t_ij indices (the edges between them); the
/// factor of a product of stored components is the product over (i, j) of
/// the multinomial count of the contracted index tuples. The contraction
/// tree of each graph is the cheapest of its possible splits, counting
/// intermediates that other functions already computed as free, so that
/// intermediates are shared.
public enum BasisGenerator {
    /// At most this many tensors are contracted into one basis function.
    public static let maxTensors = 4
    /// Largest mu of a moment tensor (so K <= maxMu + 1).
    public static let maxMu = 5
    /// Largest nu (tensor rank) of a moment tensor.
    public static let maxNu = 10
    /// Levels `basis(level:)` accepts.
    public static let levels = 2...28

    public enum GenerationError: Error, CustomStringConvertible {
        case levelOutOfRange(Int)
        public var description: String {
            switch self {
            case .levelOutOfRange(let l): return "MTP level \(l) is outside \(BasisGenerator.levels)"
            }
        }
    }

    /// K = radial_funcs_count for a level, as in MLIP's templates: one radial
    /// function per mu with 2 + 4 mu <= L, at most maxMu + 1.
    public static func radialFuncsCount(level: Int) -> Int {
        max(0, min((level - 2) / 4, maxMu)) + 1
    }

    /// The moment basis of a level-L MTP (L = 2...28), one species-independent
    /// tensor part. Odd levels give the basis of level L-1 (a contraction's
    /// level is always even).
    public static func basis(level: Int) throws -> MomentBasis {
        guard levels.contains(level) else { throw GenerationError.levelOutOfRange(level) }
        var builder = Builder(level: level)
        return builder.run()
    }

    /// The graphs (basis functions) of a level, in basis order: per function
    /// the tensor labels (mu, nu) of its vertices and the edge multiplicities
    /// e[v][w]. Exposed for tests and diagnostics.
    static func graphs(level: Int) -> [(labels: [(mu: Int, nu: Int)], edges: [[Int]])] {
        let b = Builder(level: level)
        return b.enumerateGraphs().map { g in
            (g.vertices.map { (b.tensors[$0].mu, b.tensors[$0].nu) }, g.edges)
        }
    }
}

// MARK: - Symmetric components

/// The distinct components {a, b, c} of a symmetric tensor of rank r,
/// ordered a descending, then b descending: xx, xy, xz, yy, yz, zz.
private enum Components {
    static let maxRank = BasisGenerator.maxNu
    /// lists[r] = components of rank r.
    static let lists: [[(Int, Int, Int)]] = (0...maxRank).map { r in
        var out: [(Int, Int, Int)] = []
        for a in stride(from: r, through: 0, by: -1) {
            for b in stride(from: r - a, through: 0, by: -1) { out.append((a, b, r - a - b)) }
        }
        return out
    }
    /// Position of {a, b, c} within lists[a + b + c].
    static func index(_ a: Int, _ b: Int, _ c: Int) -> Int {
        // Components with a larger a come first: for a' = a+1...r there are
        // r - a' + 1 of them, (r - a)(r - a + 1)/2 in all; then b descends.
        let m = b + c
        return m * (m + 1) / 2 + c
    }
    static func count(_ r: Int) -> Int { (r + 1) * (r + 2) / 2 }
    static let factorial: [Int] = {
        var f = [1]
        for n in 1...maxRank { f.append(f[n - 1] * n) }
        return f
    }()
    /// Number of index tuples with a x's, b y's and c z's.
    static func multinomial(_ a: Int, _ b: Int, _ c: Int) -> Int {
        factorial[a + b + c] / (factorial[a] * factorial[b] * factorial[c])
    }
}

// MARK: - Builder

private struct Builder {
    struct Tensor { var mu: Int; var nu: Int; var level: Int { 2 + 4 * mu + nu } }
    struct Graph {
        var vertices: [Int]          // tensor indices, non-decreasing
        var edges: [[Int]]           // symmetric, zero diagonal
        var level: Int
        var canonical: [Int]         // minimal flattened edge matrix
    }
    /// A moment node: a basic tensor or a contraction of two nodes.
    struct Node {
        var groups: [Int]            // sizes (> 0) of its symmetric index groups
        var tensor: Int = -1         // basic tensor index, or -1
        var x: Int = -1, y: Int = -1 // operand nodes
        var t: [Int] = []            // x.groups.count * y.groups.count pairings
        var base: Int = -1           // first slot
        var slotCount: Int { groups.reduce(1) { $0 * Components.count($1) } }
    }
    /// A contraction tree over a subset of a graph's vertices.
    indirect enum Plan { case leaf(Int); case join(Plan, Plan) }
    /// A node as a plan would have it (it may not exist yet): its key, the
    /// vertex and size of each of its groups, and the work of computing it.
    struct Shape { var key: Int; var groupVertices: [Int]; var groupSizes: [Int]; var work = 0 }

    let level: Int
    let tensors: [Tensor]
    var nodes: [Node] = []
    var keyIds: [KeyParts: Int] = [:]
    var nodeByKey: [Int: Int] = [:]
    var basicNodeOfTensor: [Int: Int] = [:]

    init(level: Int) {
        self.level = level
        var ts: [Tensor] = []
        for mu in 0...BasisGenerator.maxMu {
            for nu in 0...BasisGenerator.maxNu where 2 + 4 * mu + nu <= level { ts.append(Tensor(mu: mu, nu: nu)) }
        }
        tensors = ts
    }

    // MARK: Graph enumeration

    func enumerateGraphs() -> [Graph] {
        var graphs: [Graph] = []
        var current: [Int] = []
        func extend(from start: Int, levelSoFar: Int) {
            if !current.isEmpty { graphs.append(contentsOf: graphsOf(current)) }
            if current.count == BasisGenerator.maxTensors { return }
            for t in start..<tensors.count where levelSoFar + tensors[t].level <= level {
                current.append(t)
                extend(from: t, levelSoFar: levelSoFar + tensors[t].level)
                current.removeLast()
            }
        }
        extend(from: 0, levelSoFar: 0)
        graphs.sort { g, h in
            if g.level != h.level { return g.level < h.level }
            if g.vertices.count != h.vertices.count { return g.vertices.count < h.vertices.count }
            if g.vertices != h.vertices { return g.vertices.lexicographicallyPrecedes(h.vertices) }
            return g.canonical.lexicographicallyPrecedes(h.canonical)
        }
        return graphs
    }

    /// The non-isomorphic loopless multigraphs with vertex degrees nu.
    func graphsOf(_ vertices: [Int]) -> [Graph] {
        let n = vertices.count
        let degrees = vertices.map { tensors[$0].nu }
        let lev = vertices.reduce(0) { $0 + tensors[$1].level }
        var pairs: [(Int, Int)] = []
        for i in 0..<n { for j in (i + 1)..<n { pairs.append((i, j)) } }
        let perms = Builder.permutationsOf[n].filter { p in (0..<n).allSatisfy { vertices[p[$0]] == vertices[$0] } }
        var seen = Set<[Int]>()
        var out: [Graph] = []
        var remaining = degrees
        var e = [[Int]](repeating: [Int](repeating: 0, count: n), count: n)
        func rec(_ p: Int) {
            if p == pairs.count {
                guard remaining.allSatisfy({ $0 == 0 }) else { return }
                var best: [Int]? = nil
                for perm in perms {
                    var flat: [Int] = []
                    flat.reserveCapacity(n * n)
                    for i in 0..<n { for j in 0..<n { flat.append(e[perm[i]][perm[j]]) } }
                    if best == nil || flat.lexicographicallyPrecedes(best!) { best = flat }
                }
                if seen.insert(best!).inserted {
                    var canon = e
                    for i in 0..<n { for j in 0..<n { canon[i][j] = best![i * n + j] } }
                    out.append(Graph(vertices: vertices, edges: canon, level: lev, canonical: best!))
                }
                return
            }
            let (i, j) = pairs[p]
            // Vertex i has no pairs left after its last one: it must be saturated.
            let lastOfI = !pairs[(p + 1)...].contains { $0.0 == i || $0.1 == i }
            let lo = lastOfI ? remaining[i] : 0
            guard lo <= min(remaining[i], remaining[j]) else { return }
            for m in lo...min(remaining[i], remaining[j]) {
                remaining[i] -= m; remaining[j] -= m
                e[i][j] = m; e[j][i] = m
                rec(p + 1)
                remaining[i] += m; remaining[j] += m
            }
            e[i][j] = 0; e[j][i] = 0
        }
        if n == 1 {
            return degrees[0] == 0 ? [Graph(vertices: vertices, edges: [[0]], level: lev, canonical: [0])] : []
        }
        rec(0)
        return out
    }

    static let permutationsOf: [[[Int]]] = (0...BasisGenerator.maxTensors).map { permutations($0) }
    static func permutations(_ n: Int) -> [[Int]] {
        if n == 0 { return [[]] }
        var out: [[Int]] = []
        for p in permutations(n - 1) {
            for pos in 0...p.count { var q = p; q.insert(n - 1, at: pos); out.append(q) }
        }
        return out.sorted { $0.lexicographicallyPrecedes($1) }
    }

    // MARK: Plans

    /// Every contraction tree of the vertex set `s` (a bit mask): the vertex
    /// set is split in two (each split once), each part planned in turn.
    static func plans(_ s: Int) -> [Plan] {
        let members = (0..<4).filter { s & (1 << $0) != 0 }
        if members.count == 1 { return [.leaf(members[0])] }
        var out: [Plan] = []
        let low = s & -s
        var splits: [(Int, Int)] = []
        var sub = (s - 1) & s
        while sub > 0 {
            if sub & low != 0 { splits.append((sub, s ^ sub)) }
            sub = (sub - 1) & s
        }
        splits.sort { ($0.0.nonzeroBitCount, $0.0) > ($1.0.nonzeroBitCount, $1.0) }
        for (a, b) in splits {
            for p in plans(a) { for q in plans(b) { out.append(.join(p, q)) } }
        }
        return out
    }
    /// plansOf[n]: the contraction trees of n vertices.
    static let plansOf: [[Plan]] = (0...BasisGenerator.maxTensors).map { n in n == 0 ? [] : plans((1 << n) - 1) }

    /// The identity of a (possibly hypothetical) node: a basic tensor
    /// (a = -1, b = tensor) or the contraction of nodes a and b with pairings t.
    struct KeyParts: Hashable { var a: Int; var b: Int; var t: [Int] }

    mutating func intern(_ k: KeyParts) -> Int {
        if let id = keyIds[k] { return id }
        let id = keyIds.count
        keyIds[k] = id
        return id
    }

    mutating func leafShape(_ v: Int, _ g: Graph) -> Shape {
        let nu = tensors[g.vertices[v]].nu
        return Shape(key: intern(KeyParts(a: -1, b: g.vertices[v], t: [])),
                     groupVertices: nu > 0 ? [v] : [], groupSizes: nu > 0 ? [nu] : [])
    }

    /// The node contracting a and b along the edges of g between their
    /// groups; `swapped` when b comes first (the lower key is the left operand,
    /// so that a node is found whichever way round it is asked for).
    mutating func joinShape(_ a0: Shape, _ b0: Shape, _ g: Graph) -> (shape: Shape, swapped: Bool) {
        let swapped = b0.key < a0.key
        let a = swapped ? b0 : a0, b = swapped ? a0 : b0
        var t: [Int] = []
        var restA = a.groupSizes, restB = b.groupSizes
        for (i, v) in a.groupVertices.enumerated() {
            for (j, w) in b.groupVertices.enumerated() {
                let e = g.edges[v][w]
                t.append(e); restA[i] -= e; restB[j] -= e
            }
        }
        var gv: [Int] = [], gs: [Int] = []
        for (i, v) in a.groupVertices.enumerated() where restA[i] > 0 { gv.append(v); gs.append(restA[i]) }
        for (j, w) in b.groupVertices.enumerated() where restB[j] > 0 { gv.append(w); gs.append(restB[j]) }
        var work = 1
        for e in t { work *= Components.count(e) }
        for n in gs { work *= Components.count(n) }
        let key = intern(KeyParts(a: a.key, b: b.key, t: t))
        return (Shape(key: key, groupVertices: gv, groupSizes: gs, work: work), swapped)
    }

    /// The distinct subtrees of all contraction trees of n vertices, children
    /// before parents, so that a graph computes each subtree's shape once.
    struct PlanTable {
        var leaf: [Int] = []              // vertex of a leaf, or -1
        var left: [Int] = [], right: [Int] = []
        var roots: [Int] = []             // one per plan of plansOf[n]
        var members: [[Int]] = []         // per root, its subtrees
    }
    static let planTables: [PlanTable] = plansOf.map { plans in
        var table = PlanTable()
        var index: [String: Int] = [:]
        func add(_ plan: Plan, _ members: inout [Int]) -> (Int, String) {
            let id: Int, name: String
            switch plan {
            case .leaf(let v):
                name = "\(v)"
                if let i = index[name] { id = i } else {
                    id = table.leaf.count
                    table.leaf.append(v); table.left.append(-1); table.right.append(-1)
                }
            case .join(let p, let q):
                let (l, ln) = add(p, &members), (r, rn) = add(q, &members)
                name = "(\(ln),\(rn))"
                if let i = index[name] { id = i } else {
                    id = table.leaf.count
                    table.leaf.append(-1); table.left.append(l); table.right.append(r)
                }
            }
            index[name] = id
            members.append(id)
            return (id, name)
        }
        for plan in plans {
            var members: [Int] = []
            table.roots.append(add(plan, &members).0)
            table.members.append(members)
        }
        return table
    }

    /// Builds (or finds) the nodes of the cheapest plan of graph g and
    /// returns the node of its scalar. The cost of a plan is the work of the
    /// nodes it needs that do not exist yet.
    mutating func realize(_ g: Graph) -> Int {
        let table = Builder.planTables[g.vertices.count]
        var shapes: [Shape] = []
        var swapped: [Bool] = []
        shapes.reserveCapacity(table.leaf.count)
        for n in 0..<table.leaf.count {
            if table.leaf[n] >= 0 {
                shapes.append(leafShape(table.leaf[n], g)); swapped.append(false)
            } else {
                let (s, sw) = joinShape(shapes[table.left[n]], shapes[table.right[n]], g)
                shapes.append(s); swapped.append(sw)
            }
        }
        var best = -1, bestCost = Int.max
        var seen: [Int] = []
        for (r, members) in table.members.enumerated() {
            seen.removeAll(keepingCapacity: true)
            var c = 0
            for m in members {
                let key = shapes[m].key
                if nodeByKey[key] == nil && !seen.contains(key) { seen.append(key); c += shapes[m].work + 1 }
            }
            if c < bestCost { bestCost = c; best = table.roots[r] }
        }
        return build(best, table, shapes, swapped, g)
    }

    mutating func build(_ n: Int, _ table: PlanTable, _ shapes: [Shape], _ swapped: [Bool], _ g: Graph) -> Int {
        let s = shapes[n]
        if let id = nodeByKey[s.key] { return id }
        if table.leaf[n] >= 0 {
            let tensor = g.vertices[table.leaf[n]], nu = tensors[tensor].nu
            nodes.append(Node(groups: nu > 0 ? [nu] : [], tensor: tensor))
            basicNodeOfTensor[tensor] = nodes.count - 1
        } else {
            let a = build(table.left[n], table, shapes, swapped, g)
            let b = build(table.right[n], table, shapes, swapped, g)
            let (x, y) = swapped[n] ? (b, a) : (a, b)
            let (sx, sy) = swapped[n] ? (shapes[table.right[n]], shapes[table.left[n]])
                                      : (shapes[table.left[n]], shapes[table.right[n]])
            var t: [Int] = []
            for v in sx.groupVertices { for w in sy.groupVertices { t.append(g.edges[v][w]) } }
            nodes.append(Node(groups: s.groupSizes, x: x, y: y, t: t))
        }
        nodeByKey[s.key] = nodes.count - 1
        return nodes.count - 1
    }

    // MARK: Slots and contractions

    mutating func run() -> MomentBasis {
        let graphs = enumerateGraphs()
        let scalarNodes = graphs.map { realize($0) }

        // Basic moments first, in tensor order (mu, then nu).
        var basic: [MomentBasis.Basic] = []
        for tensor in basicNodeOfTensor.keys.sorted() {
            let id = basicNodeOfTensor[tensor]!
            nodes[id].base = basic.count
            for (a, b, c) in Components.lists[tensors[tensor].nu] {
                basic.append(.init(mu: tensors[tensor].mu, a: a, b: b, c: c))
            }
        }
        var next = basic.count
        var contractions: [MomentBasis.Contraction] = []
        for id in nodes.indices where nodes[id].tensor < 0 {
            nodes[id].base = next
            next += nodes[id].slotCount
            emitContractions(of: id, into: &contractions)
        }
        return MomentBasis(radialFuncsCount: BasisGenerator.radialFuncsCount(level: level),
                           momentsCount: next, basic: basic, contractions: contractions,
                           scalarSlots: scalarNodes.map { nodes[$0].base })
    }

    /// The contractions computing every slot of node `id`. A slot of a node
    /// holds one component of each of its groups (mixed radix, last group
    /// fastest). For an output component, every way of choosing the
    /// contracted components p_ij (|p_ij| = t_ij) gives one product
    /// X[rest_i + sum_j p_ij] * Y[rest_j + sum_i p_ij], counted
    /// prod multinomial(p_ij) times; equal products are merged.
    func emitContractions(of id: Int, into out: inout [MomentBasis.Contraction]) {
        let node = nodes[id]
        let x = nodes[node.x], y = nodes[node.y]
        let p = x.groups.count, q = y.groups.count
        var restX = x.groups, restY = y.groups
        for i in 0..<p { for j in 0..<q { restX[i] -= node.t[i * q + j]; restY[j] -= node.t[i * q + j] } }
        // Output group n is X's group outGroup[n] (< p) or Y's (>= p), as in joinShape.
        let outGroup = (0..<p).filter { restX[$0] > 0 } + (0..<q).filter { restY[$0] > 0 }.map { $0 + p }
        let pairings = (0..<(p * q)).filter { node.t[$0] > 0 }
        let pairingCounts = pairings.map { Components.count(node.t[$0]) }
        let radixX = x.groups.map(Components.count), radixY = y.groups.map(Components.count)
        let same = node.x == node.y

        // comp[3*g ..< 3*g+3] = component {a, b, c} of group g of X (then Y).
        var comp = [Int](repeating: 0, count: 3 * (p + q))
        var choice = [Int](repeating: 0, count: pairings.count)
        var order: [Int] = []                 // merged products, first-seen order
        var mults: [Int: Int] = [:]           // key sx * momentsBound + sy -> mult
        let bound = Int(UInt32.max)
        for k in 0..<node.slotCount {
            order.removeAll(keepingCapacity: true)
            mults.removeAll(keepingCapacity: true)
            for n in 0..<choice.count { choice[n] = 0 }
            while true {
                for n in 0..<comp.count { comp[n] = 0 }
                var r = k
                for n in stride(from: outGroup.count - 1, through: 0, by: -1) {
                    let size = node.groups[n], cnt = Components.count(size)
                    let c = Components.lists[size][r % cnt]
                    r /= cnt
                    let g = outGroup[n]
                    comp[3 * g] = c.0; comp[3 * g + 1] = c.1; comp[3 * g + 2] = c.2
                }
                var mult = 1
                for (n, ij) in pairings.enumerated() {
                    let c = Components.lists[node.t[ij]][choice[n]]
                    let gi = ij / q, gj = p + ij % q
                    comp[3 * gi] += c.0; comp[3 * gi + 1] += c.1; comp[3 * gi + 2] += c.2
                    comp[3 * gj] += c.0; comp[3 * gj + 1] += c.1; comp[3 * gj + 2] += c.2
                    mult *= Components.multinomial(c.0, c.1, c.2)
                }
                var sx = 0, sy = 0
                for i in 0..<p { sx = sx * radixX[i] + Components.index(comp[3 * i], comp[3 * i + 1], comp[3 * i + 2]) }
                for j in 0..<q {
                    let g = p + j
                    sy = sy * radixY[j] + Components.index(comp[3 * g], comp[3 * g + 1], comp[3 * g + 2])
                }
                sx += x.base; sy += y.base
                if same && sx > sy { swap(&sx, &sy) }
                let key = sx * bound + sy
                if let m = mults[key] { mults[key] = m + mult } else { mults[key] = mult; order.append(key) }
                // Next choice of contracted components (mixed radix).
                var n = pairings.count - 1
                while n >= 0 {
                    choice[n] += 1
                    if choice[n] < pairingCounts[n] { break }
                    choice[n] = 0
                    n -= 1
                }
                if n < 0 { break }
            }
            for key in order {
                out.append(.init(i: key / bound, j: key % bound, mult: mults[key]!, k: node.base + k))
            }
        }
    }
}
