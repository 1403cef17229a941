import Foundation
import Atomistic
import MTP
import Parallel

/// The Jacobian pass on one rank, timed against the loss+gradient
/// evaluation of the same run and, on request, against the reference kernel
/// (`Evaluator.derivativesByTangents`): what benchmarks/train reports for
/// issue 15's targets. CPU seconds of this process, best of `repeats`.
public struct JacobianBenchmark {
    public struct Record: Codable, Sendable {
        public var parameters: Int
        public var configurations: Int
        public var atoms: Int
        public var rows: Int
        /// The kernel alone: derivatives of every labelled quantity.
        public var derivativesCPU: Double
        /// The trainer's Jacobian pass: derivatives plus streaming QR of the rows.
        public var passDerivativesCPU: Double
        public var passQRCPU: Double
        public var passCPU: Double
        public var lossGradientCPU: Double
        /// passCPU / lossGradientCPU.
        public var ratio: Double
        /// Dense-product flops of the kernel and their rate: over the time in
        /// the products, and over the whole kernel.
        public var productGFlop: Double
        public var productGFLOPs: Double
        public var kernelGFLOPs: Double
        public var referenceCPU: Double?
        public var speedup: Double?
        public var workspaceMB: Double
        /// Peak resident memory of the process (as the kernel's tables, the
        /// neighbour lists and the factor add up).
        public var peakMB: Double
        /// The OpenBLAS kernels of the run (`BLASCore.description`).
        public var blas: String?
        /// Atoms per block of the kernel's products (`JacobianWorkspace.blockAtoms`).
        public var blockAtoms: Int?
    }

    public var potential: Potential
    public var configurations: [Configuration]
    public var repeats: Int
    public var reference: Bool
    /// Atoms per block of the kernel (nil: the default,
    /// `JacobianWorkspace.blockAtoms`); another value gives a baseline in
    /// the same run (benchmarks/jacobian).
    public var blockAtoms: Int?

    public init(potential: Potential, configurations: [Configuration], repeats: Int, reference: Bool,
                blockAtoms: Int? = nil) {
        self.potential = potential
        self.configurations = configurations
        self.repeats = repeats
        self.reference = reference
        self.blockAtoms = blockAtoms
    }

    public func measure(_ comm: Communicator) throws -> Record {
        let savedBlockAtoms = JacobianWorkspace.blockAtoms
        if let blockAtoms { JacobianWorkspace.blockAtoms = max(1, blockAtoms) }
        defer { JacobianWorkspace.blockAtoms = savedBlockAtoms }
        let lists = try configurations.map { try NeighborList($0, cutoff: potential.maxDist) }
        var options = TrainingOptions()
        options.maxIterations = 1
        options.tolerance = 0
        let trainer = try Trainer(potential: potential, configurations: configurations, totalCount: configurations.count,
                                  options: options, communicator: comm, neighbors: lists)
        let theta = trainer.potential.parameters
        var pot = trainer.potential
        pot.parameters = theta
        let ev = try Evaluator(pot)
        func best(_ body: () throws -> Void) rethrows -> Double {
            var t = Double.infinity
            for _ in 0..<repeats {
                let c0 = ProcessTime.cpuSeconds()
                try body()
                t = min(t, ProcessTime.cpuSeconds() - c0)
            }
            return t
        }
        var ws = JacobianWorkspace()
        _ = try ev.derivatives(configurations[0], neighbors: lists[0], workspace: ws)   // the plan, built once
        var flops = 0.0, productSeconds = 0.0
        let kernel = try best {
            ws = JacobianWorkspace()
            for (c, config) in configurations.enumerated() { _ = try ev.derivatives(config, neighbors: lists[c], workspace: ws) }
            flops = ws.productFlops; productSeconds = ws.productSeconds
        }
        // The pass in CPU seconds, split between derivatives and QR in the
        // proportion of the trainer's own (wall-clock) split.
        var pass = (d: Double.infinity, qr: Double.infinity)
        for _ in 0..<repeats {
            var times = Trainer.LocalFactorTimes()
            let c0 = ProcessTime.cpuSeconds()
            _ = try trainer.localFactor(at: theta, times: &times)
            let cpu = ProcessTime.cpuSeconds() - c0
            let qrShare = times.qr / max(times.derivatives + times.qr, 1e-12)
            if cpu < pass.d + pass.qr { pass = (cpu * (1 - qrShare), cpu * qrShare) }
        }
        let lossGradient = try best { _ = try trainer.lossAndGradient(at: theta) }
        var referenceCPU: Double?
        if reference {
            referenceCPU = try best {
                for (c, config) in configurations.enumerated() { _ = try ev.derivativesByTangents(config, neighbors: lists[c]) }
            }
        }
        let passCPU = pass.d + pass.qr
        return Record(parameters: theta.count, configurations: configurations.count,
                      atoms: configurations.reduce(0) { $0 + $1.atomCount },
                      rows: trainer.rows.reduce(0) { $0 + $1.count },
                      derivativesCPU: kernel, passDerivativesCPU: pass.d, passQRCPU: pass.qr, passCPU: passCPU,
                      lossGradientCPU: lossGradient, ratio: passCPU / lossGradient,
                      productGFlop: flops * 1e-9, productGFLOPs: flops * 1e-9 / max(productSeconds, 1e-12),
                      kernelGFLOPs: flops * 1e-9 / max(kernel, 1e-12),
                      referenceCPU: referenceCPU, speedup: referenceCPU.map { $0 / kernel },
                      workspaceMB: Double(ws.bytes) / 1e6, peakMB: ResidentMemory.current().peak / 1e6,
                      blas: BLASCore.description, blockAtoms: JacobianWorkspace.blockAtoms)
    }

    /// One line per figure, in the units the targets use.
    public static func summary(_ r: Record) -> [String] {
        var lines = [
            "\(r.configurations) configurations, \(r.atoms) atoms, \(r.rows) rows, \(r.parameters) parameters (CPU seconds, best of runs)\(r.blas.map { "; " + $0 } ?? "")",
            String(format: "Jacobian pass: %.3f s (derivatives %.3f s, QR of the rows %.3f s)", r.passCPU, r.passDerivativesCPU, r.passQRCPU),
            String(format: "loss+gradient evaluation: %.3f s; Jacobian pass / loss+gradient = %.2f", r.lossGradientCPU, r.ratio),
            String(format: "kernel alone: %.3f s; dense products %.2f GFlop at %.1f GFLOP/s in the products, %.1f GFLOP/s over the kernel; workspace %.0f MB; peak resident %.0f MB",
                   r.derivativesCPU, r.productGFlop, r.productGFLOPs, r.kernelGFLOPs, r.workspaceMB, r.peakMB)
                + (r.blockAtoms.map { "; blocks of at most \($0) atoms" } ?? ""),
        ]
        if let ref = r.referenceCPU, let s = r.speedup {
            lines.append(String(format: "reference kernel (forward tangents): %.3f s; this kernel is %.1fx faster", ref, s))
        }
        return lines
    }
}
