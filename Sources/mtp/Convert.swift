import ArgumentParser
import Foundation
import Atomistic
import TrainingStore

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert training data between .h5, .cfg, .extxyz, mlearn JSON and VASP output.",
        discussion: """
        Reads every IN (by extension: .h5/.hdf5 training store, .cfg, .extxyz/.xyz, .json (mlearn records),
        vasprun*.xml, OUTCAR*, or a directory holding vasprun.xml or else OUTCAR; a file whose name says
        nothing by its content) and writes all their configurations, in order, to OUT (.h5, .cfg or
        .extxyz). Numbers are carried bit for bit between .h5, .cfg and .extxyz (the .cfg and .extxyz
        writers use shortest round-trip digits).

        Species: files that name elements (.extxyz, mlearn, VASP, .h5 with symbols) are merged by symbol;
        .cfg types are indices into --species (or into the existing store's table with --append).
        --group labels every imported configuration (mlearn records keep their own group otherwise).
        Writing .h5 computes each configuration's cost (neighbour pairs within --cost-cutoff) for
        balanced parallel reads; an existing .h5 OUT is an error unless --append or --overwrite.

        MLIP's form `mlp convert-cfg IN OUT` works too (`mtp convert-cfg IN OUT`: without -o, two
        arguments are input and output); formats are recognised by name and content, so MLIP's --input-format
        is not needed (see the message if given).
        """,
        aliases: ["convert-cfg"])

    @Argument(help: "Input files or VASP run directories.") var inputs: [String]
    @Option(name: .shortAndLong, help: "Output file (.h5, .cfg, .extxyz); without it, MLIP's `convert-cfg IN OUT` (exactly two arguments).")
    var output: String?
    @Option(help: "MLIP's input format name (txt or vasp-outcar): accepted; the format is recognised by name and content.")
    var inputFormat: String?
    @Option(help: "MLIP's output format name: 'txt' (.cfg) only; other formats are chosen by OUT's extension.")
    var outputFormat: String?
    @Option(help: "Group name for the imported configurations (e.g. RANDSPG, VOLMIN, TRIAX, RATTLE).")
    var group: String?
    @Option(help: "Element symbols of .cfg species 0, 1, ..., e.g. Cu,Ag,Au.") var species: String?
    @Flag(help: "Append to an existing .h5 output.") var append = false
    @Flag(help: "Replace an existing .h5 output.") var overwrite = false
    @Option(help: "Largest cutoff (A) the set will be fitted with; the cost estimate counts neighbours within it (new .h5 only).")
    var costCutoff: Double = CostModel.defaultCutoff
    @Option(help: "Order of mlearn virial_stress slots, e.g. xx,yy,zz,xy,yz,xz (default: inferred from the file's sheared cells).")
    var mlearnStressOrder: String?
    @Flag(help: "From VASP runs take only the last ionic step (default: every step).") var lastStepOnly = false

    func validate() throws {
        // Without -o only MLIP's two-argument form: a forgotten -o after
        // several inputs must not turn the last input into the output.
        guard output != nil ? !inputs.isEmpty : inputs.count == 2 else {
            throw ValidationError(output == nil ? "give the inputs and an output (-o OUT, or MLIP's IN OUT with one input)" : "give at least one input")
        }
        if let f = inputFormat, !["txt", "vasp-outcar"].contains(f) {
            throw ValidationError("--input-format \(f): mtp reads .cfg (MLIP's txt), OUTCAR (vasp-outcar), vasprun.xml, .extxyz, mlearn .json and .h5, recognised by name and content; drop --input-format")
        }
        if let f = outputFormat, f != "txt" {
            throw ValidationError("--output-format \(f): mtp writes .cfg (MLIP's txt), .extxyz and .h5, chosen by OUT's extension; for LAMMPS or POSCAR files convert the .extxyz with ASE")
        }
        guard costCutoff > 0, costCutoff.isFinite else { throw ValidationError("--cost-cutoff must be positive") }
        if let o = mlearnStressOrder, MLearnJSON.StressOrder(o) == nil {
            throw ValidationError("--mlearn-stress-order must name xx,yy,zz,yz,xz,xy once each, e.g. xx,yy,zz,xy,yz,xz")
        }
        guard !(append && overwrite) else { throw ValidationError("--append and --overwrite exclude each other") }
    }

    func run() throws {
        try reportingErrors {
            let output = self.output ?? inputs.last!
            let inputs = self.output == nil ? Array(inputs.dropLast()) : inputs
            if outputFormat == "txt" && !output.lowercased().hasSuffix(".cfg") {
                throw UserError("--output-format txt: name the output *.cfg (the format follows the extension)")
            }
            var conversion = Conversion(inputs: inputs, output: output,
                                        options: FormatOptions(symbols: species.map { $0.split(separator: ",").map(String.init) },
                                                               mlearnStressOrder: mlearnStressOrder.flatMap(MLearnJSON.StressOrder.init),
                                                               lastStepOnly: lastStepOnly))
            conversion.group = group
            conversion.append = append
            conversion.overwrite = overwrite
            conversion.costCutoff = costCutoff
            let set = try conversion.run { FileHandle.standardError.write(Data("\($0)\n".utf8)) }
            print("\(set.configurations.count) configurations, \(set.atomCount) atoms -> \(output)")
        }
    }
}
