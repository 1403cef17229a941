import XCTest
import Foundation
import Atomistic
import MTP
import Parallel
import TrainingStore
@testable import Fitting

/// The library side of MLIP's `mlp train` options: `--weighting`,
/// `--init-params`, `--update-mindist`, `--valid-cfgs`, `--curr-pot-name`.
final class MLIPOptionTests: XCTestCase {
    var dir: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }
    func data() throws -> (Potential, [Configuration]) {
        let pot = try MTPFile.read(path: dir.appendingPathComponent("cu-06.mtp").path)
        var configs = try CFGFormat.read(path: dir.appendingPathComponent("cu-4.cfg").path)
        for c in configs.indices { configs[c].energy! += 0.01 * Double(c) }
        return (pot, configs)
    }

    /// MLIP's normalisations: per configuration of N atoms and K configurations,
    /// the squared scales are w_E/(N K), w_F/K, w_S/(N K) (vibrations),
    /// w_E/K, w_F/K, w_S/K (molecules) and w_E/(N^2 K), w_F/(N K), w_S/(N^2 K) (structures).
    func testWeightingScalesAreMLIPs() throws {
        let (_, configs) = try data()
        let c = configs[0], n = c.normalisationCount, k = 7.0
        XCTAssertGreaterThan(n, 1)
        let want: [LossSettings.Weighting: (Double, Double, Double)] = [
            .vibrations: (1 / n, 1, 1 / n), .molecules: (1, 1, 1), .structures: (1 / (n * n), 1 / n, 1 / (n * n))]
        for (weighting, (e, f, s)) in want {
            let settings = LossSettings(energyWeight: 2, forceWeight: 0.5, stressWeight: 0.25, weighting: weighting)
            let rows = ResidualRows(c, settings: settings, totalConfigurations: Int(k))
            XCTAssertEqual(rows.energyScale! * rows.energyScale!, 2 * e / k, accuracy: 1e-15, "\(weighting)")
            for fs in rows.forceScales! { XCTAssertEqual(fs * fs, 0.5 * f / k, accuracy: 1e-15, "\(weighting)") }
            XCTAssertEqual(rows.virialScales![0] * rows.virialScales![0], 0.25 * s / k, accuracy: 1e-15, "\(weighting)")
            XCTAssertEqual(rows.virialScales![3] * rows.virialScales![3], 2 * 0.25 * s / k, accuracy: 1e-15, "\(weighting)")
        }
        // The default is MLIP's default, with exactly the arithmetic of before.
        let d = ResidualRows(c, settings: LossSettings(), totalConfigurations: 7)
        XCTAssertEqual(d.energyScale!, (1.0 / (n * 7)).squareRoot())
    }

    /// The loss the trainer reports follows the weighting: with only energies
    /// weighted, molecules = N * vibrations and structures = vibrations / N
    /// for configurations of equal size.
    func testWeightingChangesTheLoss() throws {
        let (pot, configs) = try data()
        func loss(_ w: LossSettings.Weighting) throws -> Double {
            var o = TrainingOptions()
            o.loss = LossSettings(energyWeight: 1, forceWeight: 0, stressWeight: 0, weighting: w)
            let t = try Trainer(potential: pot, configurations: configs, totalCount: configs.count, options: o,
                                communicator: Communicator.start())
            return try t.errors(at: pot.parameters).loss
        }
        let sizes = Set(configs.map(\.atomCount))
        let v = try loss(.vibrations), m = try loss(.molecules), s = try loss(.structures)
        XCTAssertGreaterThan(v, 0)
        if sizes.count == 1 {
            let n = Double(sizes.first!)
            XCTAssertEqual(m, v * n, accuracy: 1e-12 * m)
            XCTAssertEqual(s, v / n, accuracy: 1e-12 * v)
        } else {
            XCTAssertNotEqual(m, v); XCTAssertNotEqual(s, v)
        }
    }

    /// Options of default fits encode as before (no `weighting` key); a
    /// non-default one is kept, and old checkpoints without it still decode.
    func testWeightingCoding() throws {
        let text = String(decoding: try JSONEncoder().encode(LossSettings()), as: UTF8.self)
        XCTAssertFalse(text.contains("weighting"), text)
        let s = LossSettings(weighting: .structures)
        let back = try JSONDecoder().decode(LossSettings.self, from: try JSONEncoder().encode(s))
        XCTAssertEqual(back, s)
        let old = #"{"energyWeight":1,"forceWeight":0.01,"stressWeight":0.001}"#
        XCTAssertEqual(try JSONDecoder().decode(LossSettings.self, from: Data(old.utf8)), LossSettings())
    }

    /// `same`: every species pair starts alike (the trainer's own default);
    /// `random`: pairs differ, reproducibly; a trained potential is kept.
    func testInitParams() throws {
        let untrained = try Potential.untrained(level: 6, speciesCount: 2, minDist: 2, maxDist: 5, radialCoeffs: false)
        let same = StartingPoint.initialised(untrained, radial: .same)
        let pairLength = same.radialFuncsCount * same.radialBasisSize
        let c = same.radialCoeffs!
        for pair in 1..<4 { XCTAssertEqual(Array(c[pair * pairLength..<(pair + 1) * pairLength]), Array(c[0..<pairLength])) }
        XCTAssertEqual(c, Potential.defaultRadialCoeffs(speciesCount: 2, radialFuncsCount: same.radialFuncsCount,
                                                        radialBasisSize: same.radialBasisSize))
        let random = StartingPoint.initialised(untrained, radial: .random)
        let r = random.radialCoeffs!
        XCTAssertNotEqual(Array(r[0..<pairLength]), Array(r[pairLength..<2 * pairLength]))
        XCTAssertEqual(r, StartingPoint.initialised(untrained, radial: .random).radialCoeffs!)
        for (a, b) in zip(r, c) { XCTAssertLessThanOrEqual(abs(a - b), StartingPoint.randomAmplitude) }
        let (trained, _) = try data()
        XCTAssertEqual(StartingPoint.initialised(trained, radial: .random).parameters, trained.parameters)
    }

    /// `--update-mindist` sets min_dist to the set's shortest distance,
    /// which brute force over the periodic images confirms.
    func testUpdateMindist() throws {
        let (pot, configs) = try data()
        let path = dir.appendingPathComponent("cu-4.cfg").path
        let comm = Communicator.start()
        let shard = try ShardSource(path: path).read(comm)
        let updated = try StartingPoint.updatingMinDist(pot, data: shard, dataPath: path, communicator: comm)
        var brute = Double.infinity
        for c in configs {
            let n = c.atomCount
            for i in 0..<n {
                for j in 0..<n {
                    for a in -2...2 { for b in -2...2 { for k in -2...2 {
                        if i == j && a == 0 && b == 0 && k == 0 { continue }
                        let t = Double(a) * c.cell[0] + Double(b) * c.cell[1] + Double(k) * c.cell[2]
                        brute = min(brute, norm(c.positions[j] + t - c.positions[i]))
                    } } }
                }
            }
        }
        XCTAssertEqual(updated.minDist, brute, accuracy: 1e-12)
        XCTAssertNotEqual(updated.minDist, pot.minDist)
        XCTAssertEqual(updated.parameters, pot.parameters)
    }

    /// `--valid-cfgs` and `--curr-pot-name`: the validation table holds the
    /// errors of the trained potential on the second set (here the training
    /// set itself, so they equal the training errors), and the current
    /// potential is the last iteration's.
    func testValidationSetAndCurrentPotential() throws {
        let (pot, _) = try data()
        let path = dir.appendingPathComponent("cu-4.cfg").path
        let comm = Communicator.start()
        let shard = try ShardSource(path: path).read(comm)
        var options = TrainingOptions()
        options.maxIterations = 2
        let fit = try Fit(start: pot, data: shard, dataPath: path, options: options, communicator: comm)
        try fit.validate(on: shard, path: path)
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("mtp-valid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let current = tmp.appendingPathComponent("current.mtp").path
        var lines: [String] = []
        let result = try fit.run(output: nil, checkpointing: Fit.Checkpointing(path: nil, every: 0, currentPotential: current),
                                 log: { lines.append($0) })
        XCTAssertEqual(result.validationGroups, result.groups)
        XCTAssertTrue(lines.contains { $0.hasPrefix("errors on the validation set \(path)") }, lines.joined(separator: "\n"))
        XCTAssertEqual(try MTPFile.read(path: current).parameters, result.potential.parameters)
        // A validation set with a species the potential lacks is refused.
        var bad = shard
        bad.configurations[0].species[0] = 5
        XCTAssertThrowsError(try fit.validate(on: bad, path: "bad.cfg")) { XCTAssertTrue("\($0)".contains("bad.cfg"), "\($0)") }
    }
}
