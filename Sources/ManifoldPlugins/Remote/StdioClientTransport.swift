import Foundation
import ManifoldIO
import Synchronization

/// A backend that is a child process speaking MCP over its stdin/stdout: a remote stdio MCP
/// server, or Manifold's own runner for an isolated plugin. Its stderr is the host's (so its
/// logs land in the host's log). Messages are read on a dedicated thread with blocking reads.
public final class StdioClientTransport: ClientTransport {
    public let executable: String
    public let arguments: [String]
    public let environment: [String: String]
    public let workingDirectory: String?
    private struct State {
        var process: Process?
        var writer: FrameWriter?
        var closing = false
        /// Why the host stopped the child (it stopped reading its stdin) and the last signal
        /// sent for it: the reason `onClose` reports if the child ended of that signal.
        var stop: (reason: String, signal: Int32)?
    }
    private let state = Mutex(State())

    /// `executable` is looked up on PATH when it has no slash. `environment` is added to the
    /// host's environment.
    public init(executable: String, arguments: [String], environment: [String: String] = [:],
                workingDirectory: String? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    public func start(onMessage: @escaping @Sendable ([UInt8], Int?) -> Void,
                      onClose: @escaping @Sendable (String) -> Void) throws {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        let toChild = Pipe()
        let fromChild = Pipe()
        process.standardInput = toChild
        process.standardOutput = fromChild
        process.standardError = FileHandle.standardError
        try withUnblockedSignals { try process.run() }
        let readFD = fromChild.fileHandleForReading.fileDescriptor
        let name = executable
        let writer = FrameWriter(fd: toChild.fileHandleForWriting.fileDescriptor) { [weak self] error in
            // A child that no longer reads its requests cannot answer them: stop it, so its
            // calls fail now (through onClose) instead of at the client's timeout.
            let reason = "'\(name)' stopped reading its input (\(String(cString: strerror(error))))"
            self?.stop(because: reason)
        }
        state.withLock { s in
            s.process = process
            s.writer = writer
        }
        let thread = Thread {
            var reader = LineReader(fd: readFD, chunk: 64 * 1024)
            while let line = reader.next() { onMessage(line, nil) }
            process.waitUntilExit()
            // Keep the pipes open until the child is gone.
            withExtendedLifetime((toChild, fromChild)) {}
            onClose(self.describeEnd(of: process, name: name))
        }
        thread.name = "manifold.stdio-client"
        thread.start()
    }

    public func send(_ message: [UInt8], requestID: Int?) {
        state.withLock { $0.writer }?.write(message)
    }

    public func close() {
        let process = state.withLock { s -> Process? in
            s.closing = true
            return s.process
        }
        guard let process, process.isRunning else { return }
        process.terminate()
    }

    /// Stops the child (SIGTERM now, SIGKILL if it still runs two seconds later); `reason` is
    /// what `onClose` will report instead of the exit status.
    private func stop(because reason: String) {
        let process = state.withLock { s -> Process? in
            guard s.stop == nil, !s.closing, let process = s.process, process.isRunning else { return nil }
            s.stop = (reason, SIGTERM)
            return process
        }
        guard let process else { return }
        process.terminate()
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { [weak self] in
            guard process.isRunning else { return }
            self?.state.withLock { $0.stop?.signal = SIGKILL }
            kill(process.processIdentifier, SIGKILL)
        }
    }

    /// Why the child ended: the host's reason when the host's signal ended it, else its exit.
    private func describeEnd(of process: Process, name: String) -> String {
        if let stop = state.withLock({ $0.stop }), process.terminationReason == .uncaughtSignal,
            process.terminationStatus == stop.signal
        {
            return stop.reason
        }
        return Self.describeExit(of: process, name: name)
    }

    /// The child's process id (for tests and `inspect`).
    public var processIdentifier: Int32? { state.withLock { $0.process?.processIdentifier } }

    static func describeExit(of process: Process, name: String) -> String {
        let status = process.terminationStatus
        switch process.terminationReason {
        case .exit:
            return "'\(name)' exited with status \(status)"
        case .uncaughtSignal:
            return "'\(name)' was killed by signal \(status)\(signalName(status).map { " (\($0))" } ?? "")"
        @unknown default:
            return "'\(name)' ended (status \(status))"
        }
    }

    static func signalName(_ signal: Int32) -> String? {
        switch signal {
        case SIGSEGV: return "SIGSEGV"
        case SIGABRT: return "SIGABRT"
        case SIGBUS: return "SIGBUS"
        case SIGKILL: return "SIGKILL"
        case SIGTERM: return "SIGTERM"
        case SIGILL: return "SIGILL"
        case SIGFPE: return "SIGFPE"
        case SIGXCPU: return "SIGXCPU (CPU time limit)"
        default: return nil
        }
    }
}

/// Runs `body` (a process launch) with no signal blocked on the calling thread, so the child
/// starts with an empty signal mask. A child inherits its parent thread's mask, and dispatch's
/// worker threads block most signals: a runner started from one would not die of SIGXCPU at its
/// CPU limit (only of SIGKILL a second later), nor a remote server of SIGTERM at `close()`.
func withUnblockedSignals<T>(_ body: () throws -> T) rethrows -> T {
    var none = sigset_t()
    var saved = sigset_t()
    sigemptyset(&none)
    pthread_sigmask(SIG_SETMASK, &none, &saved)
    defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
    return try body()
}
