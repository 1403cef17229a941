import Foundation
import Atomistic

/// Any ASE calculator as a reference (`ase:FILE.py`): FILE.py defines
/// `calculator()` returning the ASE calculator (EMT, GPAW, VASP, Quantum
/// ESPRESSO, ...). Each instance owns one persistent Python worker
/// (`scripts/ase_worker.py`), so every thread, and every MPI rank, has its
/// own. Starting it checks Python, ASE and FILE.py once: a missing package
/// is one error at start.
///
/// Units and signs: ASE gives eV, eV/A and a stress in eV/A^3 that is
/// positive under tension (Voigt xx yy zz yz xz xy, ASE's order too); the
/// engine's virial is W = -stress * V (eV). Cells that are not periodic
/// along all three axes get no stress from ASE and a zero virial here.
///
/// A structure whose calculation raises, kills the worker or runs past
/// `timeout` throws `ASEWorkerError.structure` with the reason; the worker
/// is restarted for the next structure.
public final class ASECalculator: Calculator {
    public let name: String
    /// DFT has no interaction cutoff; this is the range callers use for
    /// vacuum and neighbour-list sizes (A).
    public var cutoff: Double = 6.0
    /// Atomic number of each species index.
    public let atomicNumbers: [Int]
    /// Seconds one structure may take (nil: no limit).
    public var timeout: Double?
    let worker: ASEWorker

    /// Starts the worker for `file` with species index i = `species[i]`.
    public init(file: String, species: [String], timeout: Double? = nil) throws {
        guard FileManager.default.fileExists(atPath: file) else { throw InputError(file: file, "no such file") }
        guard !species.isEmpty else {
            throw ASEWorkerError.start("ase:\(file) needs the element of every species (the command's --element or --species, or a store with species names)")
        }
        atomicNumbers = try species.map { symbol in
            guard let z = ExtXYZFormat.elementSymbols.firstIndex(of: symbol), z > 0 else {
                throw ASEWorkerError.start("'\(symbol)' is not a chemical element symbol")
            }
            return z
        }
        self.timeout = timeout
        name = "ase:" + (file as NSString).lastPathComponent
        worker = ASEWorker(launch: try PythonLaunch(calculatorFile: file))
        do {
            try worker.start()
        } catch let e as ASEWorkerError {
            throw ASEWorkerError.start("ase:\(file): \(e.description)")
        }
    }

    /// The ASE version and calculator class the worker reported.
    public var workerDescription: String {
        "ASE \(worker.greeting.ase ?? "?"), \(worker.greeting.calculator ?? "?")"
    }

    public func calculate(_ config: Configuration) throws -> Labels {
        let numbers = try config.species.enumerated().map { a, s -> Int in
            guard s >= 0 && s < atomicNumbers.count else {
                throw ASEWorkerError.structure("atom \(a + 1): species \(s) has no element (known: \(atomicNumbers.count))")
            }
            return atomicNumbers[s]
        }
        let request = WorkerRequest(numbers: numbers, cell: config.cell.map { [$0.x, $0.y, $0.z] },
                                    pbc: [config.pbc.x, config.pbc.y, config.pbc.z],
                                    positions: config.positions.map { [$0.x, $0.y, $0.z] })
        let reply = try worker.exchange(request, timeout: timeout)
        if let error = reply.error { throw ASEWorkerError.structure("calculator raised \(error)") }
        return try ASECalculator.labels(from: reply, config: config)
    }

    /// The engine's labels from a worker reply (units and sign converted,
    /// every number checked finite).
    static func labels(from reply: WorkerReply, config: Configuration) throws -> Labels {
        func bad(_ what: String) -> ASEWorkerError { .structure("the calculator returned \(what)") }
        guard let energy = reply.energy, energy.isFinite else { throw bad("no finite energy") }
        guard let rows = reply.forces, rows.count == config.atomCount else {
            throw bad("forces for a different number of atoms")
        }
        let forces = try rows.map { v -> Vec3 in
            guard v.count == 3, v.allSatisfy(\.isFinite) else { throw bad("a non-finite force") }
            return Vec3(v[0], v[1], v[2])
        }
        var virial = Virial.zero
        if let s = reply.stress {
            guard s.count == 6, s.allSatisfy(\.isFinite) else { throw bad("a stress that is not six finite numbers") }
            let volume = config.volume
            virial = Virial(voigt: s.map { -$0 * volume })
        }
        return Labels(energy: energy, forces: forces, virial: virial)
    }
}
