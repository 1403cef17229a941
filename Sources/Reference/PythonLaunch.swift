import Foundation

/// How a Python worker is started: which interpreter, which worker script,
/// which calculator file and environment.
///
/// The interpreter is `MTP_PYTHON` if set, else the project's venv
/// (`.venv/bin/python` of the checkout the tool was built in, as
/// `scripts/python-env.sh` creates it), else `python3` on PATH. The worker
/// script is `MTP_ASE_WORKER` if set, else `scripts/ase_worker.py` of that
/// checkout, found from the running executable (through symlinks such as
/// install.sh's `out/mtp`) or from this source file's compile-time path.
public struct PythonLaunch: Sendable {
    public var python: String
    public var worker: String
    public var calculatorFile: String
    public var environment: [String: String]

    public init(calculatorFile: String) throws {
        let env = ProcessInfo.processInfo.environment
        let root = PythonLaunch.checkoutRoot()
        guard let worker = env["MTP_ASE_WORKER"] ?? root.map({ $0 + "/scripts/ase_worker.py" }),
              FileManager.default.fileExists(atPath: worker) else {
            throw ASEWorkerError.start("cannot find scripts/ase_worker.py beside the mtp checkout; set MTP_ASE_WORKER to its path")
        }
        self.worker = worker
        if let p = env["MTP_PYTHON"] {
            python = p
        } else if let root, FileManager.default.isExecutableFile(atPath: root + "/.venv/bin/python") {
            python = root + "/.venv/bin/python"
        } else {
            python = "python3"
        }
        let absolute = calculatorFile.hasPrefix("/") ? calculatorFile : FileManager.default.currentDirectoryPath + "/" + calculatorFile
        self.calculatorFile = (absolute as NSString).standardizingPath
        environment = PythonLaunch.workerEnvironment(env)
    }

    /// The worker's environment: ours without MPI's launcher variables (a
    /// worker that imports an MPI-enabled code such as GPAW must start as its
    /// own singleton, not as a stray rank of our job), with root allowed to
    /// run such a singleton, and one BLAS/OpenMP thread unless the user chose.
    public static func workerEnvironment(_ env: [String: String]) -> [String: String] {
        var e = env.filter { key, _ in
            !(key.hasPrefix("OMPI_") || key.hasPrefix("PMIX_") || key.hasPrefix("PMI_") || key.hasPrefix("HYDRA_")
              || key.hasPrefix("MPI_LOCALRANKID") || key.hasPrefix("PRTE_") || key.hasPrefix("OPAL_"))
        }
        e["OMPI_ALLOW_RUN_AS_ROOT"] = env["OMPI_ALLOW_RUN_AS_ROOT"] ?? "1"
        e["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] ?? "1"
        for key in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"] where e[key] == nil { e[key] = "1" }
        e["PYTHONUNBUFFERED"] = "1"
        return e
    }

    /// The checkout holding `scripts/ase_worker.py`: searched upwards from
    /// the executable's real path, then from this file's build-time path.
    static func checkoutRoot() -> String? {
        var starts: [String] = []
        if let exe = Bundle.main.executablePath { starts.append((exe as NSString).resolvingSymlinksInPath) }
        starts.append((CommandLine.arguments[0] as NSString).resolvingSymlinksInPath)
        starts.append(#filePath)
        for start in starts {
            var dir = (start as NSString).deletingLastPathComponent
            for _ in 0..<6 {
                if FileManager.default.fileExists(atPath: dir + "/scripts/ase_worker.py") { return dir }
                let up = (dir as NSString).deletingLastPathComponent
                if up == dir { break }
                dir = up
            }
        }
        return nil
    }
}
