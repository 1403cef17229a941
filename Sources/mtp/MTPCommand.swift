import ArgumentParser

struct MTPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mtp",
        abstract: "Moment Tensor Potentials: evaluate, fit and validate.",
        version: "0.1.0",
        subcommands: [])
}
