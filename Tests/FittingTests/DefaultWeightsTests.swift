import XCTest
import Foundation
import Atomistic
import MTP
import Parallel
import TrainingStore
@testable import Fitting

/// The default loss weights (`DefaultWeights`): the statistics and the rule
/// on small label sets whose values are checked by hand, MLIP's option, and
/// explicit weights winning over both.
final class DefaultWeightsTests: XCTestCase {
    /// A configuration of `n` atoms in a line, energy `perAtom * n`, every
    /// force component `f` (sign alternating; the square is f^2).
    func config(atoms n: Int, perAtom: Double?, force f: Double?) -> Configuration {
        var c = Configuration(species: [Int](repeating: 0, count: n),
                              positions: (0..<n).map { Vec3(2.5 * Double($0), 0, 0) })
        c.energy = perAtom.map { $0 * Double(n) }
        c.forces = f.map { f in (0..<n).map { a in let s = a % 2 == 0 ? f : -f; return Vec3(s, -s, s) } }
        return c
    }

    func statistics(_ configs: [Configuration]) throws -> LabelStatistics {
        try LabelStatistics.of(configs, communicator: Communicator.start())
    }

    /// Energies per atom 0, 0.1, 0.2 eV/atom (mean 0.1, variance 0.02/3) and
    /// every force component +-0.2 eV/A (<F^2> = 0.04): rho = 6 A^-2, so the
    /// energy weight is 6 times MLIP's and the others are MLIP's.
    func testStatisticsAndRuleByHand() throws {
        let configs = [config(atoms: 2, perAtom: 0, force: 0.2), config(atoms: 4, perAtom: 0.1, force: 0.2),
                       config(atoms: 3, perAtom: 0.2, force: 0.2)]
        let s = try statistics(configs)
        XCTAssertEqual(s.energies, 3)
        XCTAssertEqual(s.energyPerAtomMean, 0.1, accuracy: 1e-15)
        XCTAssertEqual(s.energyPerAtomVariance, 0.02 / 3, accuracy: 1e-15)
        XCTAssertEqual(s.forceComponents, 27)
        XCTAssertEqual(s.meanSquaredForce, 0.04, accuracy: 1e-15)
        XCTAssertEqual(s.forceToEnergyRatio!, 6, accuracy: 1e-12)
        let w = try DefaultWeights.choose(WeightRequest(), configurations: configs, communicator: Communicator.start())
        XCTAssertEqual(w.rule, .balanced)
        XCTAssertEqual(w.energy, 6, accuracy: 1e-12)
        XCTAssertEqual(w.force, 0.01)
        XCTAssertEqual(w.stress, 0.001)
        XCTAssertEqual(w.statistics, s)
        XCTAssertTrue(w.line.hasPrefix("loss weights: energy 6, force 0.01, stress 0.001 (balanced: <F^2>/var(E/N) = 6 A^-2"), w.line)
    }

    /// Configurations whose energy (force) weight in the data is zero, or
    /// that lack the label, do not count.
    func testUnweightedAndMissingLabelsLeftOut() throws {
        var quiet = config(atoms: 2, perAtom: 5, force: 3)
        quiet.energyWeight = 0
        quiet.forceWeight = 0
        let configs = [config(atoms: 2, perAtom: 0, force: 0.2), config(atoms: 2, perAtom: 0.1, force: nil),
                       config(atoms: 2, perAtom: nil, force: 0.4), quiet]
        let s = try statistics(configs)
        XCTAssertEqual(s.energies, 2)
        XCTAssertEqual(s.energyPerAtomMean, 0.05, accuracy: 1e-15)
        XCTAssertEqual(s.energyPerAtomVariance, 0.0025, accuracy: 1e-15)
        XCTAssertEqual(s.forceComponents, 12)
        XCTAssertEqual(s.meanSquaredForce, (0.04 + 0.16) / 2, accuracy: 1e-15)
        // rho = 0.1 / 0.0025 = 40.
        XCTAssertEqual(DefaultWeights.balancedEnergyWeight(s).weight, 40, accuracy: 1e-12)
    }

