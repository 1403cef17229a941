import Foundation

/// One rank's queue of structures shared by its threads: hands out the
/// next position, keeps the finished records and the first journal error,
/// all behind one lock.
final class LabelWork: @unchecked Sendable {
    private let lock = NSLock()
    private let count: Int
    private var nextIndex = 0
    private var finished = 0
    private var records: [LabelRecord] = []
    private var failure: Error?

    init(count: Int) { self.count = count }

    /// The next position to do, nil when none is left (or journalling failed).
    func next() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard failure == nil, nextIndex < count else { return nil }
        nextIndex += 1
        return nextIndex - 1
    }

    /// Keeps `record` and journals it (under the lock: one line at a time).
    func finish(_ record: LabelRecord, journal: (LabelRecord) throws -> Void) {
        lock.lock(); defer { lock.unlock() }
        records.append(record)
        finished += 1
        do { try journal(record) } catch { failure = failure ?? error }
    }

    /// Whether every structure of this rank is done.
    var isLastDone: Bool {
        lock.lock(); defer { lock.unlock() }
        return finished == count
    }

    /// The records, or the journal error.
    func result() throws -> [LabelRecord] {
        lock.lock(); defer { lock.unlock() }
        if let failure { throw failure }
        return records.sorted { $0.index < $1.index }
    }
}

/// Rank 0's view of the whole run's progress: every rank's journal records
/// of this run's structures, read at most once a second.
final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private let journal: LabelJournal
    private let pending: Set<Int>
    private let start: Date
    private var last = Date.distantPast

    init(journal: LabelJournal, pending: Set<Int>, start: Date) {
        self.journal = journal; self.pending = pending; self.start = start
    }

    /// The progress now, or nil if the last report is under a second old
    /// (unless `force`).
    func poll(force: Bool) -> LabelProgress? {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard force || now.timeIntervalSince(last) >= 1 else { return nil }
        last = now
        let records = (try? journal.records()) ?? [:]
        var done = 0, failed = 0
        for (i, r) in records where pending.contains(i) {
            done += 1
            if !r.isLabelled { failed += 1 }
        }
        return LabelProgress(done: done, failed: failed, total: pending.count, elapsed: now.timeIntervalSince(start))
    }
}
