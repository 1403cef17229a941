import Foundation
import Atomistic
import Reference
import LatticeDynamics
import Plotting

/// Harmonic phonons of hcp and bcc by finite displacements: every atom of
/// the primitive cell is displaced by +-h along x, y, z in a supercell at
/// least `phononMinimumLength` wide in every direction, and the central
/// difference of the forces gives the force constants. Both calculators
/// use the reference's equilibrium cells, so their force-constant matrices
/// can be compared element by element; frequencies follow from the
/// dynamical matrix (minimum-image convention with equal weights for
/// equidistant images, acoustic sum rule imposed on the self terms).
public struct Phonons: Sendable {
    public struct Result: Sendable {
        public var lattice: LatticeKind
        public var supercellAtoms: Int
        /// Phi[(b*3+alpha)][(j*3+beta)] (eV/A^2), b a primitive atom, j a supercell atom; row-major.
        public var forceConstants: [Double]
        /// Cumulative path length (1/A, including 2 pi) and frequencies (THz, ascending) per q.
        public var pathDistance: [Double]
        public var pathFrequencies: [[Double]]
        public var labels: [(x: Double, label: String)]
        /// Density of states (states/THz per primitive cell) on `dosFrequencies`.
        public var dosFrequencies: [Double]
        public var dos: [Double]
    }
    public var results: [Result]
    public var failures: [String]

    public static let lattices: [LatticeKind] = [.hcp, .bcc]

    /// The primitive cell of `kind` built from the reference's equilibrium:
    /// hcp's conventional cell is primitive; bcc's primitive cell has one atom.
    static func primitive(_ kind: LatticeKind, reference: Equilibrium) -> Configuration {
        let conventional = reference.cell(kind)
        guard kind == .bcc else { return conventional }
        let h = 0.5 * norm(conventional.cell[0])
        return Configuration(cell: [Vec3(-h, h, h), Vec3(h, -h, h), Vec3(h, h, -h)], pbc: .all,
                             species: [conventional.species[0]], positions: [.zero])
    }

    /// High-symmetry points (Cartesian, 1/A with 2 pi) and their path.
    static func path(_ kind: LatticeKind, primitive: Configuration) -> [(String, Vec3)] {
        let b = reciprocal(primitive.cell)
        switch kind {
        case .bcc:
            let a = 2 * abs(primitive.cell[0].y)
            let u = 2 * Double.pi / a
            let g = Vec3.zero, h = Vec3(0, 0, u), n = Vec3(u / 2, u / 2, 0), p = Vec3(u / 2, u / 2, u / 2)
            return [("Gamma", g), ("H", h), ("N", n), ("Gamma", g), ("P", p)]
        default:
            // M: half the shortest in-plane reciprocal vector; K: the corner
            // of the hexagonal zone 30 degrees from M, 2/sqrt(3) further out.
            let m = 0.5 * b[0]
            let c = cos(Double.pi / 6), s = sin(Double.pi / 6)
            let k = (2 / 3.0.squareRoot()) * Vec3(c * m.x - s * m.y, s * m.x + c * m.y, 0)
            let a = 0.5 * b[2]
            return [("Gamma", .zero), ("M", m), ("K", k), ("Gamma", .zero), ("A", a)]
        }
    }

    public static func compute(with calculator: Calculator, reference: Equilibrium, mass: Double,
                               settings: ValidationSettings) -> Phonons {
        var results: [Result] = [], failures: [String] = []
        for kind in lattices {
            do {
                results.append(try computeOne(kind, calculator: calculator, reference: reference, mass: mass, settings: settings))
            } catch {
                failures.append("\(kind.rawValue): \(error)")
            }
        }
        return Phonons(results: results, failures: failures)
    }

    /// The primitive cell of `kind` and its supercell at least
    /// `phononMinimumLength` wide: supercell atom j = b + nb * image, its
    /// primitive atom j % nb.
    static func supercell(_ kind: LatticeKind, reference: Equilibrium, settings: ValidationSettings)
        -> (primitive: Configuration, supercell: Configuration) {
        let prim = primitive(kind, reference: reference)
        let nb = prim.atomCount
        let volume = prim.volume
        let reps = (0..<3).map { i -> Int in
            let width = volume / norm(cross(prim.cell[(i + 1) % 3], prim.cell[(i + 2) % 3]))
            return max(1, Int((settings.phononMinimumLength / width - 1e-9).rounded(.up)))
        }
        var positions: [Vec3] = [], species: [Int] = []
        for i0 in 0..<reps[0] { for i1 in 0..<reps[1] { for i2 in 0..<reps[2] {
            let t = Double(i0) * prim.cell[0] + Double(i1) * prim.cell[1] + Double(i2) * prim.cell[2]
            for b in 0..<nb { positions.append(prim.positions[b] + t); species.append(prim.species[b]) }
        }}}
        let superCell = (0..<3).map { Double(reps[$0]) * prim.cell[$0] }
        return (prim, Configuration(cell: superCell, pbc: .all, species: species, positions: positions))
    }

