import ArgumentParser
import Foundation
import Atomistic
import MTP
import _CPUGuard

struct MTPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mtp",
        abstract: "Moment Tensor Potentials: evaluate, fit and validate (reads and writes MLIP's .mtp and .cfg).",
        discussion: """
        Run a subcommand with --help for its options. Files follow MLIP: potentials are .mtp,
        configurations .cfg (or extended XYZ, .extxyz/.xyz, as ASE writes it).
        """,
        version: MTPVersion.string,
        subcommands: [CalcEFS.self, CheckErrors.self, Compare.self, Basis.self, Grow.self, Train.self, SweepCommand.self, Convert.self, DataCommand.self, Grade.self, Mindist.self, SelectAdd.self, BenchCommand.self, Validate.self, AssystCommand.self, Label.self, StudyCommand.self])
}

enum MTPVersion {
    /// The version, the CPU the kernels were compiled for and the BLAS
    /// kernels this run uses (both set its speed).
    static let string = "mtp 0.1.0 (MTP file format 1.1.0)\n\(compiledFor)\n\(BLASCore.description)"

    /// "kernels compiled for native (avx avx2 fma ...)" or "... portable (baseline instruction set)".
    static var compiledFor: String {
        let target = String(cString: mtp_cpu_build_target())
        let features = String(cString: mtp_cpu_build_features()).trimmingCharacters(in: .whitespaces)
        return "kernels compiled for \(target) (\(features.isEmpty ? "baseline instruction set" : features))"
    }
}

/// A failure the user can fix; printed as one line, exit status 1.
struct UserError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

extension ParsableCommand {
    /// Runs `body`, turning the engine's input errors into one clear line on
    /// stderr and a non-zero exit instead of a trace.
    func reportingErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as ExitCode {
            throw e
        } catch let e as CleanExit {
            throw e
        } catch {
            FileHandle.standardError.write(Data("mtp: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
