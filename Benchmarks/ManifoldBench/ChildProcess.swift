#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ManifoldIO

/// A server under test, started as a `SpawnedProcess` (ManifoldIO: default signals, its own
/// process group, no inherited descriptors). Its stdin and stdout are pipes to this process
/// (stdio servers) or /dev/null (HTTP servers); its stderr goes to a log file that is shown when
/// it fails. Everything it starts (runner children, a remote Python server) is found through
/// /proc for the peak-RSS figure and stopped with it.
final class ChildProcess {
    let pid: pid_t
    let label: String
    let logPath: String
    /// Our end of its stdin (-1 when not a pipe).
    private(set) var input: Int32
    /// Our end of its stdout (-1 when not a pipe).
    let output: Int32
    let startedAt: UInt64
    private let process: SpawnedProcess

    private init(process: SpawnedProcess, label: String, logPath: String, startedAt: UInt64) {
        self.process = process
        self.pid = process.pid
        self.label = label
        self.logPath = logPath
        self.input = process.input ?? -1
        self.output = process.output ?? -1
        self.startedAt = startedAt
    }

    /// Starts `argv` (argv[0] is looked up on PATH when it has no slash). `pipes`: stdin and
    /// stdout are pipes to us; else both are /dev/null. `environment` is added to ours.
    static func spawn(_ argv: [String], label: String, pipes: Bool, logPath: String,
                      environment: [String: String] = [:]) throws -> ChildProcess {
        let env = inheritedEnvironment().merging(environment) { _, new in new }
        let startedAt = nowNanos()
        do {
            let process = try SpawnedProcess.spawn(argv[0], arguments: Array(argv.dropFirst()), environment: env,
                                                   stdin: pipes ? .pipe : .null, stdout: pipes ? .pipe : .null,
                                                   stderr: .file(logPath))
            return ChildProcess(process: process, label: label, logPath: logPath, startedAt: startedAt)
        } catch {
            throw BenchFailure("cannot start \(argv.joined(separator: " ")): \(error)")
        }
    }

    /// Whether the process is still running (reaps it if it exited).
    var isRunning: Bool { process.tryWait() == nil }

    /// The last lines of its stderr, for error messages.
    func logTail(_ lines: Int = 15) -> String {
        let text = readFile(logPath) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Every process started by this one, transitively (from /proc).
    func descendants() -> [pid_t] {
        var parents: [pid_t: [pid_t]] = [:]
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard let child = pid_t(name), let stat = readFile("/proc/\(name)/stat", limit: 4096),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = pid_t(fields[1]) { parents[parent, default: []].append(child) }
        }
        var result: [pid_t] = []
        var queue = parents[pid] ?? []
        while let next = queue.popLast() {
            result.append(next)
            queue += parents[next] ?? []
        }
        return result
    }

    /// Peak resident set size (VmHWM) of the process plus every descendant, in KiB. Read it
    /// before stopping the server.
    func treePeakRSSKiB() -> Int {
        ([pid] + descendants()).reduce(0) { $0 + Self.peakRSSKiB(of: $1) }
    }

    /// CPU time (user + system, all threads) of the process and its descendants, in seconds.
    func treeCPUSeconds() -> Double {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ([pid] + descendants()).reduce(0.0) { total, p in
            guard let stat = readFile("/proc/\(p)/stat", limit: 4096), let close = stat.lastIndex(of: ")") else { return total }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // After the command: state(0) ppid(1) … utime(11) stime(12).
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return total }
            return total + (user + system) / ticks
        }
    }

    static func peakRSSKiB(of pid: pid_t) -> Int {
        guard let status = readFile("/proc/\(pid)/status") else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    /// Ends the server and everything it started: closes its stdin (a stdio server's cue to
    /// exit), then SIGTERM, then SIGKILL — each by process id, after a grace period.
    func stop(grace: Double = 3) {
        let family = descendants()
        if input >= 0 {
            close(input)
            input = -1
        }
        if !waitForExit(seconds: input < 0 && output >= 0 ? grace : 0.05) {
            process.signal(SIGTERM)
            if !waitForExit(seconds: grace) {
                process.signal(SIGKILL)
                _ = waitForExit(seconds: 2)
            }
        }
        if output >= 0 { close(output) }
        // Children that outlived their parent (a runner, a remote server): by pid, ours only.
        for child in family where kill(child, 0) == 0 {
            kill(child, SIGTERM)
        }
        let deadline = nowNanos() + 2_000_000_000
        for child in family {
            while kill(child, 0) == 0 && nowNanos() < deadline { usleep(10_000) }
            if kill(child, 0) == 0 { kill(child, SIGKILL) }
        }
    }

    private func waitForExit(seconds: Double) -> Bool {
        let deadline = nowNanos() + UInt64(seconds * 1e9)
        while isRunning {
            if nowNanos() >= deadline { return false }
            usleep(2_000)
        }
        return true
    }
}

/// This process's environment, as `SpawnedProcess` takes it.
func inheritedEnvironment() -> [String: String] {
    var environment: [String: String] = [:]
    var entry = environ
    while let pointer = entry.pointee {
        let text = String(cString: pointer)
        if let eq = text.firstIndex(of: "=") { environment[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
        entry += 1
    }
    return environment
}