    /// Where the premise fails the rule gives MLIP's weights: energies that
    /// spread no more than vibrations make them (rho > 100), energies that
    /// spread more than the forces (rho < 1), and no statistics at all.
    func testPremiseFailsGivesMLIP() throws {
        func energyWeight(_ configs: [Configuration]) throws -> (Double, String) {
            let w = try DefaultWeights.choose(WeightRequest(), configurations: configs, communicator: Communicator.start())
            XCTAssertEqual(w.force, 0.01); XCTAssertEqual(w.stress, 0.001)
            return (w.energy, w.reason)
        }
        // Energies per atom 0 and 0.01 (variance 2.5e-5), forces 0.2 (0.04): rho = 1600.
        let vib = try energyWeight([config(atoms: 2, perAtom: 0, force: 0.2), config(atoms: 2, perAtom: 0.01, force: 0.2)])
        XCTAssertEqual(vib.0, 1); XCTAssertTrue(vib.1.contains("1600 A^-2 > 100"), vib.1)
        // Inside: energies 0 and 0.05 (variance 6.25e-4): rho = 64.
        let inside = try energyWeight([config(atoms: 2, perAtom: 0, force: 0.2), config(atoms: 2, perAtom: 0.05, force: 0.2)])
        XCTAssertEqual(inside.0, 64, accuracy: 1e-9)
        // Energies 0 and 1 (variance 0.25), forces 0.2: rho = 0.16.
        let wide = try energyWeight([config(atoms: 2, perAtom: 0, force: 0.2), config(atoms: 2, perAtom: 1, force: 0.2)])
        XCTAssertEqual(wide.0, 1); XCTAssertTrue(wide.1.contains("< 1"), wide.1)
        XCTAssertEqual(try energyWeight([config(atoms: 2, perAtom: 0, force: 0.2)]).0, 1)           // one energy
        XCTAssertEqual(try energyWeight([config(atoms: 2, perAtom: 0, force: nil),
                                         config(atoms: 2, perAtom: 0.1, force: nil)]).0, 1)           // no forces
        XCTAssertEqual(try energyWeight([config(atoms: 2, perAtom: 0, force: 0),
                                         config(atoms: 2, perAtom: 0.1, force: 0)]).0, 1)             // zero forces
        let flat = try energyWeight([config(atoms: 2, perAtom: 0.3, force: 0.2), config(atoms: 3, perAtom: 0.3, force: 0.2)])
        XCTAssertEqual(flat.0, 1); XCTAssertTrue(flat.1.contains("do not vary"), flat.1)
    }

    /// `--weights mlip` gives MLIP's weights and reads no statistics;
    /// explicit weights win over either rule (and the balanced rule reads no
    /// statistics when the energy weight is given).
    func testMLIPRuleAndExplicitWeights() throws {
        struct Unread: Error {}
        let mlip = try DefaultWeights.choose(WeightRequest(rule: .mlip)) { throw Unread() }
        XCTAssertEqual([mlip.energy, mlip.force, mlip.stress], [1, 0.01, 0.001])
        XCTAssertNil(mlip.statistics)
        XCTAssertEqual(mlip.explicit, [])
        let given = try DefaultWeights.choose(WeightRequest(rule: .balanced, energy: 3, stress: 0)) { throw Unread() }
        XCTAssertEqual([given.energy, given.force, given.stress], [3, 0.01, 0])
        XCTAssertEqual(given.explicit, ["energy", "stress"])
        let configs = [config(atoms: 2, perAtom: 0, force: 0.2), config(atoms: 4, perAtom: 0.1, force: 0.2),
                       config(atoms: 3, perAtom: 0.2, force: 0.2)]
        let force = try DefaultWeights.choose(WeightRequest(force: 0.5), configurations: configs, communicator: Communicator.start())
        XCTAssertEqual(force.energy, 6, accuracy: 1e-12)
        XCTAssertEqual(force.force, 0.5)
        XCTAssertEqual(force.stress, 0.001)
        let mlipEnergy = try DefaultWeights.choose(WeightRequest(rule: .mlip, energy: 2)) { throw Unread() }
        XCTAssertEqual([mlipEnergy.energy, mlipEnergy.force, mlipEnergy.stress], [2, 0.01, 0.001])
    }

    /// `Fit` resolves the request on the data into the trainer's loss: the
    /// balanced rule on the Cu fixture (4 configurations of one vibrating
    /// cell) and explicit weights; options with no request keep the loss's
    /// weights as set.
    func testFitResolvesTheWeights() throws {
        let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        let pot = try MTPFile.read(path: dir.appendingPathComponent("cu-06.mtp").path)
        let path = dir.appendingPathComponent("cu-4.cfg").path
        let comm = Communicator.start()
        let shard = try ShardSource(path: path).read(comm)
        let s = try LabelStatistics.of(shard.configurations, communicator: comm)
        let want = DefaultWeights.balancedEnergyWeight(s).weight
        var options = TrainingOptions()
        options.maxIterations = 1
        let fit = try Fit(start: pot, data: shard, dataPath: path, options: options, communicator: comm)
        XCTAssertEqual(fit.weights.energy, want)
        XCTAssertEqual(fit.trainer.options.loss.energyWeight, want)
        XCTAssertEqual(fit.trainer.options.loss.forceWeight, 0.01)
        options.weights = WeightRequest(rule: .balanced, energy: 7, force: 0.2, stress: 0.3)
        let explicit = try Fit(start: pot, data: shard, dataPath: path, options: options, communicator: comm)
        XCTAssertEqual(explicit.trainer.options.loss.energyWeight, 7)
        XCTAssertEqual(explicit.trainer.options.loss.forceWeight, 0.2)
        XCTAssertEqual(explicit.trainer.options.loss.stressWeight, 0.3)
        options.weights = nil
        options.loss.energyWeight = 4
        let set = try Fit(start: pot, data: shard, dataPath: path, options: options, communicator: comm)
        XCTAssertEqual(set.trainer.options.loss.energyWeight, 4)
        XCTAssertNil(set.weights.rule)
        var lines: [String] = []
        let r = try fit.run(output: nil, log: { lines.append($0) })
        XCTAssertEqual(r.weights, fit.weights)
        XCTAssertEqual(lines.first, fit.weights.line)
        XCTAssertEqual(TrainSummary(r, potential: "p.mtp", optimizer: "lm").weights, fit.weights)
    }
}