    /// `base` with atom `b` moved by `sign` times the displacement along axis `alpha`.
    static func displaced(_ base: Configuration, atom b: Int, axis alpha: Int, sign: Double, settings: ValidationSettings) -> Configuration {
        ForceConstants.displaced(base, atom: b, axis: alpha, by: sign * settings.phononDisplacement)
    }

    /// Every displaced supercell `compute` evaluates (forces only).
    public static func structures(reference: Equilibrium, settings: ValidationSettings) -> [SinglePointStructure] {
        var out: [SinglePointStructure] = []
        for kind in lattices {
            let (prim, base) = supercell(kind, reference: reference, settings: settings)
            for b in 0..<prim.atomCount {
                for alpha in 0..<3 {
                    for (sign, word) in [(1.0, "plus"), (-1.0, "minus")] {
                        let axis = ["x", "y", "z"][alpha]
                        out.append(SinglePointStructure(
                            name: "\(kind.rawValue)-atom\(b)-\(axis)-\(word)",
                            configuration: displaced(base, atom: b, axis: alpha, sign: sign, settings: settings), needs: [.forces],
                            parameters: ["lattice": kind.rawValue, "atom": "\(b)", "axis": axis,
                                         "displacement_A": String(sign * settings.phononDisplacement)]))
                    }
                }
            }
        }
        return out
    }

