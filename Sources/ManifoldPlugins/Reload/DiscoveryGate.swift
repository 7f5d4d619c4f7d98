import Foundation
import Logging
import ManifoldIO
import ManifoldManifest
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Discovery in a runner (docs/RELOAD.md, decision 6): before a library the host has never seen
/// is loaded into the host process, `manifold runner --discover <plugin-manifest>` loads it in a
/// child process — open, entry, init, every list — and prints a one-line JSON summary.
///
/// - The child exits 0: the library's SHA-256 is recorded in `<cache>/discovered/<sha256>`, and
///   no later launch discovers it again (50 mounts of one library cost one discovery, once).
/// - The child is killed by a signal, or fails in any way other than a clean refusal: the SHA-256
///   is refused — in memory and in `<cache>/refused/<sha256>`, with the reason — and that
///   library is never loaded in-process, by this host or any later one. The error names the
///   plugin and the cause: "crashed during discovery: killed by signal 11 (SIGSEGV)".
/// - The child refuses the plugin cleanly (exit 2 with `{"ok":false,"error":…}`: a missing
///   entry, an ABI mismatch, init declining its config): nothing is recorded — the refusal may
///   depend on the manifest's config as much as on the library — and the in-process load goes
///   ahead, failing the same way, as safely, with the loader's precise reason.
///
/// `mode: .off` (host manifest `discovery: off`) loads libraries directly.
public final class DiscoveryGate: Sendable {
    public enum Mode: String, Sendable {
        case runner
        case off
    }

    public let mode: Mode
    public let cache: LibraryCache
    /// The `manifold` executable whose hidden `runner --discover` subcommand does the work.
    public let runnerExecutable: String
    /// How long one discovery may take before the child is killed (not recorded: a slow start
    /// is not a crash).
    public let timeout: Double
    private let logger: Logger

    private struct State {
        var discovered: Set<String> = []
        var refused: [String: String] = [:]
        /// How many runner processes were started (for tests and the log).
        var runs = 0
    }
    private let state = Mutex(State())

    public init(mode: Mode = .runner, cache: LibraryCache = .shared, runnerExecutable: String,
                timeout: Double = 30, logger: Logger) {
        self.mode = mode
        self.cache = cache
        self.runnerExecutable = runnerExecutable
        self.timeout = timeout
        self.logger = logger
    }

    /// Runner processes started so far.
    public var runs: Int { state.withLock { $0.runs } }

    /// The recorded reason `sha256` is refused, if it is.
    public func refusal(of sha256: String) -> String? {
        if let known = state.withLock({ $0.refused[sha256] }) { return known }
        guard let text = cache.record(in: cache.refusedFolder, sha256: sha256) else { return nil }
        let reason = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? text
        state.withLock { $0.refused[sha256] = reason }
        return reason
    }

    /// Throws unless `image` may be loaded in-process for `manifest` (runs the discovery child
    /// when the library is new).
    public func vet(_ manifest: PluginManifest, image: LibraryImage) throws(PluginLoadError) {
        guard mode == .runner else { return }
        func refuse(_ why: String) -> PluginLoadError {
            PluginLoadError(pluginID: manifest.id, library: image.source, reason: .discoveryFailed(why))
        }
        if let reason = refusal(of: image.sha256) {
            throw refuse("\(reason) (sha256 \(image.sha256) is refused: \(cache.refusedFolder)/\(image.sha256); a rebuilt library is tried again)")
        }
        if state.withLock({ $0.discovered.contains(image.sha256) }) { return }
        if cache.record(in: cache.discoveredFolder, sha256: image.sha256) != nil {
            state.withLock { _ = $0.discovered.insert(image.sha256) }
            return
        }
        switch run(manifest, image: image) {
        case .discovered(let summary):
            state.withLock { _ = $0.discovered.insert(image.sha256) }
            cache.writeRecord(in: cache.discoveredFolder, sha256: image.sha256, summary + "\n")
            logger.info("plugin '\(manifest.id)': discovered in a runner (\(summary))")
        case .refusedCleanly(let message):
            // Refused without crashing: loading it here fails the same way, as safely, and
            // gives the precise reason. Nothing is recorded (it may depend on the config).
            logger.debug("plugin '\(manifest.id)': refused cleanly during discovery: \(message)")
        case .crashed(let reason):
            state.withLock { $0.refused[image.sha256] = reason }
            cache.writeRecord(in: cache.refusedFolder, sha256: image.sha256,
                              "\(reason)\nplugin: \(manifest.id)\nlibrary: \(image.source)\nmanifest: \(manifest.file)\n")
            logger.error("plugin '\(manifest.id)' (\(image.source)): \(reason); sha256 \(image.sha256) is refused for in-process loading")
            throw refuse(reason)
        case .inconclusive(let reason):
            throw refuse(reason)
        }
    }

