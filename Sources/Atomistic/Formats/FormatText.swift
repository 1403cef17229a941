/// Line and token splitting shared by the text formats.
enum FormatText {
    /// The lines of `text` without their "\n" or "\r\n" ends (a final line
    /// break does not start another line). Splits on UTF-8 bytes, which is much
    /// faster than on Characters (where "\r\n" is a single Character).
    static func lines(_ text: String) -> [Substring] {
        let whole = Substring(text)
        var lines = whole.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { bytes -> Substring in
            var line = bytes
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            return Substring(line)
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// Whitespace-separated tokens (space, tab, vertical tab, form feed) of `line`.
    static func tokens(_ line: Substring) -> [Substring] {
        line.utf8.split(whereSeparator: { $0 == 32 || $0 == 9 || $0 == 11 || $0 == 12 }).map { Substring($0) }
    }
}
