import ArgumentParser
import Plotting

/// `--format`, shared by every command that draws plots (one default:
/// `PlotFormat.standard`).
struct PlotArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Plot format: \(PlotFormat.choices) (one default for every command).", valueName: "format"))
    var format: String = PlotFormat.standard.rawValue

    func validate() throws {
        guard PlotFormat(rawValue: format) != nil else { throw ValidationError("--format is \(PlotFormat.choices)") }
    }
}
