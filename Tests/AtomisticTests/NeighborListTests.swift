import XCTest
@testable import Atomistic

final class NeighborListTests: XCTestCase {
    /// Every image within the cutoff by brute force over a generous block of
    /// lattice translations: (neighbour index, distance) per atom, sorted.
    func bruteForce(_ c: Configuration, cutoff: Double) -> [[(Int, Double)]] {
        let det = abs(determinant(c.cell))
        var range = [0, 0, 0]
        for a in 0..<3 where c.pbc[a] {
            // A slab's cell has no third row: its rows are short enough here
            // that four translations each way cover the cutoff.
            guard det > 1e-9 else { range[a] = 4; continue }
            let plane = det / norm(cross(c.cell[(a + 1) % 3], c.cell[(a + 2) % 3]))
            range[a] = Int((cutoff / plane).rounded(.up)) + 1
        }
        var out: [[(Int, Double)]] = []
        for i in 0..<c.atomCount {
            var list: [(Int, Double)] = []
            for j in 0..<c.atomCount {
                for n0 in -range[0]...range[0] { for n1 in -range[1]...range[1] { for n2 in -range[2]...range[2] {
                    if i == j && n0 == 0 && n1 == 0 && n2 == 0 { continue }
                    let shift = Double(n0) * c.cell[0] + Double(n1) * c.cell[1] + Double(n2) * c.cell[2]
                    let d = norm(c.positions[j] + shift - c.positions[i])
                    if d < cutoff { list.append((j, d)) }
                }}}
            }
            out.append(list.sorted { ($0.0, $0.1) < ($1.0, $1.1) })
        }
        return out
    }

    /// Checks the automatic choice and each search method.
    func assertMatchesBruteForce(_ c: Configuration, cutoff: Double, file: StaticString = #filePath, line: UInt = #line) throws {
        let ref = bruteForce(c, cutoff: cutoff)
        for method in [NeighborList.Method.automatic, .imageLoop, .binned] {
            try assertMatches(ref, c, cutoff: cutoff, method: method, file: file, line: line)
        }
    }

    func assertMatches(_ ref: [[(Int, Double)]], _ c: Configuration, cutoff: Double, method: NeighborList.Method,
                       file: StaticString, line: UInt) throws {
        let nl = try NeighborList(c, cutoff: cutoff, method: method)
        for i in 0..<c.atomCount {
            var got: [(Int, Double)] = []
            for p in nl.offsets[i]..<nl.offsets[i + 1] {
                got.append((Int(nl.neighbor[p]), nl.distance[p]))
                let v = Vec3(nl.dx[p], nl.dy[p], nl.dz[p])
                XCTAssertEqual(norm(v), nl.distance[p], accuracy: 1e-12, file: file, line: line)
            }
            got.sort { ($0.0, $0.1) < ($1.0, $1.1) }
            XCTAssertEqual(got.count, ref[i].count, "atom \(i) neighbour count (\(method))", file: file, line: line)
            for (g, r) in zip(got, ref[i]) {
                XCTAssertEqual(g.0, r.0, file: file, line: line)
                XCTAssertEqual(g.1, r.1, accuracy: 1e-9, file: file, line: line)
            }
        }
    }

    func testOneAtomCellWithLongCutoff() throws {
        // hcp-like primitive volume, a single atom: hundreds of self images.
        let c = Configuration(cell: [Vec3(3.2, 0, 0), Vec3(-1.6, 2.77, 0), Vec3(0, 0, 2.6)], pbc: .all,
                              species: [0], positions: [Vec3(0.1, 0.2, 0.3)])
        try assertMatchesBruteForce(c, cutoff: 8.2)
        let nl = try NeighborList(c, cutoff: 8.2)
        XCTAssertGreaterThan(nl.pairCount, 50)
    }

    func testStronglyShearedCell() throws {
        let c = Configuration(cell: [Vec3(2.5, 0, 0), Vec3(7.9, 2.4, 0), Vec3(-5.1, 3.3, 2.2)], pbc: .all,
                              species: [0, 0, 0],
                              positions: [Vec3(0, 0, 0), Vec3(1.3, 0.4, 0.7), Vec3(-2.0, 1.1, 1.9)])
        try assertMatchesBruteForce(c, cutoff: 6.5)
    }

    func testMixedPeriodicityAndMolecule() throws {
        var slab = Configuration(cell: [Vec3(3, 0, 0), Vec3(0, 3.5, 0), Vec3(0, 0, 0)], pbc: Periodicity(true, true, false),
                                 species: [0, 0, 0], positions: [Vec3(0, 0, 0), Vec3(1.5, 1.7, 1.2), Vec3(0.2, 0.1, 2.6)])
        try assertMatchesBruteForce(slab, cutoff: 5.0)
        slab.pbc = .none
        slab.cell = [.zero, .zero, .zero]
        try assertMatchesBruteForce(slab, cutoff: 5.0)
    }