    enum Outcome {
        case discovered(String)
        case refusedCleanly(String)
        case crashed(String)
        case inconclusive(String)
    }

    /// Starts the runner, again if exec met ETXTBSY: the executable was open for writing in some
    /// process for an instant (a build that just replaced the binary).
    private static func launch(_ executable: String, _ arguments: [String], environment: [String: String],
                               errorLog: String) throws(SpawnError) -> SpawnedProcess {
        var attempts = 0
        while true {
            do {
                return try SpawnedProcess.spawn(executable, arguments: arguments, environment: environment,
                                                stdin: .null, stdout: .pipe, stderr: .file(errorLog))
            } catch {
                attempts += 1
                if error.errno != ETXTBSY || attempts >= 5 { throw error }
                usleep(20_000)
            }
        }
    }

    /// Runs `manifold runner --discover <manifest>` and reads its one line of output.
    func run(_ manifest: PluginManifest, image: LibraryImage) -> Outcome {
        state.withLock { $0.runs += 1 }
        var environment = ProcessInfo.processInfo.environment
        environment["MANIFOLD_CACHE_DIR"] = cache.root
        // A crash is the expected outcome here: report the signal, skip the (slow) backtrace.
        if environment["SWIFT_BACKTRACE"] == nil { environment["SWIFT_BACKTRACE"] = "enable=no" }
        // The child's log is kept aside: a clean refusal is logged again by the in-process load,
        // and a crash's last lines go into the host's log with the refusal.
        let errorLog = FileManager.default.temporaryDirectory.appendingPathComponent("manifold-discovery-\(getpid())-\(UUID().uuidString).log").path
        defer { unlink(errorLog) }
        let child: SpawnedProcess
        do {
            child = try Self.launch(runnerExecutable, ["runner", "--discover", manifest.file, "--library", image.loadPath],
                                    environment: environment, errorLog: errorLog)
        } catch {
            return .inconclusive("cannot start the discovery runner \(runnerExecutable): \(error)")
        }
        let timedOut = OnceFlag()
        let killer = DispatchWorkItem {
            if timedOut.claim() { child.signal(SIGTERM) }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let data = FileHandle(fileDescriptor: child.output!, closeOnDealloc: true).readDataToEndOfFile()
        let end = child.wait()
        killer.cancel()
        if !timedOut.claim() {
            return .inconclusive("discovery did not finish within \(Int(timeout))s (the runner was stopped)")
        }
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        let failed = end != .exited(0) && end != .exited(2)
        if failed, let log = FileManager.default.contents(atPath: errorLog), !log.isEmpty {
            let tail = String(decoding: log, as: UTF8.self).split(separator: "\n").suffix(8).joined(separator: "\n  ")
            logger.error("plugin '\(manifest.id)': the discovery runner's last words:\n  \(tail)")
        }
        let status: Int32
        switch end {
        case .signaled(let signal):
            return .crashed("crashed during discovery: killed by \(SpawnedProcess.Termination.signal(signal))")
        case .exited(let code):
            status = code
        }
        switch status {
        case 0:
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                return .crashed("failed during discovery: the runner printed no summary")
            }
            if let sha = object["sha256"] as? String, sha != image.sha256 {
                return .inconclusive("the library changed during discovery (\(sha) instead of \(image.sha256))")
            }
            return .discovered(line)
        case 2:
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            return .refusedCleanly((object?["error"] as? String) ?? "refused during discovery")
        default:
            return .crashed("failed during discovery: the runner exited with status \(status)")
        }
    }
}
