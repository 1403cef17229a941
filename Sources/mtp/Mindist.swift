import ArgumentParser
import Atomistic

struct Mindist: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mindist",
        abstract: "The shortest interatomic distance of a set of configurations (MLIP's `mlp mindist`).",
        discussion: """
        Reads DATA (any format `mtp convert` reads) and prints the shortest distance between two atoms,
        periodic images included, and the configuration where it occurs: the natural min_dist of a
        potential fitted to DATA (`mtp train --update-mindist` sets it so).
        """)
    @Argument(help: "Configurations (.cfg, .extxyz, .h5, ...).") var data: String
    @Option(help: "Element symbols of species 0, 1, ... (for extended XYZ).") var species: String?
    @Option(help: "Look for neighbours up to this distance (A).") var limit: Double = 20

    func validate() throws {
        guard limit > 0, limit.isFinite else { throw ValidationError("--limit must be positive") }
    }

    func run() throws {
        try reportingErrors {
            let set = try ConfigurationFormats.read(data, options: FormatOptions(symbols: species.map { $0.split(separator: ",").map(String.init) }))
            let configs = set.configurations
            let shortest: (distance: Double, configuration: Int)?
            do { shortest = try configs.shortestDistance(limit: limit) } catch { throw UserError("\(data): \(error)") }
            guard let s = shortest else {
                throw UserError("\(data): no two atoms lie within \(limit) A of each other")
            }
            print("mindist: \(PositionalDecimal.text(s.distance)) A (configuration \(s.configuration + 1) of \(configs.count))")
        }
    }
}
