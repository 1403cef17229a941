import Foundation
import Atomistic

/// Why an EAM evaluation refused a configuration.
public enum EAMError: Error, CustomStringConvertible, Equatable {
    case speciesOutOfRange(atom: Int, species: Int, known: Int)
    case overlappingAtoms(i: Int, j: Int, distance: Double, minimum: Double)
    case notFinite(String)

    public var description: String {
        switch self {
        case let .speciesOutOfRange(atom, species, known):
            return "atom \(atom + 1) has type \(species), but the EAM calculator maps only types 0...\(known - 1) to elements"
        case let .overlappingAtoms(i, j, d, minimum):
            return "atoms \(i + 1) and \(j + 1) are \(String(format: "%.4f", d)) A apart (including periodic images), closer than the \(String(format: "%.3f", minimum)) A the EAM tables are trusted at"
        case .notFinite(let what):
            return "non-finite \(what)"
        }
    }
}

/// The embedded-atom method from LAMMPS setfl tables (`eam/alloy`,
/// `eam/fs`): the reference that stands in for DFT so the whole pipeline can
/// run against a known ground truth.
///
/// E = sum_i F_a(rho_i) + 1/2 sum_i sum_j phi_ab(r_ij), with
/// rho_i = sum_j rho_(b at a)(r_ij), a and b the elements of atoms i and j.
/// Each ordered neighbour pair (i, j) carries the part of dE/dr_ij that atom
/// i owns, F'_a(rho_i) rho'_(b at a) + phi'/2, so a full neighbour list is
/// walked twice and every table is read once per ordered pair.
public final class EAMCalculator: Calculator {
    public let name: String
    public let tables: EAMTables
    /// Element (index into `tables.elements`) of each species index.
    public let elementOfSpecies: [Int]
    /// Atoms closer than this are refused: below it the tables of fitted
    /// potentials are extrapolations nobody checked, and a relaxation or
    /// random structure that gets there is broken rather than informative.
    /// The default, a tenth of the cutoff, is far below any physical
    /// distance in a metal.
    public var minimumDistance: Double

    // Scratch kept between calls (a calculator is used from one thread).
    private var rho: [Double] = [], fp: [Double] = []
    private var element: [Int32] = []
    private var densitySlope: [Double] = [], pairSlope: [Double] = []
    private var force: [Double] = []
    /// Each kind of table as one contiguous coefficient block.
    private let densityBlock: [Double], pairBlock: [Double], embeddingBlock: [Double]

    /// `speciesMap` names the element of each species index; by default
    /// species i is the i-th element of the file.
    public init(file: String, speciesMap: [Int: String]? = nil) throws {
        let t = try EAMTables.read(path: file)
        tables = t
        name = "eam:" + (file as NSString).lastPathComponent
        minimumDistance = 0.1 * t.cutoff
        densityBlock = t.density.flatMap(\.coefficients)
        pairBlock = t.pair.flatMap(\.coefficients)
        embeddingBlock = t.embedding.flatMap(\.coefficients)
        if let speciesMap {
            guard let top = speciesMap.keys.max(), speciesMap.keys.allSatisfy({ $0 >= 0 }) else {
                throw InputError(file: file, "the species map is empty or has a negative species index")
            }
            var map = [Int](repeating: -1, count: top + 1)
            for (s, symbol) in speciesMap {
                guard let e = t.elements.firstIndex(of: symbol) else {
                    throw InputError(file: file, "element '\(symbol)' (species \(s)) is not in the file, which has \(t.elements.joined(separator: " "))")
                }
                map[s] = e
            }
            elementOfSpecies = map
        } else {
            elementOfSpecies = Array(0..<t.elements.count)
        }
    }

    public var cutoff: Double { tables.cutoff }

