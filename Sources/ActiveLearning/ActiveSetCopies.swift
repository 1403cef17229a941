import Foundation
import Atomistic

extension ActiveSet {
    /// An independent copy of the set: the same rows and factors, its own
    /// evaluator and buffers. Grading reuses buffers, so threads that grade
    /// at the same time each need one; copying avoids reading the set file
    /// or redoing MaxVol once per thread.
    public func copy() throws -> ActiveSet {
        try ActiveSet(potential: potential, options: options, selected: selected, potentialDigest: potentialDigest,
                      trainingDigest: trainingDigest, trainingCount: trainingCount,
                      maxTrainingCoefficient: maxTrainingCoefficient, zeroParameters: zeroParameters,
                      droppedDirections: droppedDirections, singularValues: singularValues,
                      projection: projection, active: active)
    }

    /// Makes graders for callers that grade on several threads (validation
    /// tasks): each call returns a grade function over its own copy of the
    /// set, so one call per thread or task is safe. Copies are made one at a
    /// time: making one sets OpenBLAS's thread count, which is global.
    public func graderFactory() -> () throws -> (Configuration) throws -> Double {
        let original = self
        let lock = NSLock()
        return {
            lock.lock()
            defer { lock.unlock() }
            let mine = try original.copy()
            return { try mine.grade(of: $0) }
        }
    }
}
