import Dispatch
import Foundation
import Logging
import ManifoldCore
import ManifoldManifest
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Keeps a served composition in step with its files (docs/RELOAD.md): watches the host
/// manifest, the plugin and drop-in folders and every loaded plugin's manifest and library, and
/// on a change — or SIGHUP — re-reads the host manifest and re-assembles.
///
/// A reload is one pass on one serial queue:
/// 1. read the host manifest; if it does not parse, keep the last good one (the error, with
///    file:line:column and key, is logged once);
/// 2. assemble again: unchanged plugins are the same providers, changed ones are reloaded side
///    by side (see `ReloadableProvider`), new ones (a drop-in) are loaded;
/// 3. `HostComposition.replace(tree:)`: clients get `list_changed` where their lists differ;
/// 4. retire what the new tree no longer uses (drained, then shut down or stopped);
/// 5. watch the new set of folders.
///
/// Endpoints keep listening as they are: adding or removing a listener, or changing its address,
/// path or settings, needs a restart (the reload logs that it was not applied). A changed tag
/// filter of an endpoint that is still there is taken into the snapshot, and `serve` applies it
/// to the endpoint's view — sessions already open included (docs/RELOAD.md, decision 5).
public final class HostSupervisor: Sendable {
    /// The state after the last reload.
    public struct Snapshot: Sendable {
        public var manifest: HostManifest
        public var assembly: HostAssembler.Assembly
        /// Reload passes so far.
        public var passes: Int
        /// Why the host manifest on disk is not the one being served, if it is not.
        public var manifestError: String?
    }

    private let path: String
    private let assembler: HostAssembler
    public let composition: HostComposition
    private let logger: Logger
    private let queue = DispatchQueue(label: "manifold.reload")
    private let settle: Double

    private struct State {
        var snapshot: Snapshot
        var watcher: FolderWatcher?
        var signal: SignalSource?
        var handlers: [@Sendable (Snapshot) -> Void] = []
        var stopped = false
    }
    private let state: Mutex<State>

    /// `assembly` is what `assembler` produced for `manifest` and `composition` serves.
    public init(manifest: HostManifest, assembly: HostAssembler.Assembly, assembler: HostAssembler,
                composition: HostComposition, logger: Logger, settle: Double = 0.05) {
        self.path = manifest.file
        self.assembler = assembler
        self.composition = composition
        self.logger = logger
        self.settle = settle
        self.state = Mutex(State(snapshot: Snapshot(manifest: manifest, assembly: assembly, passes: 0, manifestError: nil)))
    }

    public var snapshot: Snapshot { state.withLock { $0.snapshot } }

    /// Runs `handler` after every reload pass (on the reload queue).
    public func onReload(_ handler: @escaping @Sendable (Snapshot) -> Void) {
        state.withLock { $0.handlers.append(handler) }
    }

    /// Starts watching files (when `watching`) and reloading on SIGHUP (when `sighup`).
    public func start(watching: Bool, sighup: Bool) throws {
        if watching {
            let watcher = try FolderWatcher(settle: settle, queue: queue, logger: logger) { [weak self] changes in
                guard let self else { return }
                let shown = changes.prefix(3).map(\.description).joined(separator: ", ")
                self.reloadOnQueue(reason: shown + (changes.count > 3 ? ", … (\(changes.count) changes)" : ""))
            }
            watcher.update(snapshot.assembly.watch)
            state.withLock { $0.watcher = watcher }
        }
        if sighup {
            signal(SIGHUP, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
            source.setEventHandler { [weak self] in self?.reloadOnQueue(reason: "SIGHUP") }
            source.resume()
            let box = SignalSource(source)
            state.withLock { $0.signal = box }
        }
    }

    /// Stops watching; the composition keeps serving as it is.
    public func stop() {
        let (watcher, signal) = state.withLock { s -> (FolderWatcher?, SignalSource?) in
            s.stopped = true
            defer {
                s.watcher = nil
                s.signal = nil
            }
            return (s.watcher, s.signal)
        }
        watcher?.stop()
        signal?.source.cancel()
    }

    /// The folders being watched (for tests and `inspect`).
    public var watchedFolders: Set<String> { state.withLock { $0.watcher?.watchedFolders ?? [] } }

    /// Reloads soon, on the reload queue.
    public func reload(reason: String) {
        queue.async { self.reloadOnQueue(reason: reason) }
    }

    /// Reloads now and returns when done (tests).
    public func reloadNow(reason: String) {
        queue.sync { self.reloadOnQueue(reason: reason) }
    }

    private func reloadOnQueue(reason: String) {
        guard !state.withLock({ $0.stopped }) else { return }
        let previous = snapshot
        logger.info("reloading (\(reason))")
        var manifest = previous.manifest
        var manifestError: String?
        do {
            let read = try ManifestLoader.loadHost(path: path)
            manifest = read
            manifest.endpoints = Self.servedEndpoints(previous: previous.manifest.endpoints, read: read.endpoints,
                                                      logger: logger, path: path)
        } catch {
            manifestError = "\(error)"
            if previous.manifestError != manifestError {
                logger.error("host manifest not reloaded, the running composition is kept: \(error)")
            }
        }
        let assembly = assembler.assemble(manifest)
        composition.replace(tree: assembly.tree)
        for provider in assembler.takeUnreferenced() {
            logger.info("\(provider.displayName) unmounted; retiring it once its calls in flight are done")
            (provider as? ReloadableProvider)?.retire()
            (provider as? RetirableProvider)?.retire()
        }
        let next = Snapshot(manifest: manifest, assembly: assembly, passes: previous.passes + 1, manifestError: manifestError)
        let (watcher, handlers) = state.withLock { s -> (FolderWatcher?, [@Sendable (Snapshot) -> Void]) in
            s.snapshot = next
            return (s.watcher, s.handlers)
        }
        watcher?.update(assembly.watch)
        for handler in handlers { handler(next) }
    }
}

extension HostSupervisor {
    /// The endpoints after a reload: the ones being served (listeners are not restarted), each
    /// with the tag filter the manifest now gives the endpoint of the same position and
    /// transport. Any other change is logged as needing a restart.
    static func servedEndpoints(previous: [EndpointSpec], read: [EndpointSpec], logger: Logger, path: String)
        -> [EndpointSpec]
    {
        var served = previous
        var unapplied = previous.count != read.count
        for index in served.indices where index < read.count {
            guard served[index].transport == read[index].transport else {
                unapplied = true
                continue
            }
            let filter = read[index].filter
            guard filter != served[index].filter else { continue }
            if (try? HostAssembler.filter(filter)) == nil {
                logger.warning("\(read[index].location): the endpoint's new filter is not valid; the old one is kept")
                continue
            }
            logger.info("\(read[index].location): the endpoint's filter changed; applied to its sessions")
            served[index].filter = filter
        }
        if unapplied {
            logger.warning("\(path): endpoints were added, removed or changed (address, path or settings); those changes take effect at the next restart")
        }
        return served
    }
}

/// A dispatch signal source, held across threads (it is only created and cancelled).
final class SignalSource: @unchecked Sendable {
    let source: any DispatchSourceSignal
    init(_ source: any DispatchSourceSignal) { self.source = source }
}
