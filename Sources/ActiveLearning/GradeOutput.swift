import Atomistic

extension ActiveSet.Grades {
    /// A grade as MLIP writes it (nine significant digits; "inf" for a row
    /// outside the training space), as reports print it; files hold the
    /// same digits in positional notation (`setGrades`).
    public static func text(_ g: Double) -> String {
        g.isFinite ? String(format: "%.9g", g) : "inf"
    }
}

extension Configuration {
    /// Sets MLIP's `Feature MV_grade` (replacing an earlier one) and, when
    /// given, the per-atom `nbh_grades` column. The grade's nine digits are
    /// written without an exponent (`0.00000000169158695`, not `1.69158695e-09`),
    /// as readers of MLIP's fixed layout expect.
    public mutating func setGrades(_ grade: Double, atoms: [Double]?) {
        features.removeAll { $0.key == "MV_grade" }
        features.append(Feature(key: "MV_grade", value: PositionalDecimal.positional(ActiveSet.Grades.text(grade))))
        if let atoms {
            atomProperties.removeAll { $0.name == "nbh_grades" }
            // Files hold finite numbers only: a row outside the training
            // space (grade +infinity) is written as 1e300.
            atomProperties.append(AtomProperty(name: "nbh_grades", values: atoms.map { $0.isFinite ? $0 : 1e300 }))
        }
    }
}

/// Input configurations written back with their grades: the root rereads
/// the whole input (every rank holds only its shard) and writes it, with the
/// grades, in the format the output's name gives (MLIP's digits for .cfg; a
/// .h5 output is a training store with the grades as features and per-atom
/// properties).
enum GradeOutput {
    /// Writes the configurations of `input` chosen by `pick` (nil: all) to
    /// `output`, with `grades(k, atomCount)` of input configuration k.
    /// Rank 0 alone; `expected` guards against an input changed since it
    /// was sharded.
    static func write(input: String, symbols: [String]?, expected: Int, output: String, pick: [Int]? = nil,
                      grades: (Int, Int) -> (Double, [Double]?)) throws {
        let data = try ConfigurationFormats.read(input, options: FormatOptions(symbols: symbols))
        guard data.configurations.count == expected else { throw InputError(file: input, "changed while it was being read") }
        let chosen = (pick ?? Array(data.configurations.indices)).map { k -> Configuration in
            var c = data.configurations[k]
            let (g, atoms) = grades(k, c.atomCount)
            c.setGrades(g, atoms: atoms)
            return c
        }
        try ConfigurationFormats.write(ConfigurationData(configurations: chosen, symbols: data.symbols), to: output,
                                       options: FormatOptions(symbols: data.symbols, mlipDigits: true))
    }
}
