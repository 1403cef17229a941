import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why one exchange with a Python worker failed. `structure` failures
/// concern one request (the worker answered with an error, crashed or
/// timed out); `start` failures mean the worker cannot run at all.
public enum ASEWorkerError: Error, CustomStringConvertible, Equatable {
    case start(String)
    case structure(String)

    public var description: String {
        switch self {
        case .start(let s), .structure(let s): return s
        }
    }
}

/// One persistent Python process running `ase_worker.py` (see that file for
/// the line protocol). It is spawned with `posix_spawn`, its pipes are
/// close-on-exec in this process so that no other worker inherits them,
/// and its stderr goes to a log file whose tail explains a crash. A reply
/// is awaited with `poll`, so a worker past its deadline is killed. Used by
/// one thread at a time (an `ASECalculator` owns one).
final class ASEWorker {
    let launch: PythonLaunch
    let startupTimeout: Double
    private(set) var pid: pid_t = 0
    private var toWorker: Int32 = -1
    private var fromWorker: Int32 = -1
    private var buffer: [UInt8] = []
    let logPath: String
    /// The worker's greeting: ASE version and calculator class.
    private(set) var greeting = WorkerReply()

    init(launch: PythonLaunch, startupTimeout: Double = 600) {
        self.launch = launch
        self.startupTimeout = startupTimeout
        logPath = NSTemporaryDirectory() + "mtp-ase-\(getpid())-\(UUID().uuidString.prefix(8)).log"
    }

    deinit {
        stop()
        unlink(logPath)
    }

    var isRunning: Bool { pid > 0 }

    private static let spawnLock = NSLock()

    /// Spawns the worker and waits for its greeting; throws `.start` with
    /// the worker's own message when it cannot run.
    func start() throws {
        signal(SIGPIPE, SIG_IGN)   // a dead worker must not kill us when we write to it
        // Pipes are made close-on-exec and the worker spawned under one lock,
        // so a worker started by another thread never inherits these ends.
        try ASEWorker.spawnLock.withLock { try spawn() }
        let hello: WorkerReply
        do {
            hello = try readReply(timeout: startupTimeout)
        } catch let e as ASEWorkerError {
            stop()
            throw ASEWorkerError.start("the Python worker (\(launch.python)) did not start: \(e.description)")
        }
        if let fatal = hello.fatal {
            stop()
            throw ASEWorkerError.start(fatal)
        }
        guard hello.ready == true else {
            stop()
            throw ASEWorkerError.start("the Python worker sent an unexpected greeting")
        }
        greeting = hello
    }

    private func spawn() throws {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1]
        guard pipe(&inPipe) == 0, pipe(&outPipe) == 0 else {
            throw ASEWorkerError.start("cannot create pipes for the Python worker: \(String(cString: strerror(errno)))")
        }
        for fd in inPipe + outPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = [launch.python, "-u", launch.worker, launch.calculatorFile]
        let env = launch.environment.map { "\($0.key)=\($0.value)" }
        var cArgv = argv.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer { (cArgv + cEnv).forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawnp(&child, launch.python, &actions, nil, &cArgv, &cEnv)
        close(inPipe[0]); close(outPipe[1])
        guard rc == 0 else {
            close(inPipe[1]); close(outPipe[0])
            throw ASEWorkerError.start("cannot run Python '\(launch.python)': \(String(cString: strerror(rc))) (install it, run `bash scripts/python-env.sh`, or set MTP_PYTHON)")
        }
        pid = child
        toWorker = inPipe[1]
        fromWorker = outPipe[0]
        buffer = []
    }

