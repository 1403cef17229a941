import Foundation

/// JSON files the tools write for users and for themselves (summaries,
/// records, checkpoints): keys sorted and indented so that reruns diff
/// cleanly, non-finite numbers as the strings "nan", "inf", "-inf" (plain
/// JSON has no such numbers), written atomically.
public enum JSONFile {
    public static var encoder: JSONEncoder {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return enc
    }

    public static var decoder: JSONDecoder {
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return dec
    }

    public static func write<T: Encodable>(_ value: T, to path: String) throws {
        try AtomicFile.write(try encoder.encode(value), to: path)
    }

    /// The value at `path`, or nil if the file is missing or does not decode.
    public static func read<T: Decodable>(_ type: T.Type, from path: String) -> T? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? decoder.decode(type, from: data)
    }
}
