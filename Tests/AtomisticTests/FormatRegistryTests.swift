import XCTest
import Foundation
@testable import Atomistic

/// A toy format registered as a new format would be: one line per atom,
/// "symbol-index x y z", configurations separated by a line "--", a first
/// line "TOYCFG" so that it is recognised by content.
enum ToyFormat: ConfigurationFormat {
    static var name: String { "toy" }
    static func claims(fileName: String) -> Bool { fileName.hasSuffix(".toy") }
    static func recognises(head: String) -> Bool { head.hasPrefix("TOYCFG\n") }
    static func read(_ path: String, options: FormatOptions) throws -> ConfigurationData {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var configs: [Configuration] = []
        for block in text.dropFirst("TOYCFG\n".count).components(separatedBy: "--\n") where !block.isEmpty {
            var species: [Int] = [], positions: [Vec3] = []
            for (n, line) in block.split(separator: "\n").enumerated() {
                let f = line.split(separator: " ").compactMap { Double($0) }
                guard f.count == 4 else { throw InputError(file: path, line: n + 2, "expected 'type x y z'") }
                species.append(Int(f[0])); positions.append(Vec3(f[1], f[2], f[3]))
            }
            configs.append(Configuration(species: species, positions: positions))
        }
        return ConfigurationData(configurations: configs, symbols: options.symbols)
    }
    static var writes: Bool { true }
    static func write(_ data: ConfigurationData, to path: String, options: FormatOptions) throws {
        var text = "TOYCFG\n"
        for c in data.configurations {
            for (z, p) in zip(c.species, c.positions) { text += "\(z) \(p.x) \(p.y) \(p.z)\n" }
            text += "--\n"
        }
        try AtomicFile.write(text, to: path)
    }
}

final class FormatRegistryTests: XCTestCase {
    func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("registry-\(getpid())-\(name)").path
    }

    /// Registered once, the toy format is read and written by name and
    /// recognised by content, through the same calls every command uses;
    /// a configuration written as .cfg and converted through it comes back equal.
    func testToyFormatThroughTheRegistry() throws {
        let unknown = temporary("a.toy")
        XCTAssertThrowsError(try ConfigurationFormats.format(of: unknown))
        ConfigurationFormats.register(ToyFormat.self)
        ConfigurationFormats.register(ToyFormat.self)   // harmless again
        XCTAssertEqual(ConfigurationFormats.registered.filter { $0.is(ToyFormat.self) }.count, 1)

        let config = Configuration(species: [0, 1], positions: [Vec3(0, 0, 0), Vec3(1.5, 0.25, -2)])
        let toy = temporary("b.toy"), cfg = temporary("b.cfg"), nameless = temporary("b.data")
        defer { for p in [toy, cfg, nameless] { try? FileManager.default.removeItem(atPath: p) } }
        try ConfigurationFormats.write(ConfigurationData(configurations: [config, config], symbols: nil), to: toy)
        XCTAssertEqual(try ConfigurationFormats.read(toy).configurations, [config, config])
        // By content, under a name no format claims.
        try FileManager.default.copyItem(atPath: toy, toPath: nameless)
        XCTAssertTrue(try ConfigurationFormats.format(of: nameless).is(ToyFormat.self))
        XCTAssertEqual(try ConfigurationFormats.read(nameless).configurations.count, 2)
        // Toy -> .cfg -> back.
        try ConfigurationFormats.write(try ConfigurationFormats.read(toy), to: cfg)
        XCTAssertEqual(try ConfigurationFormats.read(cfg).configurations.map(\.positions), [config.positions, config.positions])
    }

    /// The built-in formats are found by name, a .cfg by content, and an
    /// unknown file is one error naming it.
    func testBuiltInsAndUnknown() throws {
        XCTAssertTrue(try ConfigurationFormats.format(of: "x/Train.CFG").is(CFGFormat.self))
        XCTAssertTrue(try ConfigurationFormats.format(of: "a.xyz").is(ExtXYZFormat.self))
        XCTAssertTrue(try ConfigurationFormats.format(of: "vasprun-3.xml").is(VASPFormat.Vasprun.self))
        XCTAssertTrue(try ConfigurationFormats.format(of: "OUTCAR").is(VASPFormat.OUTCAR.self))
        let path = temporary("unknown.bin")
        try "hello\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try ConfigurationFormats.read(path)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(path): unknown configuration format"), "\(error)")
        }
        let cfgContent = temporary("content.dat")
        try "BEGIN_CFG\n Size\n 1\n Supercell\n 5 0 0\n 0 5 0\n 0 0 5\n AtomData: id type cartes_x cartes_y cartes_z\n 1 0 0 0 0\nEND_CFG\n"
            .write(toFile: cfgContent, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: cfgContent) }
        XCTAssertEqual(try ConfigurationFormats.read(cfgContent).configurations.count, 1)
    }
}
