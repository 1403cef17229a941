import Foundation
import MTP
import Sweep
import Assyst

/// DIR/study.md: the configuration, the wall time of every stage, one row
/// per fit (training and whole-set errors, cost, E-V and vacancy errors,
/// Pareto membership) and the figures; printed at the end of a run.
public enum StudySummary {
    static func f(_ x: Double?, _ format: String) -> String {
        guard let x, x.isFinite else { return "-" }
        return String(format: format, x)
    }

    /// "GRADE (property)" of the largest grade in a validation, "-" without grades.
    static func maxGrade(_ v: StudyValidationRecord?) -> String {
        guard let grades = v?.grades,
              let worst = grades.filter({ $0.value.maximum != nil }).max(by: { $0.value.maximum! < $1.value.maximum! }) else { return "-" }
        return f(worst.value.maximum, "%.3g") + " (\(worst.key))"
    }

    /// What the study's ASSYST stage builds, in one sentence.
    static func assystSentence(_ c: StudyConfiguration) -> String {
        var parts = ["\(c.perturbations) TRIAX/SHEAR/RATTLE copies" + ((c.strainCopies ?? 0) > 0 ? " and \(c.strainCopies!) STRAIN copies" : "")
                     + " per relaxed crystal"]
        if let k = c.elasticStructures, k > 0 {
            parts.append("ELASTIC series of the \(k) lowest-energy crystals" + (c.elasticMaxStrain.map { String(format: " up to %g %%", 100 * $0) } ?? ""))
        }
        if let k = c.eosStructures, k > 0 { parts.append("EOS series of the \(k) lowest-energy crystals") }
        if let k = c.phononStructures, k > 0 {
            parts.append("PHONON: \(c.phononCopies ?? DisplacementSeriesOptions().copies) displaced supercells of each of the \(k) lowest-energy crystals"
                         + ((c.phononSoftModes ?? 0) > 0 ? ", with the \(c.phononSoftModes!) softest reference modes of each frozen in" : ""))
        }
        return "ASSYST: \(c.minAtoms)-\(c.maxAtoms) atoms, \(c.spaceGroups.count) space groups, " + parts.joined(separator: ", ") + ", seed \(c.seed)."
    }

    public static func markdown(_ results: [StudyResult], manifest m: StudyManifest, figures: [StudyFigures.Drawn],
                                directory: String) -> String {
        let c = m.configuration
        var out = "# mtp study: \(c.element), \(c.calculator)\n\n"
        out += assystSentence(c) + " "
        out += "Fits: subsets \(c.subsets.joined(separator: ", ")); levels \(c.levels.map(String.init).joined(separator: ",")); cutoffs "
            + c.cutoffs.map { String(format: "%.2f", $0) }.joined(separator: ",") + " A; at most \(c.maxIterations) iterations\(c.maxIterationsAt.map { " (by level: \($0))" } ?? "")\(c.grow == true ? "; each level grown from the one below" : ""); min_dist \(c.minDist) A, \((c.radialBasisType ?? .chebyshev).rawValue)"
            + (c.energyWeights.map { "; energy weights \($0)" } ?? "") + (c.groupWeights.map { "; group weights \($0)" } ?? "") + ". "
        out += "Validation: \(c.properties.joined(separator: ", ")) (\(c.quickValidation ? "quick settings" : "full settings")). "
        out += "Ranks per run: \(m.runs.map(String.init).joined(separator: ", ")).\n\n"

        out += "## Wall time per stage (s)\n\n| stage | wall (s) |\n|---|---:|\n"
        out += "| assyst | \(f(m.assystSeconds, "%.1f")) |\n"
        for s in c.subsets { out += "| fits \(s) | \(f(m.fitSeconds[s], "%.1f")) |\n" }
        out += "| validation | \(f(m.validationSeconds, "%.1f")) |\n"
        out += "| figures | \(f(m.figureSeconds, "%.1f")) |\n"
        let total = [m.assystSeconds, m.validationSeconds, m.figureSeconds].compactMap { $0 }.reduce(0, +) + m.fitSeconds.values.reduce(0, +)
        out += "| total | \(f(total, "%.1f")) |\n\n"

        let front = Set(Pareto.front(results.map { (cost: $0.cost ?? .nan, error: $0.fullSetRMSE ?? .nan) }))
        let settings = StudyFigures.rangeLabels(c)
        out += "## Fits\n\n"
        out += "Training E RMSE: on the fit's own subset; whole set: on every configuration of the ASSYST set. "
        out += "E-V: mean RMSE over hcp, fcc, dhcp and bcc; vacancy: MAE of the formation energy over the four lattices. "
        out += "Cost: the best measurement of the fit's level and cutoff over the subsets (the sweeps' `CostMeter`). Pareto: on (cost, whole-set E RMSE). (limit): the fit stopped at --max-iter. "
        out += "Max grade: the largest extrapolation grade of any structure the validation evaluated, against the active set of the fit's subset, and its property (above 1: extrapolation; per property in the fit's report.md).\n\n"
        out += "| subset | level | cutoff (A) | parameters | iterations | fit wall (s) | cost (us/atom) | training E RMSE (meV/atom) | whole-set E RMSE (meV/atom) | whole-set F RMSE (eV/A) | E-V \(settings.near) (meV/atom) | E-V \(settings.far) (meV/atom) | vacancy MAE (eV) | max grade | Pareto |\n"
        out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|:---:|\n"
        for (i, r) in results.enumerated() {
            let rec = r.record, v = r.validation
            out += "| \(r.fit.subset) | \(r.fit.level) | \(String(format: "%.2f", r.fit.cutoff)) | \(rec.map { String($0.parameterCount) } ?? "-") | "
            out += (rec.map { String($0.iterations) + ($0.hitIterationLimit ? " (limit)" : "") } ?? "not fitted") + " | "
            out += "\(f(rec?.wallSeconds, "%.1f")) | \(f(r.cost, "%.3g")) | \(f(r.trainingRMSE, "%.3f")) | \(f(r.fullSetRMSE, "%.3f")) | "
            out += "\(f(v?.groupError("(all)")?.forceRMSE, "%.4f")) | \(f(v?.energyVolumeRMSE(range: settings.near), "%.2f")) | "
            out += "\(f(v?.energyVolumeRMSE(range: settings.far), "%.1f")) | \(f(v?.vacancyMAE, "%.3f")) | \(maxGrade(v)) | \(front.contains(i) ? "**yes**" : "") |\n"
        }
        out += "\n## Figures\n\n"
        for d in figures {
            let rel = d.images.map { ($0 as NSString).lastPathComponent.isEmpty ? $0 : "figures/" + ($0 as NSString).lastPathComponent }
            out += "- \(d.caption): " + (rel.isEmpty ? "no image (\(d.note ?? "not drawn"))" : rel.joined(separator: ", "))
                + " (data: figures/\((d.data as NSString).lastPathComponent))\n"
        }
        out += "\nPer fit: the sweep's record and log in fits/SUBSET/fits/, the validation report in validation/SUBSET/NAME/report.md.\n"
        return out
    }
}

