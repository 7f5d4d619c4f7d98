#if canImport(Glibc)
import Glibc
#endif
import CProcessSpawn

/// A program the host starts and talks to over pipes — a remote stdio MCP server, a plugin
/// runner, a discovery run — started with `posix_spawn` the way a host should start programs it
/// did not write:
///
/// - every signal at its default action and none blocked. The host ignores SIGPIPE (a client
///   that goes away must not kill it) and its worker threads block most signals; a child that
///   inherited that would not die of a broken pipe, of the SIGTERM that stops it, or of SIGXCPU
///   at its CPU limit;
/// - its own process group, so a terminal's Ctrl-C reaches the host, which stops its children
///   in order, rather than every child at once;
/// - no descriptor of the host's besides the three it is given: not its sockets, not the pipes
///   of its other children (a child holding another's stdin open would keep that one from ever
///   seeing end of file).
///
/// `wait()` (blocking) or `tryWait()` reaps the child once; `signal(_:)` is safe from any thread
/// at any time: it never reaches a recycled process id.
public final class SpawnedProcess: @unchecked Sendable {
    /// What the child's stdin is.
    public enum Input: Sendable { case pipe, null }
    /// What the child's stdout or stderr is: a pipe to us, the host's own, /dev/null, a file
    /// (created or truncated), or — for stderr — the same as its stdout.
    public enum Output: Sendable, Equatable { case pipe, inherit, null, file(String), stdout }
    /// How the child ended: "exited with status 1", "was killed by signal 11 (SIGSEGV)".
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        public var description: String {
            switch self {
            case .exited(let status): return "exited with status \(status)"
            case .signaled(let signal): return "was killed by \(Self.signal(signal))"
            }
        }

        /// "signal 11 (SIGSEGV)": the number, and the name of the signals a child commonly dies of.
        public static func signal(_ number: Int32) -> String {
            let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGKILL: "SIGKILL",
                                          SIGTERM: "SIGTERM", SIGILL: "SIGILL", SIGFPE: "SIGFPE",
                                          SIGXCPU: "SIGXCPU (CPU time limit)"]
            return "signal \(number)" + (names[number].map { " (\($0))" } ?? "")
        }
    }

    public let pid: pid_t
    /// Our end of the child's stdin (with `.pipe`); the caller closes it.
    public let input: Int32?
    /// Our end of the child's stdout (with `.pipe`); the caller closes it.
    public let output: Int32?

    private var mutex = pthread_mutex_t()
    // Protected by `mutex`.
    private var termination: Termination?

    private init(pid: pid_t, input: Int32?, output: Int32?) {
        self.pid = pid
        self.input = input
        self.output = output
        pthread_mutex_init(&mutex, nil)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    /// Starts `executable` (looked up on the `PATH` of `environment` when it has no `/`) with
    /// exactly `environment`, in `workingDirectory` (nil: the host's).
    public static func spawn(_ executable: String, arguments: [String], environment: [String: String],
                             workingDirectory: String? = nil, stdin: Input, stdout: Output,
                             stderr: Output = .inherit) throws(SpawnError) -> SpawnedProcess {
        let path = try resolve(executable, searchPath: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        var ours: [Int32] = []  // our ends, closed if the spawn fails
        var theirs: [Int32] = []  // the child's ends, closed here once it has them
        defer { for fd in theirs { close(fd) } }
        func pipePair() throws(SpawnError) -> (read: Int32, write: Int32) {
            var fds: [Int32] = [-1, -1]
            guard manifold_pipe_cloexec(&fds) == 0 else { throw SpawnError(executable: executable, errno: errno, step: "pipe") }
            return (fds[0], fds[1])
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var input: Int32?
        var output: Int32?
        do {
            switch stdin {
            case .pipe:
                let pair = try pipePair()
                ours.append(pair.write)
                theirs.append(pair.read)
                input = pair.write
                posix_spawn_file_actions_adddup2(&actions, pair.read, 0)
            case .null:
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            }
            for (target, wanted) in [(Int32(1), stdout), (Int32(2), stderr)] {
                switch wanted {
                case .pipe:
                    let pair = try pipePair()
                    ours.append(pair.read)
                    theirs.append(pair.write)
                    if target == 1 { output = pair.read }
                    posix_spawn_file_actions_adddup2(&actions, pair.write, target)
                case .inherit:
                    break
                case .null:
                    posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
                case .file(let file):
                    posix_spawn_file_actions_addopen(&actions, target, file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                case .stdout:
                    posix_spawn_file_actions_adddup2(&actions, 1, target)
                }
            }
        } catch {
            for fd in ours { close(fd) }
            throw error
        }
        manifold_spawn_add_closefrom(&actions, 3)
        if let workingDirectory { manifold_spawn_add_chdir(&actions, workingDirectory) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        var noSignal = sigset_t()
        sigemptyset(&noSignal)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setsigmask(&attributes, &noSignal)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let argv = [path] + arguments
        let environ = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let rc = withCStrings(argv) { cArguments in
            withCStrings(environ) { cEnvironment in
                posix_spawn(&pid, path, &actions, &attributes, cArguments, cEnvironment)
            }
        }
        guard rc == 0 else {
            for fd in ours { close(fd) }
            throw SpawnError(executable: executable, errno: rc, step: "exec")
        }
        return SpawnedProcess(pid: pid, input: input, output: output)
    }

    /// Blocks until the child ends and reaps it; later calls return the same answer at once.
    public func wait() -> Termination {
        if let known = locked({ termination }) { return known }
        // Wait without reaping, so that `signal` (which holds the lock) can never reach a process
        // id the system has already given to someone else; reap under the lock.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        return locked {
            if let known = termination { return known }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let ended = Self.termination(status)
            termination = ended
            return ended
        }
    }

    /// How the child ended if it has (reaping it), nil while it runs; never blocks.
    public func tryWait() -> Termination? {
        locked {
            if let known = termination { return known }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            let ended = Self.termination(status)
            termination = ended
            return ended
        }
    }

    private static func termination(_ status: Int32) -> Termination {
        (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
    }

    /// Whether the child has been reaped (`wait` returned).
    public var hasEnded: Bool { locked { termination != nil } }

    /// Sends `signal` to the child unless it has been reaped.
    public func signal(_ number: Int32) {
        locked {
            if termination == nil { kill(pid, number) }
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    /// The file to execute: `executable` itself when it names a path, else the first executable
    /// file of that name on `searchPath`.
    static func resolve(_ executable: String, searchPath: String) throws(SpawnError) -> String {
        if executable.contains("/") { return executable }
        for folder in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (folder.isEmpty ? "." : String(folder)) + "/" + executable
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw SpawnError(executable: executable, errno: ENOENT, step: "PATH")
    }
}

/// Why a child could not be started.
public struct SpawnError: Error, CustomStringConvertible, Sendable {
    public let executable: String
    public let errno: Int32
    /// "exec", "pipe" or "PATH" (not found on it).
    public let step: String

    public var description: String {
        let reason = String(cString: strerror(errno))
        switch step {
        case "PATH": return "'\(executable)' was not found on PATH"
        case "pipe": return "no pipe for '\(executable)': \(reason)"
        default: return "'\(executable)': \(reason)"
        }
    }
}

/// Runs `body` with a NULL-terminated array of C strings.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
