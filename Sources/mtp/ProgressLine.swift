import Foundation

/// Progress on stderr that suits where stderr goes. On a terminal: one line
/// redrawn in place (`\r`), at most twice a second. Redirected to a file or
/// a pipe (a batch job's log): a plain line at most every `logInterval`
/// seconds and at the end, so that the log of a long job stays readable
/// instead of holding thousands of carriage-return redraws.
final class ProgressLine {
    let interactive: Bool
    let logInterval: Double
    private var last = Date.distantPast
    private var ended = false

    init(logInterval: Double = 30, interactive: Bool = isatty(STDERR_FILENO) != 0) {
        self.logInterval = logInterval
        self.interactive = interactive
    }

    /// Shows `text` if enough time has passed since the last line, always
    /// when `final` (then once only).
    func show(_ text: String, final: Bool = false) {
        if ended { return }
        let now = Date()
        guard final || now.timeIntervalSince(last) >= (interactive ? 0.5 : logInterval) else { return }
        last = now
        let line = interactive ? "\r" + text + "   " + (final ? "\n" : "") : text + "\n"
        FileHandle.standardError.write(Data(line.utf8))
        if final { ended = true }
    }
}

/// A progress bar with elapsed time and time left, shown through a `ProgressLine`.
final class ProgressBar {
    let label: String
    let start = Date()
    let line = ProgressLine()

    init(label: String) { self.label = label }

    func update(_ done: Int, _ total: Int) {
        let fraction = Double(done) / Double(max(total, 1))
        let width = 30
        let filled = Int(fraction * Double(width))
        let elapsed = Date().timeIntervalSince(start)
        let left = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        line.show("[\(bar)] \(done)/\(total) \(label), " + String(format: "%.0f s elapsed, ~%.0f s left", elapsed, left),
                  final: done == total)
    }
}
