/// The image formats the tool's plots come in. One default for every
/// command (assyst, data info, sweep, validate, study): PNG, which every
/// viewer and file browser shows; SVG on request (`--format svg`) for
/// papers. The numbers (.dat) and the gnuplot script (.gp) are written
/// beside each image whatever the format.
public enum PlotFormat: String, CaseIterable, Sendable {
    case png, svg

    /// The default of every command.
    public static let standard = PlotFormat.png

    /// "png or svg", for help texts and errors.
    public static var choices: String { allCases.map(\.rawValue).joined(separator: " or ") }
}