    /// Sends one request and returns the reply; on a timeout, a crash or a
    /// broken reply the worker is stopped (the caller restarts it) and a
    /// `.structure` failure is thrown.
    func exchange(_ request: WorkerRequest, timeout: Double?) throws -> WorkerReply {
        if !isRunning { try start() }
        var line = try JSONEncoder().encode(request)
        line.append(0x0A)
        let written = line.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(toWorker, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; return false }
                offset += n
            }
            return true
        }
        guard written else {
            let why = exitReason()
            throw ASEWorkerError.structure("the Python worker died before the request (\(why))")
        }
        let reply = try readReply(timeout: timeout)
        if let fatal = reply.fatal {
            stop()
            throw ASEWorkerError.structure((reply.error ?? "") + "; worker stopped: " + fatal)
        }
        return reply
    }

    /// Reads one reply line, waiting at most `timeout` seconds (nil: forever).
    private func readReply(timeout: Double?) throws -> WorkerReply {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = Data(buffer[..<newline])
                buffer.removeSubrange(...newline)
                guard let object = try? JSONDecoder().decode(WorkerReply.self, from: line) else {
                    stop()
                    throw ASEWorkerError.structure("the Python worker sent a line that is not a JSON object: \(String(decoding: line.prefix(120), as: UTF8.self))")
                }
                return object
            }
            var wait: Int32 = -1
            if let deadline {
                let left = deadline.timeIntervalSinceNow
                if left <= 0 {
                    stop()
                    throw ASEWorkerError.structure("timeout: no result after \(String(format: "%g", timeout!)) s (worker killed and restarted)")
                }
                wait = Int32(min(left * 1000 + 1, 1_000_000))
            }
            var fds = pollfd(fd: fromWorker, events: Int16(POLLIN), revents: 0)
            let ready = poll(&fds, 1, wait)
            if ready < 0 { if errno == EINTR { continue }; throw ASEWorkerError.structure("poll failed: \(String(cString: strerror(errno)))") }
            if ready == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = read(fromWorker, &chunk, chunk.count)
            if n < 0 { if errno == EINTR { continue }; throw ASEWorkerError.structure("read failed: \(String(cString: strerror(errno)))") }
            if n == 0 {
                let why = exitReason()
                throw ASEWorkerError.structure("the Python worker exited (\(why))")
            }
            buffer += chunk[..<n]
        }
    }

    /// Waits for an exited worker and describes how it ended, with the last
    /// line of its stderr; the worker is stopped afterwards.
    private func exitReason() -> String {
        var status: Int32 = 0
        var why = "no exit status"
        if pid > 0 {
            var r: pid_t
            repeat { r = waitpid(pid, &status, 0) } while r < 0 && errno == EINTR
            if r == pid {
                let signalled = (status & 0x7f) != 0
                why = signalled ? "killed by signal \(status & 0x7f)" : "exit status \((status >> 8) & 0xff)"
            }
            pid = 0
        }
        stop()
        if let tail = lastLogLine() { why += "; last stderr line: \(tail)" }
        return why
    }

    func lastLogLine() -> String? {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return nil }
        let line = text.split(separator: "\n").last.map(String.init)?.trimmingCharacters(in: .whitespaces)
        guard let line, !line.isEmpty else { return nil }
        return line.count > 200 ? String(line.prefix(200)) + "..." : line
    }

    /// Kills the worker (if running) and closes its pipes.
    func stop() {
        if toWorker >= 0 { close(toWorker); toWorker = -1 }
        if fromWorker >= 0 { close(fromWorker); fromWorker = -1 }
        if pid > 0 {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            var r: pid_t
            repeat { r = waitpid(pid, &status, 0) } while r < 0 && errno == EINTR
            pid = 0
        }
        buffer = []
    }
}

/// One structure as the worker receives it (ASE's `Atoms` arguments).
struct WorkerRequest: Encodable {
    var numbers: [Int]
    var cell: [[Double]]
    var pbc: [Bool]
    var positions: [[Double]]
}

/// Every field a worker line may carry (see ase_worker.py).
struct WorkerReply: Decodable {
    var ready: Bool?
    var ase: String?
    var calculator: String?
    var fatal: String?
    var error: String?
    var energy: Double?
    var forces: [[Double]]?
    var stress: [Double]?
}
