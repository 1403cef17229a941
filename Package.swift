// swift-tools-version:6.0
import PackageDescription
import Foundation

/// Release builds compile the MTP module's kernels for the build machine's
/// CPU (`-target-cpu native`): with AVX2 and FMA the evaluation loops run
/// about twice as fast, and the Jacobian pass 1.1-1.2x. MTP_TARGET_CPU picks
/// another target (`x86-64-v3`, `skylake-avx512`, ...) or `portable` (baseline
/// x86-64, runs anywhere). `mtp` checks first thing that the CPU it runs on has
/// what the build used (_CPUGuard) and says so instead of dying of SIGILL.
let targetCPUName: String = {
    let requested = ProcessInfo.processInfo.environment["MTP_TARGET_CPU"] ?? ""
    return requested.isEmpty ? "native" : requested
}()
let targetCPU = targetCPUName == "portable" ? [] : ["-target-cpu", targetCPUName]
/// The same target for the one C file that records what the build used: clang
/// spells it -march on x86-64 and -mcpu elsewhere.
#if arch(x86_64)
let targetCPUForC = targetCPUName == "portable" ? [] : ["-march=" + targetCPUName]
#else
let targetCPUForC = targetCPUName == "portable" ? [] : ["-mcpu=" + targetCPUName]
#endif

