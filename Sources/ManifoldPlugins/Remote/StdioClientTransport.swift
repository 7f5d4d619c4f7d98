import Foundation
import ManifoldIO
import Synchronization

/// A backend that is a child process speaking MCP over its stdin/stdout: a remote stdio MCP
/// server, or Manifold's own runner for an isolated plugin. It is started as a `SpawnedProcess`
/// (default signals, its own process group, no inherited descriptors); its stderr is the host's
/// (so its logs land in the host's log). Messages are read on a dedicated thread with blocking
/// reads.
public final class StdioClientTransport: ClientTransport {
    public let executable: String
    public let arguments: [String]
    public let environment: [String: String]
    public let workingDirectory: String?
    private struct State {
        var child: SpawnedProcess?
        var writer: FrameWriter?
        var closing = false
        /// Why the host stopped the child (it stopped reading its stdin) and the last signal
        /// sent for it: the reason `onClose` reports if the child ended of that signal.
        var stop: (reason: String, signal: Int32)?
    }
    private let state = Mutex(State())

    /// `executable` is looked up on the `PATH` of the child's environment when it has no slash.
    /// `environment` is added to the host's environment.
    public init(executable: String, arguments: [String], environment: [String: String] = [:],
                workingDirectory: String? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    public func start(onMessage: @escaping @Sendable ([UInt8], Int?) -> Void,
                      onClose: @escaping @Sendable (String) -> Void) throws {
        let child = try SpawnedProcess.spawn(
            executable, arguments: arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new },
            workingDirectory: workingDirectory, stdin: .pipe, stdout: .pipe, stderr: .inherit)
        let name = executable
        let writer = FrameWriter(fd: child.input!, closesDescriptor: true) { [weak self] error in
            // A child that no longer reads its requests cannot answer them: stop it, so its
            // calls fail now (through onClose) instead of at the client's timeout.
            let reason = "'\(name)' stopped reading its input (\(String(cString: strerror(error))))"
            self?.stop(because: reason)
        }
        state.withLock { s in
            s.child = child
            s.writer = writer
        }
        let readFD = child.output!
        let thread = Thread {
            var reader = LineReader(fd: readFD, chunk: 64 * 1024)
            while let line = reader.next() { onMessage(line, nil) }
            let end = child.wait()
            Glibc.close(readFD)
            // Its stdin closes when the last send holding the writer is done.
            self.state.withLock { $0.writer = nil }
            onClose(self.describe(end, name: name))
        }
        thread.name = "manifold.stdio-client"
        thread.start()
    }

    public func send(_ message: [UInt8], requestID: Int?) {
        state.withLock { $0.writer }?.write(message)
    }

    public func close() {
        let child = state.withLock { s -> SpawnedProcess? in
            s.closing = true
            return s.child
        }
        child?.signal(SIGTERM)
    }

    /// Stops the child (SIGTERM now, SIGKILL if it still runs two seconds later); `reason` is
    /// what `onClose` will report instead of the exit status.
    private func stop(because reason: String) {
        let child = state.withLock { s -> SpawnedProcess? in
            guard s.stop == nil, !s.closing, let child = s.child, !child.hasEnded else { return nil }
            s.stop = (reason, SIGTERM)
            return child
        }
        guard let child else { return }
        child.signal(SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { [weak self] in
            guard !child.hasEnded else { return }
            self?.state.withLock { $0.stop?.signal = SIGKILL }
            child.signal(SIGKILL)
        }
    }

    /// Why the child ended: the host's reason when the host's signal ended it, else its exit.
    private func describe(_ end: SpawnedProcess.Termination, name: String) -> String {
        if let stop = state.withLock({ $0.stop }), end == .signaled(stop.signal) { return stop.reason }
        return Self.describe(end, name: name)
    }

    /// The child's process id (for tests and `inspect`).
    public var processIdentifier: Int32? { state.withLock { $0.child?.pid } }

    /// "'name' exited with status 1", "'name' was killed by signal 11 (SIGSEGV)".
    static func describe(_ end: SpawnedProcess.Termination, name: String) -> String { "'\(name)' \(end)" }
}