    static func computeOne(_ kind: LatticeKind, calculator: Calculator, reference: Equilibrium, mass: Double,
                           settings: ValidationSettings) throws -> Result {
        let (prim, base) = supercell(kind, reference: reference, settings: settings)
        let nb = prim.atomCount
        let positions = base.positions, superCell = base.cell
        let n = base.atomCount
        let phi: [Double]
        do {
            phi = try ForceConstants.centralDifferences(of: base, displacedAtoms: nb, step: settings.phononDisplacement,
                                                        calculator: calculator)
        } catch let error as ForceConstantsError {
            throw PropertyFailure(error.description)
        }

        // Acoustic sum rule on a copy: a rigid translation costs no energy.
        var asr = phi
        for b in 0..<nb {
            for alpha in 0..<3 {
                let row = (b * 3 + alpha) * 3 * n
                for beta in 0..<3 {
                    var s = 0.0
                    for j in 0..<n { s += phi[row + 3 * j + beta] }
                    asr[row + 3 * b + beta] -= s
                }
            }
        }

        // Minimum images of every (b, j) pair: Cartesian vectors and weights.
        var pairStart = [0], imageVectors: [Vec3] = [], imageWeights: [Double] = []
        for b in 0..<nb {
            for j in 0..<n {
                let d0 = positions[j] - positions[b]
                var candidates: [Vec3] = []
                var best = Double.infinity
                for t0 in -2...2 { for t1 in -2...2 { for t2 in -2...2 {
                    let d = d0 + Double(t0) * superCell[0] + Double(t1) * superCell[1] + Double(t2) * superCell[2]
                    let l = norm(d)
                    if l < best - 1e-5 { best = l; candidates = [d] } else if abs(l - best) <= 1e-5 { candidates.append(d) }
                }}}
                imageVectors += candidates
                imageWeights += [Double](repeating: 1 / Double(candidates.count), count: candidates.count)
                pairStart.append(imageVectors.count)
            }
        }

        let dim = 3 * nb
        var matrix = [Double](repeating: 0, count: 2 * dim * dim)
        var solver = HermitianEigensolver(dimension: dim)
        func frequencies(_ q: Vec3) throws -> [Double] {
            for i in matrix.indices { matrix[i] = 0 }
            for b in 0..<nb {
                for j in 0..<n {
                    let k = j % nb
                    let pair = b * n + j
                    var re = 0.0, im = 0.0
                    for p in pairStart[pair]..<pairStart[pair + 1] {
                        let phase = dot(q, imageVectors[p])
                        re += imageWeights[p] * cos(phase); im += imageWeights[p] * sin(phase)
                    }
                    for alpha in 0..<3 {
                        let row = (b * 3 + alpha) * 3 * n + 3 * j
                        for beta in 0..<3 {
                            let f = asr[row + beta] / mass
                            // Column-major: element (r, c) at r + c * dim.
                            let idx = 2 * ((b * 3 + alpha) + (k * 3 + beta) * dim)
                            matrix[idx] += f * re
                            matrix[idx + 1] += f * im
                        }
                    }
                }
            }
            return try solver.solve(&matrix, vectors: false).map { ($0 < 0 ? -1 : 1) * abs($0).squareRoot() * Units.terahertzPerRootEVPerSquareAngstromAmu }
        }

        // Band path.
        let points = path(kind, primitive: prim)
        var distance: [Double] = [], bands: [[Double]] = [], labels: [(Double, String)] = [(0, points[0].0)]
        var x = 0.0
        for s in 1..<points.count {
            let (q0, q1) = (points[s - 1].1, points[s].1)
            let m = settings.bandPointsPerSegment
            for i in (s == 1 ? 0 : 1)...m {
                let q = q0 + (Double(i) / Double(m)) * (q1 - q0)
                if i > 0 { x += norm(q1 - q0) / Double(m) }
                distance.append(x)
                bands.append(try frequencies(q))
            }
            labels.append((x, points[s].0))
        }

        // Density of states on a Gamma-centred mesh, Gaussian broadening.
        let b = reciprocal(prim.cell)
        let mesh = settings.dosMesh
        var all: [Double] = []
        for i0 in 0..<mesh { for i1 in 0..<mesh { for i2 in 0..<mesh {
            let q = (Double(i0) / Double(mesh)) * b[0] + (Double(i1) / Double(mesh)) * b[1] + (Double(i2) / Double(mesh)) * b[2]
            all += try frequencies(q)
        }}}
        let sigma = settings.dosSmearing
        let top = max((all.max() ?? 1) * 1.1, 1)
        let bottom = min(all.min() ?? 0, 0) - 3 * sigma
        let gridCount = 300
        let grid = (0..<gridCount).map { bottom + (top - bottom) * Double($0) / Double(gridCount - 1) }
        let norm0 = 1 / (sigma * (2 * Double.pi).squareRoot() * Double(mesh * mesh * mesh))
        let dos = grid.map { f in all.reduce(0.0) { $0 + exp(-0.5 * (($1 - f) / sigma) * (($1 - f) / sigma)) } * norm0 }

        return Result(lattice: kind, supercellAtoms: n, forceConstants: phi, pathDistance: distance, pathFrequencies: bands,
                      labels: labels, dosFrequencies: grid, dos: dos)
    }

    public var quantities: [Quantity] {
        var q: [Quantity] = []
        let note = failures.isEmpty ? nil : failures.joined(separator: "; ")
        for kind in Self.lattices {
            guard let r = results.first(where: { $0.lattice == kind }) else {
                q.append(Quantity("force constants \(kind.rawValue)", unit: "eV/A^2", kind: .curve, values: [], note: note))
                q.append(Quantity("phonon frequencies on path \(kind.rawValue)", unit: "THz", kind: .curve, values: [], note: note))
                q.append(.value("highest phonon frequency \(kind.rawValue)", "THz", .nan, note: note))
                q.append(.value("lowest phonon frequency \(kind.rawValue)", "THz", .nan, note: note))
                continue
            }
            let all = r.pathFrequencies.flatMap { $0 }
            q.append(.curve("force constants \(kind.rawValue)", "eV/A^2", r.forceConstants))
            q.append(.curve("phonon frequencies on path \(kind.rawValue)", "THz", all))
            q.append(.value("highest phonon frequency \(kind.rawValue)", "THz", all.max() ?? .nan))
            let lowest = all.min() ?? .nan
            q.append(.value("lowest phonon frequency \(kind.rawValue)", "THz", lowest,
                            note: lowest < -0.1 ? "imaginary modes (plotted as negative frequencies)" : nil))
        }
        return q
    }
}

extension Phonons: PropertyResult {}

