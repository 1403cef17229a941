import Foundation

/// Finds where a configuration (and one of its atoms) is written in a file,
/// so that problems found after parsing (a species the potential does not
/// know, overlapping atoms) can be reported at a line, like parse errors.
/// Only called on the error path: it rescans the file.
public enum SourceLines {
    /// 1-based line of configuration `index` (0-based) of a `.cfg` or
    /// extended XYZ file, or of atom `atom` (0-based) within it; nil when the
    /// file cannot be read or is shorter.
    public static func line(in path: String, configuration index: Int, atom: Int? = nil) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let format = try? ConfigurationFormats.format(of: path) else { return nil }
        return format.line(in: text, configuration: index, atom: atom)
    }

    static func lines(_ text: String) -> [Substring] { text.split(separator: "\n", omittingEmptySubsequences: false) }

    static func cfgLine(_ lines: [Substring], _ index: Int, _ atom: Int?) -> Int? {
        var seen = -1
        var n = 0
        while n < lines.count {
            if lines[n].trimmingCharacters(in: .whitespaces).hasPrefix("BEGIN_CFG") {
                seen += 1
                if seen == index { break }
            }
            n += 1
        }
        guard seen == index, n < lines.count else { return nil }
        guard let atom else { return n + 1 }
        var a = n + 1
        while a < lines.count, !lines[a].trimmingCharacters(in: .whitespaces).hasPrefix("AtomData") {
            if lines[a].trimmingCharacters(in: .whitespaces).hasPrefix("END_CFG") { return n + 1 }
            a += 1
        }
        return a + atom + 2 <= lines.count ? a + atom + 2 : n + 1
    }

    static func xyzLine(_ lines: [Substring], _ index: Int, _ atom: Int?) -> Int? {
        var n = 0
        var frame = 0
        while n < lines.count {
            let head = lines[n].trimmingCharacters(in: .whitespaces)
            if head.isEmpty { n += 1; continue }
            guard let count = Int(head) else { return nil }
            if frame == index { return atom.map { n + 3 + $0 } ?? n + 1 }
            frame += 1
            n += count + 2
        }
        return nil
    }
}
