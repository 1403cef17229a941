import Foundation
import Atomistic

/// DIR/study.json: the configuration a study was started with and what is
/// done, with the wall time of every finished stage. It is how a rerun of
/// the same command knows where to continue, and how a rerun with other
/// options is refused before it mixes results of two configurations (a
/// higher `--max-iter` alone continues the study's fits instead).
/// Written atomically by rank 0 after every stage.
public struct StudyManifest: Codable, Equatable, Sendable {
    public static let fileName = "study.json"

    public var configuration: StudyConfiguration
    /// Wall seconds of the ASSYST stage once it is done.
    public var assystSeconds: Double?
    /// Wall seconds per subset whose sweep finished every fit (summed over reruns).
    public var fitSeconds: [String: Double] = [:]
    /// Wall seconds of the validation stage once every fit is validated (summed over reruns).
    public var validationSeconds: Double?
    /// Wall seconds of the figures once drawn.
    public var figureSeconds: Double?
    /// Subsets whose fits a raised `--max-iter` reopened (their earlier wall
    /// time stays in `fitSeconds`); nil in manifests of before.
    public var reopenedSubsets: [String]? = nil
    /// Ranks of every run so far (one entry per run of the command).
    public var runs: [Int] = []

    public init(configuration: StudyConfiguration) { self.configuration = configuration }

    public static func path(in directory: String) -> String { (directory as NSString).appendingPathComponent(fileName) }

    /// The manifest of `directory` for `configuration`: the stored one if it
    /// was made with the same configuration, a new one if there is none;
    /// throws naming every option that differs otherwise.
    public static func open(directory: String, configuration: StudyConfiguration) throws -> StudyManifest {
        let p = path(in: directory)
        guard FileManager.default.fileExists(atPath: p) else { return StudyManifest(configuration: configuration) }
        guard var stored = JSONFile.read(StudyManifest.self, from: p) else {
            throw StudyError("\(p): not a study manifest this version can read; use another --out or remove the directory")
        }
        if configuration.maxIterations > stored.configuration.maxIterations {
            // A higher iteration limit continues the study: every fit that
            // stopped at the old limit goes on from its checkpoint (the sweep
            // keeps one for such fits), the others stay as they are. The fit
            // stage runs again for every subset; validation and figures skip
            // what is still current, as always (validation records follow
            // their potential). Wall times keep adding up.
            var raised = stored.configuration
            raised.maxIterations = configuration.maxIterations
            if differences(raised, configuration).isEmpty {
                stored.configuration = raised
                stored.reopenedSubsets = Array(stored.fitSeconds.keys).sorted()
                return stored
            }
        }
        let changes = differences(stored.configuration, configuration)
        if !changes.isEmpty {
            throw StudyError("\(directory) holds a study with another configuration (\(changes.joined(separator: "; "))): "
                             + "rerun with the same options to continue it, or give another --out")
        }
        return stored
    }

    /// "field: stored -> now" for every field of the configuration that differs.
    public static func differences(_ stored: StudyConfiguration, _ now: StudyConfiguration) -> [String] {
        func fields(_ c: StudyConfiguration) -> [String: String] {
            guard let data = try? JSONFile.encoder.encode(c),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
            var out: [String: String] = [:]
            for (k, v) in object {
                let d = (try? JSONSerialization.data(withJSONObject: v, options: [.fragmentsAllowed, .sortedKeys])) ?? Data()
                out[k] = String(decoding: d, as: UTF8.self)
            }
            return out
        }
        let a = fields(stored), b = fields(now)
        return Set(a.keys).union(b.keys).sorted().compactMap { k in
            guard a[k] != b[k] else { return nil }
            func short(_ s: String?) -> String {
                guard let s else { return "-" }
                return s.count > 60 ? String(s.prefix(57)) + "..." : s
            }
            return "\(k): \(short(a[k])) before, \(short(b[k])) now"
        }
    }

    public func write(to directory: String) throws {
        try JSONFile.write(self, to: Self.path(in: directory))
    }

    public var assystDone: Bool { assystSeconds != nil }
    public func fitsDone(_ subset: String) -> Bool {
        fitSeconds[subset] != nil && !(reopenedSubsets ?? []).contains(subset)
    }
}

/// Where a study keeps its files.
public struct StudyLayout: Sendable {
    public var directory: String
    public init(directory: String) { self.directory = directory }
    func join(_ parts: String...) -> String { parts.reduce(directory) { ($0 as NSString).appendingPathComponent($1) } }

    /// The ASSYST store and its report (set-report.txt, plots) in DIR/assyst.
    public var assystDirectory: String { join("assyst") }
    public var trainingSet: String { join("assyst", "set.h5") }
    /// One sweep per subset: DIR/fits/SUBSET (its summary, plots and fits/).
    public func sweep(_ subset: String) -> String { join("fits", subset) }
    public func potential(_ fit: StudyFit) -> String { join("fits", fit.subset, "fits", fit.stem + ".mtp") }
    public func fitRecord(_ fit: StudyFit) -> String { join("fits", fit.subset, "fits", fit.stem + ".json") }
    /// Validation per fit: DIR/validation/SUBSET/STEM/ (report.md, plots) and STEM.json (the study's record).
    public func validationReport(_ fit: StudyFit) -> String { join("validation", fit.subset, fit.stem) }
    public func validationRecord(_ fit: StudyFit) -> String { join("validation", fit.subset, fit.stem + ".json") }
    public var figures: String { join("figures") }

    /// Creates `path` (and its parents) or throws one message naming it.
    public static func makeDirectory(_ path: String, _ what: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "a file of that name is in the way" : "\((error as NSError).localizedDescription)"
            throw StudyError("\(path): cannot create the \(what) directory (\(reason))")
        }
    }
    public var summary: String { join("study.md") }
}