/// Force constants and phonons on the reference's cells, with band and DOS plots.
public struct PhononsProperty: ValidationProperty {
    public var identifier: String { "phonons" }
    public var needsOwnEquilibrium: Bool { false }
    public var lattices: [LatticeKind] { Phonons.lattices }
    public var cost: Int { 50 }
    public var method: ReportMethod? { ReportMethod(cells: .reference, noun: "force constants") }
    public init() {}

    public func compute(_ input: PropertyInput) throws -> any PropertyResult {
        Phonons.compute(with: input.calculator, reference: input.reference, mass: input.mass, settings: input.settings)
    }
    public func singlePointStructures(on reference: Equilibrium, settings: ValidationSettings) -> [SinglePointStructure]? {
        Phonons.structures(reference: reference, settings: settings)
    }
    public func isHeadline(_ row: ValidationReport.Row) -> Bool { row.name.hasPrefix("force constants") }
    /// The lowest frequency is near zero (acoustic modes): relative errors of it mean nothing.
    public func isPlottedAsError(_ row: ValidationReport.Row) -> Bool { !row.name.contains("lowest phonon") }

    /// Bands along the reference's path and densities of states (each
    /// calculator's on the reference's frequency grid), per lattice the
    /// reference computed.
    public func plots(_ results: [(name: String, result: (any PropertyResult)?)], format: String) -> [ReportPlot] {
        let names = results.map(\.name)
        let phonons = results.map { $0.result as? Phonons }
        let colors = ["black", "red", "blue", "dark-green", "orange", "purple"]
        var out: [ReportPlot] = []
        for kind in Phonons.lattices {
            guard let ref = phonons[0]?.results.first(where: { $0.lattice == kind }) else { continue }
            let branches = ref.pathFrequencies.first?.count ?? 0
            var data = ReportPlot.header("path_1_per_A", results.indices.flatMap { c in (0..<branches).map { "THz_\(names[c])_branch\($0 + 1)" } })
            for (j, x) in ref.pathDistance.enumerated() {
                data += num(x)
                for r in phonons {
                    let f = r?.results.first(where: { $0.lattice == kind })?.pathFrequencies
                    for b in 0..<branches { data += " " + num(f.map { $0[j][b] } ?? .nan) }
                }
                data += "\n"
            }
            var plot = Gnuplot(title: "Phonons, \(kind.rawValue) (reference cell)", xLabel: "wave vector", yLabel: "frequency (THz)")
            plot.series = results.indices.flatMap { c in
                (0..<branches).map { b in
                    Gnuplot.Series(title: b == 0 ? names[c] : "", xColumn: 1, yColumn: 2 + c * branches + b,
                                   style: "lines lw \(c == 0 ? 2 : 1) lc rgb '\(colors[c % colors.count])'")
                }
            }
            plot.verticalLines = ref.labels.map { ($0.x, $0.label, "gray") }
            plot.xRange = 0...(ref.pathDistance.last ?? 1)
            out.append(ReportPlot(image: "phonons-\(kind.rawValue).\(format)", plot: plot, data: data))

            var dosData = ReportPlot.header("THz", names.map { "states_per_THz_" + $0 })
            for f in ref.dosFrequencies {
                dosData += num(f)
                for r in phonons {
                    let d = r?.results.first(where: { $0.lattice == kind })
                    // Each calculator's DOS on its own grid; interpolate onto the reference's.
                    dosData += " " + num(d.map { interpolate($0.dosFrequencies, $0.dos, at: f) } ?? .nan)
                }
                dosData += "\n"
            }
            var dos = Gnuplot(title: "Phonon density of states, \(kind.rawValue)", xLabel: "frequency (THz)", yLabel: "states/THz per primitive cell")
            dos.series = names.enumerated().map { Gnuplot.Series(title: $0.element, xColumn: 1, yColumn: $0.offset + 2,
                                                                  style: "lines lw \($0.offset == 0 ? 2 : 1) lc rgb '\(colors[$0.offset % colors.count])'") }
            out.append(ReportPlot(image: "dos-\(kind.rawValue).\(format)", plot: dos, data: dosData))
        }
        return out
    }
}

/// Linear interpolation of (x, y) at `t`; 0 outside the grid (a DOS).
func interpolate(_ x: [Double], _ y: [Double], at t: Double) -> Double {
    guard let first = x.first, let last = x.last, t >= first, t <= last, x.count > 1 else { return 0 }
    let step = (last - first) / Double(x.count - 1)
    let k = min(Int((t - first) / step), x.count - 2)
    let w = (t - x[k]) / step
    return (1 - w) * y[k] + w * y[k + 1]
}
