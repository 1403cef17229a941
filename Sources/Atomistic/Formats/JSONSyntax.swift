/// Where JSON text stops being valid JSON: Foundation's decoder says only
/// that the data is not valid, so readers of JSON formats locate the first
/// syntax error with this scan (line and column, 1-based) for their message.
public enum JSONSyntax {
    public struct Problem: Equatable, Sendable {
        public var line: Int
        public var column: Int
        public var message: String
    }

    /// The first syntax error of `bytes`, or nil if they are one valid JSON
    /// value (with surrounding blanks). Nesting is limited to 512 levels.
    public static func firstProblem(in bytes: [UInt8]) -> Problem? {
        var s = Scanner(bytes: bytes)
        do {
            s.skipBlanks()
            try s.value(depth: 0)
            s.skipBlanks()
            if s.k < bytes.count { throw s.fail("unexpected text after the JSON value") }
            return nil
        } catch let p as Problem {
            return p
        } catch {
            return nil
        }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var k = 0

        func fail(_ message: String) -> Problem {
            var line = 1, column = 1
            for b in bytes[..<min(k, bytes.count)] {
                if b == 0x0A { line += 1; column = 1 } else { column += 1 }
            }
            let found = k < bytes.count ? "'\(Character(Unicode.Scalar(bytes[k])))'" : "the end of the file"
            return Problem(line: line, column: column, message: "\(message) (found \(found))")
        }

        mutating func skipBlanks() {
            while k < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[k]) { k += 1 }
        }

        mutating func expect(_ c: UInt8, _ what: String) throws {
            skipBlanks()
            guard k < bytes.count, bytes[k] == c else { throw fail("expected \(what)") }
            k += 1
        }

        mutating func value(depth: Int) throws {
            guard depth < 512 else { throw fail("nesting deeper than 512 levels") }
            skipBlanks()
            guard k < bytes.count else { throw fail("expected a value") }
            switch bytes[k] {
            case UInt8(ascii: "{"):
                k += 1; skipBlanks()
                if k < bytes.count, bytes[k] == UInt8(ascii: "}") { k += 1; return }
                while true {
                    skipBlanks()
                    guard k < bytes.count, bytes[k] == UInt8(ascii: "\"") else { throw fail("expected a key in quotes") }
                    try string()
                    try expect(UInt8(ascii: ":"), "':' after a key")
                    try value(depth: depth + 1)
                    skipBlanks()
                    if k < bytes.count, bytes[k] == UInt8(ascii: ",") { k += 1; continue }
                    try expect(UInt8(ascii: "}"), "',' or '}' in an object")
                    return
                }
            case UInt8(ascii: "["):
                k += 1; skipBlanks()
                if k < bytes.count, bytes[k] == UInt8(ascii: "]") { k += 1; return }
                while true {
                    try value(depth: depth + 1)
                    skipBlanks()
                    if k < bytes.count, bytes[k] == UInt8(ascii: ",") { k += 1; continue }
                    try expect(UInt8(ascii: "]"), "',' or ']' in an array")
                    return
                }
            case UInt8(ascii: "\""):
                try string()
            case UInt8(ascii: "t"): try word("true")
            case UInt8(ascii: "f"): try word("false")
            case UInt8(ascii: "n"): try word("null")
            default:
                try number()
            }
        }

        mutating func word(_ w: String) throws {
            let u = Array(w.utf8)
            guard k + u.count <= bytes.count, Array(bytes[k..<(k + u.count)]) == u else { throw fail("expected \(w)") }
            k += u.count
        }

        mutating func string() throws {
            k += 1
            while k < bytes.count {
                let b = bytes[k]
                if b == UInt8(ascii: "\"") { k += 1; return }
                if b == UInt8(ascii: "\\") { k += 2; continue }
                if b < 0x20 { throw fail("control character inside a string") }
                k += 1
            }
            throw fail("unterminated string")
        }

        mutating func number() throws {
            let start = k
            func digits() -> Int { let s = k; while k < bytes.count, bytes[k] &- 48 < 10 { k += 1 }; return k - s }
            if k < bytes.count, bytes[k] == UInt8(ascii: "-") { k += 1 }
            guard digits() > 0 else { k = start; throw fail("expected a value") }
            if k < bytes.count, bytes[k] == UInt8(ascii: ".") {
                k += 1
                guard digits() > 0 else { throw fail("expected digits after '.'") }
            }
            if k < bytes.count, bytes[k] == UInt8(ascii: "e") || bytes[k] == UInt8(ascii: "E") {
                k += 1
                if k < bytes.count, bytes[k] == UInt8(ascii: "+") || bytes[k] == UInt8(ascii: "-") { k += 1 }
                guard digits() > 0 else { throw fail("expected digits in the exponent") }
            }
        }
    }
}

extension JSONSyntax.Problem: Error {}
