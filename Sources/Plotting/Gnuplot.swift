import Foundation
import Atomistic

/// Draws plots by writing a gnuplot script and its data beside the output
/// image and running `gnuplot` on it.
///
/// The data file and the script are kept, so a plot can be restyled or
/// redrawn by hand (`gnuplot plot.gp`) and the numbers are available even
/// where gnuplot is not installed: then `render` writes them, skips the
/// image and says so in its result instead of failing.
public struct Gnuplot {
    /// One curve: a column pair of the data file (1-based gnuplot columns).
    public struct Series {
        public var title: String
        public var xColumn: Int
        public var yColumn: Int
        public var style: String
        /// A column of text drawn at each point (gnuplot `with labels`; then
        /// `style` holds the label options and the series has no key entry).
        public var labelColumn: Int?
        public init(title: String, xColumn: Int, yColumn: Int, style: String = "lines", labelColumn: Int? = nil) {
            self.title = title; self.xColumn = xColumn; self.yColumn = yColumn; self.style = style
            self.labelColumn = labelColumn
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series] = []
    /// Vertical marker lines: (x, label, colour as a gnuplot colour name).
    public var verticalLines: [(x: Double, label: String, color: String)] = []
    public var xRange: ClosedRange<Double>?
    public var logY = false
    /// Logarithmic x axis (costs spanning decades, say).
    public var logX = false
    /// Distance between x tics (integer levels, say), gnuplot's choice when nil.
    public var xTicStep: Double?
    /// Named x tics (a category axis, say): (position, label); gnuplot's own when empty.
    public var xTicLabels: [(x: Double, label: String)] = []

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
    }

    public enum Outcome: Equatable {
        case drawn(image: String)
        /// gnuplot is missing or failed; the data and script were written.
        case dataOnly(reason: String)
    }

    /// Writes `<image without extension>.dat` (the `data` text, whitespace
    /// separated columns with a `#` header) and `.gp`, then draws `image`
    /// (PNG or SVG, chosen by its extension). All files are written atomically.
    public func render(data: String, to image: String, gnuplot: String = "gnuplot") throws -> Outcome {
        let ext = (image as NSString).pathExtension.lowercased()
        let terminal: String
        switch ext {
        case "png": terminal = "set terminal pngcairo size 1200,800 noenhanced"
        case "svg": terminal = "set terminal svg size 1200,800 dynamic noenhanced"
        default: throw InputError(file: image, "plot format must be .png or .svg")
        }
        let base = (image as NSString).deletingPathExtension
        let dataPath = base + ".dat"
        let scriptPath = base + ".gp"
        try AtomicFile.write(data, to: dataPath)

        func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        var script = terminal + "\n"
        script += "set output \(quote((image as NSString).lastPathComponent))\n"
        script += "set title \(quote(title))\nset xlabel \(quote(xLabel))\nset ylabel \(quote(yLabel))\n"
        script += "set key outside right top\nset grid\n"
        if let r = xRange { script += "set xrange [\(r.lowerBound):\(r.upperBound)]\n" }
        if logY { script += "set logscale y\n" }
        if logX { script += "set logscale x\n" }
        if let step = xTicStep { script += "set xtics \(step)\nset format x '%g'\n" }
        if !xTicLabels.isEmpty {
            script += "set xtics (" + xTicLabels.map { "\(quote($0.label)) \($0.x)" }.joined(separator: ", ") + ")\n"
        }
        for (i, line) in verticalLines.enumerated() {
            script += "set arrow \(i + 1) from first \(line.x), graph 0 to first \(line.x), graph 1 nohead lc rgb \(quote(line.color)) dt 2\n"
            script += "set label \(i + 1) \(quote(line.label)) at first \(line.x), graph 0.98 rotate by 90 right font ',8' tc rgb \(quote(line.color))\n"
        }
        let dataName = quote((dataPath as NSString).lastPathComponent)
        script += "plot " + series.map {
            if let label = $0.labelColumn {
                return "\(dataName) using \($0.xColumn):\($0.yColumn):\(label) with labels \($0.style) notitle"
            }
            return "\(dataName) using \($0.xColumn):\($0.yColumn) with \($0.style) title \(quote($0.title))"
        }.joined(separator: ", \\\n     ") + "\n"
        try AtomicFile.write(script, to: scriptPath)

        // gnuplot writes the image itself; run it in the output directory so
        // the script's relative names resolve, then move the image into place.
        guard let executable = Gnuplot.find(gnuplot) else {
            return .dataOnly(reason: "gnuplot not found on PATH; data in \(dataPath), script in \(scriptPath)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [(scriptPath as NSString).lastPathComponent]
        let directory = (image as NSString).deletingLastPathComponent
        process.currentDirectoryURL = URL(fileURLWithPath: directory.isEmpty ? "." : directory)
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            return .dataOnly(reason: "gnuplot failed (\(message.trimmingCharacters(in: .whitespacesAndNewlines))); data in \(dataPath), script in \(scriptPath)")
        }
        return .drawn(image: image)
    }

    /// The absolute path of `name` on PATH (or `name` itself if it is a path).
    static func find(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