    func testLargeCellByBinningAgreesWithBruteForce() throws {
        // 4x4x4 fcc with random displacements: binning must not miss pairs.
        var gen = SystemRandomNumberGenerator()
        var pos: [Vec3] = []
        let a = 3.6
        let basis = [Vec3(0, 0, 0), Vec3(0.5, 0.5, 0), Vec3(0.5, 0, 0.5), Vec3(0, 0.5, 0.5)]
        for i in 0..<4 { for j in 0..<4 { for k in 0..<4 { for b in basis {
            let d = Vec3(Double.random(in: -0.2...0.2, using: &gen), Double.random(in: -0.2...0.2, using: &gen), Double.random(in: -0.2...0.2, using: &gen))
            pos.append((Vec3(Double(i), Double(j), Double(k)) + b) * a + d)
        }}}}
        let c = Configuration(cell: [Vec3(4 * a, 0, 0), Vec3(0.3, 4 * a, 0), Vec3(0, 0.5, 4 * a)], pbc: .all,
                              species: [Int](repeating: 0, count: pos.count), positions: pos)
        try assertMatchesBruteForce(c, cutoff: 5.0)
    }

    func testClusterOutgrowingThePairEstimate() throws {
        // A molecule gets a guess of 48 pairs per atom; 80 atoms all within
        // the cutoff of each other overflow it, so the buffers must grow.
        var gen = SystemRandomNumberGenerator()
        let pos = (0..<80).map { _ in
            Vec3(Double.random(in: 0...6, using: &gen), Double.random(in: 0...6, using: &gen), Double.random(in: 0...6, using: &gen))
        }
        let c = Configuration(species: [Int](repeating: 0, count: pos.count), positions: pos)
        try assertMatchesBruteForce(c, cutoff: 12.0)
        XCTAssertEqual(try NeighborList(c, cutoff: 12.0).pairCount, 80 * 79)
    }

    func testSmallCellsOfATrainingSetByBothSearches() throws {
        // 2x2x2 fcc (32 atoms, cell shorter than two cutoffs) with random
        // displacements and a triclinic strain: the regime of training sets.
        var gen = SystemRandomNumberGenerator()
        let a = 3.6
        let basis = [Vec3(0, 0, 0), Vec3(0.5, 0.5, 0), Vec3(0.5, 0, 0.5), Vec3(0, 0.5, 0.5)]
        let cell = [Vec3(2 * a, 0, 0), Vec3(0.4, 2 * a, 0), Vec3(-0.3, 0.6, 2 * a)]
        var pos: [Vec3] = []
        for i in 0..<2 { for j in 0..<2 { for k in 0..<2 { for b in basis {
            let s = (Vec3(Double(i), Double(j), Double(k)) + b) / 2
            let d = Vec3(Double.random(in: -0.3...0.3, using: &gen), Double.random(in: -0.3...0.3, using: &gen), Double.random(in: -0.3...0.3, using: &gen))
            pos.append(s.x * cell[0] + s.y * cell[1] + s.z * cell[2] + d)
        }}}}
        let c = Configuration(cell: cell, pbc: .all, species: [Int](repeating: 0, count: pos.count), positions: pos)
        try assertMatchesBruteForce(c, cutoff: 5.0)
    }

    func testRestrictedEqualsRebuilt() throws {
        let c = Configuration(cell: [Vec3(3.2, 0, 0), Vec3(-1.6, 2.77, 0), Vec3(0, 0, 5.2)], pbc: .all,
                              species: [0, 0], positions: [Vec3(0, 0, 0), Vec3(0, 1.85, 2.6)])
        let big = try NeighborList(c, cutoff: 8.2)
        for rc in [5.2, 6.5] {
            let small = big.restricted(to: rc)
            let direct = try NeighborList(c, cutoff: rc)
            XCTAssertEqual(small.pairCount, direct.pairCount)
            XCTAssertEqual(small.offsets, direct.offsets)
            XCTAssertEqual(small.distance.sorted(), direct.distance.sorted())
        }
    }

    func testOverlapAndSingularCellAreErrors() {
        let overlap = Configuration(cell: [Vec3(3, 0, 0), Vec3(0, 3, 0), Vec3(0, 0, 3)], pbc: .all,
                                    species: [0, 0], positions: [Vec3(0, 0, 0), Vec3(3, 0, 0)])
        for method in [NeighborList.Method.automatic, .imageLoop, .binned] {
            XCTAssertThrowsError(try NeighborList(overlap, cutoff: 4, method: method)) { e in
                XCTAssertEqual(e as? NeighborList.Failure, .overlappingAtoms(i: 0, j: 1, distance: 0))
            }
        }
        let singular = Configuration(cell: [Vec3(3, 0, 0), Vec3(6, 0, 0), Vec3(0, 0, 3)], pbc: .all,
                                     species: [0], positions: [Vec3(0, 0, 0)])
        XCTAssertThrowsError(try NeighborList(singular, cutoff: 4)) { e in
            guard case .singularCell = e as? NeighborList.Failure else { return XCTFail("\(e)") }
        }
        let nan = Configuration(species: [0], positions: [Vec3(.nan, 0, 0)])
        XCTAssertThrowsError(try NeighborList(nan, cutoff: 4))
    }
}
