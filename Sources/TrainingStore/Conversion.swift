import Foundation
import Atomistic

/// `mtp convert`: configurations of several files, in order, into one file
/// of any writable registered format. Files that name elements are merged
/// by symbol; indices-only files (.cfg) refer to the given symbols (or to an
/// existing store's table when appending).
public struct Conversion {
    public var inputs: [String]
    public var output: String
    /// Label every imported configuration with this group.
    public var group: String?
    public var options: FormatOptions
    /// An existing store output: add to it, or replace it (neither: an error).
    public var append = false
    public var overwrite = false
    /// Largest cutoff the set will be fitted with (a new store's cost model).
    public var costCutoff = CostModel.defaultCutoff

    public init(inputs: [String], output: String, options: FormatOptions = FormatOptions()) {
        self.inputs = inputs
        self.output = output
        self.options = options
    }

    /// Reads every input and writes the output; `note` receives what the
    /// readers inferred (per input). Returns the set written.
    public func run(note: (String) -> Void = { _ in }) throws -> TrainingSet {
        StoreFormat.register()
        let outFormat = try ConfigurationFormats.format(of: output)
        let exists = FileManager.default.fileExists(atPath: output)
        let isStore = outFormat.is(StoreFormat.self)
        var set = TrainingSet()
        var costModel = CostModel(cutoff: costCutoff)
        if isStore && exists {
            guard append || overwrite else {
                throw InputError(file: output, "exists: pass --append to add to it or --overwrite to replace it")
            }
            if append {
                let reader = try StoreReader(path: output)
                set = try reader.readAll()
                costModel = reader.costModel
            }
        } else if append {
            throw InputError(file: output, "--append needs an existing .h5 output (\(exists ? "this is not .h5" : "it does not exist"))")
        }
        guard outFormat.writes else { throw InputError(file: output, "cannot write \(outFormat.name) files") }
        var sources: [(path: String, range: Range<Int>)] = []
        for input in inputs {
            var data = try ConfigurationFormats.read(input, options: options)
            if let group { for k in data.configurations.indices { data.configurations[k].group = group } }
            let first = set.configurations.count
            try set.append(data.configurations, symbols: data.symbols, source: input)
            sources.append((input, first..<set.configurations.count))
            if let n = data.note { note("\(input): \(n)") }
        }
        if isStore {
            try StoreWriter.write(set, to: output, costModel: costModel, sources: sources)
        } else {
            try outFormat.write(ConfigurationData(configurations: set.configurations, symbols: set.species.isEmpty ? nil : set.species),
                                to: output, options: options)
        }
        return set
    }
}
