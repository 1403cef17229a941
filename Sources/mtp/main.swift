import ArgumentParser
import Foundation
import Logging
import MTP
import TrainingStore
import _CPUGuard

// First of all, in C compiled portably: this CPU runs the kernels as they
// were compiled (MTP_TARGET_CPU, native by default). Otherwise one clear line
// and exit status 1, not a SIGILL inside a kernel.
mtp_cpu_guard_or_exit()

// Then, before MPI or any thread starts: OpenBLAS's kernels for
// this CPU, when the library did not recognise it (BLASCore).
BLASCore.relaunchIfMisdetected()

// The library's diagnostics go to standard error at the level the user asks
// for (MTP_LOG_LEVEL=debug|info|...; MTP_BFGS_TRACE=1 is debug), and the
// training store joins the format registry.
let environment = ProcessInfo.processInfo.environment
let level = environment["MTP_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
    ?? (environment["MTP_BFGS_TRACE"] != nil ? .debug : .warning)
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = level
    return handler
}
StoreFormat.register()
MTPCommand.main()