    public func calculate(_ config: Configuration) throws -> Labels {
        let n = config.atomCount
        let nElements = tables.elements.count
        if element.count < n {
            element = [Int32](repeating: 0, count: n)
            rho = [Double](repeating: 0, count: n)
            fp = [Double](repeating: 0, count: n)
        }
        force = [Double](repeating: 0, count: 3 * n)
        for (a, s) in config.species.enumerated() {
            guard s >= 0, s < elementOfSpecies.count, elementOfSpecies[s] >= 0 else {
                throw EAMError.speciesOutOfRange(atom: a, species: s, known: elementOfSpecies.count)
            }
            element[a] = Int32(elementOfSpecies[s])
        }
        let list: NeighborList
        do { list = try NeighborList(config, cutoff: tables.cutoff) } catch let NeighborList.Failure.overlappingAtoms(i, j, d) {
            throw EAMError.overlappingAtoms(i: i, j: j, distance: d, minimum: minimumDistance)
        }
        let pairs = list.pairCount
        if densitySlope.count < pairs {
            densitySlope = [Double](repeating: 0, count: pairs)
            pairSlope = [Double](repeating: 0, count: pairs)
        }

        var energy = 0.0
        var w = (xx: 0.0, yy: 0.0, zz: 0.0, yz: 0.0, xz: 0.0, xy: 0.0)
        var failure: EAMError? = nil
        let t = tables
        let minimum = minimumDistance
        let nr = t.nr, nrho = t.nrho
        let rInv = 1 / t.dr, rhoInv = 1 / t.drho
        let rhoMax = Double(nrho - 1) * t.drho
        let rStride = 4 * (nr - 1), rhoStride = 4 * (nrho - 1)

        list.offsets.withUnsafeBufferPointer { off in
        list.neighbor.withUnsafeBufferPointer { nb in
        list.distance.withUnsafeBufferPointer { dist in
        list.dx.withUnsafeBufferPointer { dxs in
        list.dy.withUnsafeBufferPointer { dys in
        list.dz.withUnsafeBufferPointer { dzs in
        element.withUnsafeMutableBufferPointer { el in
        rho.withUnsafeMutableBufferPointer { rhoBuf in
        fp.withUnsafeMutableBufferPointer { fpBuf in
        densitySlope.withUnsafeMutableBufferPointer { dSlope in
        pairSlope.withUnsafeMutableBufferPointer { pSlope in
        densityBlock.withUnsafeBufferPointer { dTab in
        pairBlock.withUnsafeBufferPointer { pTab in
        embeddingBlock.withUnsafeBufferPointer { eTab in
        t.densityIndex.withUnsafeBufferPointer { dIndex in
        t.pairIndex.withUnsafeBufferPointer { pIndex in
        force.withUnsafeMutableBufferPointer { f in
            // Pass 1: densities, pair energies, and the pair slopes.
            var pairEnergy = 0.0
            for i in 0..<n {
                let ei = Int(el[i])
                var density = 0.0
                for p in off[i]..<off[i + 1] {
                    let r = dist[p]
                    if r < minimum {
                        failure = .overlappingAtoms(i: i, j: Int(nb[p]), distance: r, minimum: minimum)
                        return
                    }
                    let ej = Int(el[Int(nb[p])])
                    let d = evaluateCubic(dTab.baseAddress! + dIndex[ej * nElements + ei] * rStride,
                                          count: nr, inverseSpacing: rInv, r)
                    density += d.value
                    dSlope[p] = d.derivative
                    let z = evaluateCubic(pTab.baseAddress! + pIndex[ej * nElements + ei] * rStride,
                                          count: nr, inverseSpacing: rInv, r)
                    let inv = 1 / r
                    let phi = z.value * inv
                    pairEnergy += 0.5 * phi
                    pSlope[p] = 0.5 * (z.derivative - phi) * inv
                }
                rhoBuf[i] = density
            }
            // Embedding energies; beyond the table F continues linearly.
            var embedding = 0.0
            for i in 0..<n {
                let density = rhoBuf[i]
                guard density.isFinite else { failure = .notFinite("electron density at atom \(i + 1)"); return }
                let e = evaluateCubic(eTab.baseAddress! + Int(el[i]) * rhoStride, count: nrho, inverseSpacing: rhoInv, density)
                embedding += e.value + (density > rhoMax ? e.derivative * (density - rhoMax) : 0)
                fpBuf[i] = e.derivative
            }
            energy = embedding + pairEnergy
            // Pass 2: forces and virial from dE/dr_ij = s * r_ij / r.
            var (wxx, wyy, wzz, wyz, wxz, wxy) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
            for i in 0..<n {
                let fpi = fpBuf[i]
                var gxi = 0.0, gyi = 0.0, gzi = 0.0
                for p in off[i]..<off[i + 1] {
                    let s = (fpi * dSlope[p] + pSlope[p]) / dist[p]
                    let x = dxs[p], y = dys[p], z = dzs[p]
                    let gx = s * x, gy = s * y, gz = s * z
                    gxi += gx; gyi += gy; gzi += gz
                    let j = 3 * Int(nb[p])
                    f[j] -= gx; f[j + 1] -= gy; f[j + 2] -= gz
                    wxx -= gx * x; wyy -= gy * y; wzz -= gz * z
                    wyz -= gy * z; wxz -= gx * z; wxy -= gx * y
                }
                f[3 * i] += gxi; f[3 * i + 1] += gyi; f[3 * i + 2] += gzi
            }
            w = (wxx, wyy, wzz, wyz, wxz, wxy)
        }}}}}}}}}}}}}}}}}
        if let failure { throw failure }
        guard energy.isFinite else { throw EAMError.notFinite("energy") }
        let forces = (0..<n).map { Vec3(force[3 * $0], force[3 * $0 + 1], force[3 * $0 + 2]) }
        return Labels(energy: energy, forces: forces,
                      virial: Virial(xx: w.xx, yy: w.yy, zz: w.zz, yz: w.yz, xz: w.xz, xy: w.xy))
    }
}