/// Native dependencies come from Debian and are found by pkg-config; the
/// macros Swift cannot import (MPI_COMM_WORLD, H5P_DEFAULT, ...) go through
/// the `_CShims` target.
let package = Package(
    name: "mtp-engine",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mtp", targets: ["mtp"]),
        .library(name: "MTP", targets: ["MTP"]),
        .library(name: "Atomistic", targets: ["Atomistic"]),
        // The evaluator as a C library (libMTPC.so) for Python and other languages: Sources/MTPC/mtpc.h.
        .library(name: "MTPC", type: .dynamic, targets: ["MTPC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian packages, located with pkg-config).
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5-openmpi",
                       providers: [.apt(["libhdf5-openmpi-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CScaLAPACK", path: "Sources/CScaLAPACK", pkgConfig: "scalapack-openmpi",
                       providers: [.apt(["libscalapack-openmpi-dev"])]),
        .systemLibrary(name: "CSpglib", path: "Sources/CSpglib", pkgConfig: "spglib",
                       providers: [.apt(["libsymspg-dev"])]),
        // The macros of MPI and HDF5 as functions.
        .target(name: "_CShims", dependencies: ["CMPI", "CHDF5"]),

        // What the kernels were compiled for (data only, built with the MTP module's target CPU) and
        // the portable check that this CPU runs them, done before any kernel code.
        .target(name: "_CPUTarget",
                cSettings: [.define("MTP_CPU_TARGET_NAME", to: "\"\(targetCPUName)\"", .when(configuration: .release)),
                            .unsafeFlags(targetCPUForC, .when(configuration: .release))]),
        .target(name: "_CPUGuard", dependencies: ["_CPUTarget"]),

        // A small Swift face on MPI.
        .target(name: "Parallel", dependencies: ["_CShims", "CMPI"]),
        // Configurations, cells, neighbour lists, file formats.
        .target(name: "Atomistic"),
        // The Moment Tensor Potential: basis, .mtp files, evaluation.
        .target(name: "MTP", dependencies: ["Atomistic", "COpenBLAS"],
                swiftSettings: [.unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"] + targetCPU, .when(configuration: .release))]),
        // Training sets in HDF5: layout, writer, sharded parallel reader, cost model.
        .target(name: "TrainingStore", dependencies: ["Atomistic", "Parallel", "CHDF5", "CMPI", "_CShims"]),
        // A small gnuplot driver for the commands that draw plots.
        .target(name: "Plotting", dependencies: ["Atomistic"]),
        // Fitting: loss, distributed least squares, optimiser.
        .target(name: "Fitting", dependencies: ["MTP", "Atomistic", "Parallel", "TrainingStore", "COpenBLAS", "CScaLAPACK",
                                          .product(name: "Logging", package: "swift-log")]),
        // Reference calculators (EAM, DFT hand-off) and the MTP as a calculator.
        .target(name: "Reference", dependencies: ["Atomistic", "MTP"]),
        // Standard lattices and the supercell, vacancy and strain edits built on them.
        .target(name: "Structures", dependencies: ["Atomistic"]),
        // Force constants from a calculator and the eigenproblems of dynamical matrices.
        .target(name: "LatticeDynamics", dependencies: ["Atomistic", "Reference", "COpenBLAS"]),
        // Relaxation (FIRE) of atoms and cell with any calculator.
        .target(name: "Relaxation", dependencies: ["Atomistic", "Reference"]),
        // Validation of potentials against a reference: properties, comparison, report.
        .target(name: "Validation", dependencies: ["Atomistic", "Reference", "Structures", "Relaxation", "Plotting", "LatticeDynamics", "Assyst"]),
        // Systematic training sets (ASSYST): random space-group crystals, relaxation stages, perturbations, DFT hand-off.
        .target(name: "Assyst", dependencies: ["Atomistic", "CSpglib", "Reference", "Relaxation", "Structures", "TrainingStore", "Plotting", "LatticeDynamics"]),
        // Active learning: MaxVol active sets, extrapolation grades, selection of new configurations.
        .target(name: "ActiveLearning", dependencies: ["MTP", "Atomistic", "Parallel", "TrainingStore", "COpenBLAS"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        // Labelling data files with a reference calculator (`mtp label`): threads, MPI ranks, journal, resume.
        .target(name: "Labelling", dependencies: ["Atomistic", "Reference", "TrainingStore", "Parallel"]),
        // Sweeps over (level, cutoff): plan, schedule on rank groups, records, Pareto front.
        .target(name: "Sweep", dependencies: ["Fitting", "MTP", "Atomistic", "Parallel", "TrainingStore", "Plotting"]),
        // The seed paper's study as one command: ASSYST, fits per training subset, validation, figures; resumable.
        .target(name: "Study", dependencies: ["Assyst", "Sweep", "Validation", "Fitting", "MTP", "Atomistic", "Parallel", "TrainingStore",
                                          "Reference", "Plotting", "ActiveLearning"]),
        // A small C interface (@_cdecl) of the evaluator and the active set: load, evaluate, grade.
        .target(name: "MTPC", dependencies: ["MTP", "Atomistic", "ActiveLearning", "_CPUGuard"], exclude: ["mtpc.h"]),
        // The command-line tool.
        .executableTarget(name: "mtp", dependencies: [
            "MTP", "Atomistic", "Parallel", "TrainingStore", "Plotting", "Fitting", "Sweep", "ActiveLearning",
            "Reference", "Validation",
            "Assyst", "Labelling", "Study", "_CPUGuard",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Runs the built `mtp` executable for the command-line tests.
        .target(name: "CommandLineTesting", path: "Tests/CommandLineTesting"),
        .testTarget(name: "AtomisticTests", dependencies: ["Atomistic"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "MTPTests", dependencies: ["MTP", "Atomistic", "_CPUGuard"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ParallelTests", dependencies: ["Parallel"]),
        .testTarget(name: "FittingTests", dependencies: ["CommandLineTesting", "Fitting", "MTP", "Atomistic", "Parallel", "TrainingStore"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CLITests", dependencies: ["CommandLineTesting", "Atomistic", "MTP", "mtp"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "AssystTests", dependencies: ["CommandLineTesting", "Assyst", "Atomistic", "Reference", "TrainingStore", "LatticeDynamics", "mtp"]),
        .testTarget(name: "SweepTests", dependencies: ["Sweep", "Fitting", "MTP", "Plotting"]),
        .testTarget(name: "ActiveLearningTests", dependencies: ["CommandLineTesting", "ActiveLearning", "MTP", "Atomistic", "mtp"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainingStoreTests", dependencies: ["CommandLineTesting", "TrainingStore", "Atomistic", "Parallel"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ReferenceTests", dependencies: ["Reference", "Structures", "Relaxation", "Atomistic"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "LatticeDynamicsTests", dependencies: ["LatticeDynamics", "Reference", "Atomistic"]),
        .testTarget(name: "RelaxationTests", dependencies: ["Relaxation", "Reference", "Structures", "Atomistic"]),
        .testTarget(name: "LabellingTests", dependencies: ["CommandLineTesting", "Labelling", "Reference", "TrainingStore", "Atomistic", "mtp"]),
        .testTarget(name: "StudyTests", dependencies: ["CommandLineTesting", "Study", "Sweep", "Fitting", "Atomistic", "Assyst", "MTP", "mtp"]),
        .testTarget(name: "ValidationTests", dependencies: ["CommandLineTesting", "Validation", "Reference", "Relaxation", "Structures", "Atomistic",
                                                     "ActiveLearning", "MTP", "TrainingStore", "Parallel", "mtp"]),
    ],
    swiftLanguageModes: [.v5]
)
