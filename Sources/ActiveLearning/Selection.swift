import Atomistic
import MTP
import Parallel

/// The outcome of choosing new configurations for labelling.
public struct Selection: Sendable {
    /// Candidate indices (0-based, ascending) chosen for labelling.
    public var configurations: [Int]
    /// Every candidate's grade against the training set's active set, in candidate order.
    public var grades: [Double]
    /// MaxVol swaps made.
    public var swaps: Int
    /// Rows of the enlarged set that come from the chosen candidates.
    public var rowsAdded: Int
}

extension ActiveSet {
    /// The candidates that most enlarge the set (MLIP's `select-add`): only
    /// candidates grading above `threshold` compete; MaxVol then swaps their
    /// rows into the set while some row has a coefficient above `threshold`,
    /// each swap multiplying the set's volume by that coefficient. Rows
    /// inside the training span never get in, and of several similar
    /// extrapolating candidates only the ones that still add volume after the
    /// first is in are chosen. With `limit`, at most that many candidates
    /// hold rows of the set at any time; once full, only rows of candidates
    /// already in it may be swapped.
    ///
    /// Distributed like `build`: each rank passes its contiguous shard of the
    /// candidates; every rank must call it and gets the same answer.
    public func select(candidates local: [Configuration], first: Int, threshold: Double, limit: Int? = nil,
                       communicator comm: Communicator? = nil) throws -> Selection {
        precondition(threshold >= 1, "threshold below 1 would select from inside the training span")
        let r = rank
        var coeffs: [Double] = []      // C rows of competing candidates, relative to the training set's A
        var owners: [Double] = []      // candidate index per row
        var grades: [Double] = []
        var failure: String? = nil
        for (n, c) in local.enumerated() {
            do {
                var rows: [Double] = []
                var labels: [RowLabel]? = nil
                let k = try maker.append(c, index: first + n, to: &rows, labels: &labels)
                let gam = rowGrades(rows, count: k)
                let gMax = gam.max() ?? 0
                grades.append(gMax)
                guard gMax > threshold else { continue }
                let cr = coefficients(rows, count: k)
                for q in 0..<k where gam[q] > 1 {
                    // Rows touching a parameter the training set never moves
                    // cannot be expressed in the set's basis; their finite
                    // part still competes.
                    coeffs += cr[(q * r)..<((q + 1) * r)]
                    owners.append(Double(first + n))
                }
            } catch {
                failure = "candidate \(first + n + 1): \(error)"
                break
            }
        }
        if let comm {
            if let message = Collective.firstFailure(failure, comm) { throw ActiveSetError(message) }
        } else if let failure { throw ActiveSetError(failure) }
        let allC = comm.map { $0.allGatherOrdered(coeffs) } ?? coeffs
        let allOwners = (comm.map { $0.allGatherOrdered(owners) } ?? owners).map { Int($0) }
        let allGrades = comm.map { $0.allGatherOrdered(grades) } ?? grades

        let result: [Double]
        do {
            result = try Collective.doublesFromRoot(comm) { try extend(coefficients: allC, owners: allOwners, threshold: threshold, limit: limit) }
        } catch let e as CollectiveFailure { throw ActiveSetError(e.message) } catch { throw ActiveSetError("\(error)") }
        return Selection(configurations: result.dropFirst(2).map { Int($0) }, grades: allGrades,
                         swaps: Int(result[0]), rowsAdded: Int(result[1]))
    }

    /// MaxVol over the training set's rows plus the candidate rows, starting
    /// from the training set: returns [swaps, rows added, chosen candidates...].
    func extend(coefficients c0: [Double], owners: [Int], threshold: Double, limit: Int?) throws -> [Double] {
        let r = rank
        let m = owners.count
        guard m > 0 else { return [0, 0] }
        // The candidates' rows in projected coordinates, U = C A, to restart
        // from exact coefficients now and then.
        var u = [Double](repeating: 0, count: m * r)
        c0.withUnsafeBufferPointer { cp in active.withUnsafeBufferPointer { ap in u.withUnsafeMutableBufferPointer { up in
            Dense.multiply(cp.baseAddress!, ap.baseAddress!, m: m, k: r, n: r, into: up.baseAddress!)
        }}}
        var c = c0
        var occupant = [Int?](repeating: nil, count: r)   // candidate row holding position j, nil: training row
        var col = [Double](repeating: 0, count: m), row = [Double](repeating: 0, count: r)
        var swaps = 0
        let maxSwaps = 100 * r + 10 * m
        while swaps < maxSwaps {
            var eligible: [Bool]? = nil
            if let limit {
                let inSet = Set(occupant.compactMap { $0.map { owners[$0] } })
                if inSet.count >= limit { eligible = owners.map { inSet.contains($0) } }
            }
            let (best, i, j) = MaxVol.largest(c, rows: m, cols: r, eligible: eligible)
            if i < 0 || best <= threshold { break }
            MaxVol.swap(&c, rows: m, cols: r, row: i, position: j, colBuffer: &col, rowBuffer: &row)
            occupant[j] = i
            swaps += 1
            if swaps % max(r, 16) == 0 {
                // The rank-one updates drift slowly; start afresh now and then.
                var a = active
                for (q, o) in occupant.enumerated() { if let o { for x in 0..<r { a[q * r + x] = u[o * r + x] } } }
                let f = try LUFactors(rowMajor: a, n: r)
                c = u
                c.withUnsafeMutableBufferPointer { cp in for q in 0..<m { f.solveRight(cp.baseAddress! + q * r) } }
            }
        }
        let rows = occupant.compactMap { $0 }
        let chosen = Set(rows.map { owners[$0] }).sorted()
        return [Double(swaps), Double(rows.count)] + chosen.map(Double.init)
    }
}
