import ArgumentParser
import Foundation
import Logging
import ManifoldCore
import ManifoldManifest
import ManifoldPlugins
import ManifoldProtocol
import ManifoldServer
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `manifold inspect <manifest>`: the composed tree — each mount with its prefix, mode, filter
/// and state; every exposed name with its tags; what each filter removed and why; and what
/// each endpoint shows.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the composed surface: mounts, exposed names with tags, and what each filter removed.")

    @OptionGroup var host: HostOptions

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Flag(name: .long, help: "Show the state of the running `manifold serve` of this manifest (plugins crashed, reloaded, unmounted) instead of loading it here.")
    var live = false

    func run() throws {
        let protocolFD = ProtocolStdout.claim()
        if live {
            let out = TextOutput(fd: protocolFD)
            let published = try LiveStatus.read(manifest: host.manifest)
            out.write(json ? published.json + "\n" : published.text)
            return
        }
        let loaded = try LoadedHost.load(host)
        let report = try InspectionReport(loaded)
        let out = TextOutput(fd: protocolFD)
        if json {
            out.line(report.json.jsonText)
        } else {
            out.write(report.text)
        }
    }
}

/// What `inspect` reports, built once and printed as text or JSON.
struct InspectionReport {
    struct EndpointView {
        var spec: EndpointSpec
        var filter: TagFilter
        var view: SurfaceView
    }

    let loaded: LoadedHost
    let surface: Surface
    let endpoints: [EndpointView]
    /// For `inspect --live`: reload passes of the running host, and why the manifest on disk is
    /// not the one served (if it is not).
    var reloadPasses: Int?
    var manifestError: String?

    init(_ loaded: LoadedHost, reloadPasses: Int? = nil, manifestError: String? = nil) throws {
        self.loaded = loaded
        self.reloadPasses = reloadPasses
        self.manifestError = manifestError
        self.surface = loaded.composition.surface
        self.endpoints = try loaded.endpoints.map { spec in
            let filter = try loaded.filter(of: spec)
            return EndpointView(spec: spec, filter: filter,
                                view: SurfaceView(surface: loaded.composition.surface, filter: filter, pageSize: 1 << 30))
        }
    }

    private static func health(of mount: Mount) -> String {
        switch mount.content {
        case .provider(let provider): return provider.health.description
        case .composition(let tree):
            let failing = tree.providers.filter { !$0.health.isReady }
            return failing.isEmpty ? "ready" : "degraded: " + failing.map { "\($0.displayName) \($0.health)" }.joined(separator: "; ")
        }
    }

    // MARK: Remote servers: the connection of each (connected; starting; failing, why, and when
    // the next attempt is), beside the mount's state.

    /// The connection state of a remote server or runner (seen through a reloadable wrapper).
    static func remoteStatus(of provider: any Provider) -> RemoteStatus? {
        let inner = (provider as? ReloadableProvider)?.current ?? provider
        return (inner as? any RemoteStatusReporting)?.remoteStatus
    }

    /// Every remote server a mount holds (itself, or the servers of a nested composition or an
    /// mcpServers file), with its mount label.
    private static func remotes(of mount: Mount) -> [(label: String, status: RemoteStatus)] {
        switch mount.content {
        case .provider(let provider):
            return remoteStatus(of: provider).map { [(mount.label, $0)] } ?? []
        case .composition(let tree):
            return tree.mounts.flatMap(remotes(of:))
        }
    }

    private static func remoteJSON(_ label: String, _ status: RemoteStatus) -> JSONValue {
        ["label": .string(label), "endpoint": .string(status.endpoint), "state": .string(status.state.rawValue),
         "status": .string(status.description), "reason": status.reason.map(JSONValue.string) ?? .null,
         "retryInSeconds": status.retryIn.map { .number(String(format: "%.1f", max(0, $0))) } ?? .null,
         "attempts": .int(status.attempts)]
    }

    /// Reload facts of a mount's plugin: how often it was reloaded, and a reload that failed
    /// (the previous build keeps serving).
    private static func reloadNotes(of mount: Mount) -> (reloads: Int, error: String?)? {
        guard case .provider(let provider) = mount.content, let reloadable = provider as? ReloadableProvider else { return nil }
        return (reloadable.reloads, reloadable.lastError)
    }

    private static func stateText(of mount: Mount) -> String {
        var text = health(of: mount)
        if let notes = reloadNotes(of: mount) {
            if notes.reloads > 0 { text += " (reloaded \(notes.reloads)×)" }
            if let error = notes.error { text += " (last reload failed, the previous build keeps serving: \(error))" }
        }
        return text
    }

    private static func transport(_ spec: EndpointSpec) -> String {
        switch spec.transport {
        case .stdio: return "stdio"
        case .http(let http): return "http \(http.listen)\(http.path)\(http.stateless ? " (stateless)" : "")"
        }
    }

    /// Exposed components grouped by the top-level mount they came through.
    private func exposed(by mount: Mount) -> [ExposedComponent] {
        ComponentKind.allCases.flatMap { kind in surface[kind].filter { $0.origin.last == mount.label } }
    }

    /// What was removed in the mount, at any depth of a nested composition (a component removed
    /// deep inside names the inner mount where it went).
    private func removed(by mount: Mount) -> [RemovedComponent] {
        let labels = Self.labels(in: mount)
        return surface.removed.filter { $0.origin.last.map(labels.contains) ?? false }
    }

    private static func labels(in mount: Mount) -> Set<String> {
        guard case .composition(let tree) = mount.content else { return [mount.label] }
        return tree.mounts.reduce(into: [mount.label]) { $0.formUnion(labels(in: $1)) }
    }

    var text: String {
        var s = "host \(loaded.manifest.file)\n"
        s += "  server \(loaded.manifest.server.name) \(loaded.manifest.server.version), separator '\(loaded.manifest.separator)'\n"
        for mount in loaded.assembly.tree.mounts {
            s += "\nmount \(mount.label)\n"
            s += "  prefix: \(mount.prefix ?? "(none)")   mode: \(mount.mode.rawValue)   filter: \(mount.filter)   state: \(Self.stateText(of: mount))\n"
            let remotes = Self.remotes(of: mount)
            if case .provider = mount.content, let remote = remotes.first {
                // (An isolated plugin's runner has no endpoint to show, only its connection.)
                s += remote.status.endpoint.isEmpty ? "  connection: \(remote.status)\n"
                    : "  remote: \(remote.status.endpoint)   connection: \(remote.status)\n"
            } else {
                for remote in remotes { s += "  \(remote.label) — \(remote.status.endpoint)   connection: \(remote.status)\n" }
            }
            for entry in exposed(by: mount) {
                let tags = entry.component.tags.sorted().joined(separator: ", ")
                let via = entry.origin.count > 1 ? "   via " + entry.origin.dropLast().joined(separator: " ← ") : ""
                s += "  \(pad(entry.component.kind.description, 18)) \(pad(entry.name, 40)) [\(tags)]\(via)\n"
            }
            for removed in removed(by: mount) {
                s += "  removed \(removed.kind) '\(removed.name)': \(removed.reason)\n"
            }
        }
        for endpoint in endpoints {
            s += "\nendpoint \(Self.transport(endpoint.spec))   filter: \(endpoint.filter)\n"
            let counts = ComponentKind.allCases.map { "\(endpoint.view.entries($0).count) \($0)s" }
            s += "  shows \(counts.joined(separator: ", "))\n"
            for kind in ComponentKind.allCases {
                for entry in surface[kind] where endpoint.view.lookup(kind, entry.name) == nil {
                    s += "  hides \(kind) '\(entry.name)': \(endpoint.filter.removalReason(entry.component.tags) ?? "filtered")\n"
                }
            }
        }
        if !loaded.assembly.problems.isEmpty {
            s += "\nproblems\n"
            for problem in loaded.assembly.problems { s += "  \(problem)\n" }
        }
        if let reloadPasses {
            s += "\nlive: process \(getpid()), \(reloadPasses) reload pass(es)\n"
            if let manifestError { s += "  the manifest on disk is not served: \(manifestError)\n" }
        }
        return s
    }

    var json: JSONValue {
        func component(_ entry: ExposedComponent) -> JSONValue {
            ["kind": .string(entry.component.kind.description), "name": .string(entry.name),
             "tags": .array(entry.component.tags.sorted().map(JSONValue.string)),
             "origin": .array(entry.origin.map(JSONValue.string))]
        }
        let mounts: [JSONValue] = loaded.assembly.tree.mounts.map { mount in
            [
                "label": .string(mount.label), "prefix": mount.prefix.map(JSONValue.string) ?? .null,
                "mode": .string(mount.mode.rawValue), "filter": .string(mount.filter.description),
                "state": .string(Self.health(of: mount)),
                "reloads": Self.reloadNotes(of: mount).map { .int($0.reloads) } ?? .null,
                "reloadError": Self.reloadNotes(of: mount)?.error.map(JSONValue.string) ?? .null,
                "remotes": .array(Self.remotes(of: mount).map(Self.remoteJSON)),
                "components": .array(exposed(by: mount).map(component)),
                "removed": .array(removed(by: mount).map { r in
                    ["kind": .string(r.kind.description), "name": .string(r.name), "reason": .string(r.reason)]
                }),
            ]
        }
        let endpoints: [JSONValue] = self.endpoints.map { e in
            var visible = JSONObject()
            for kind in ComponentKind.allCases {
                visible[kind.listField] = .array(e.view.entries(kind).map { .string($0.name) })
            }
            return ["transport": .string(Self.transport(e.spec)), "filter": .string(e.filter.description),
                    "visible": .object(visible)]
        }
        var report: JSONObject = ["manifest": .string(loaded.manifest.file), "mounts": .array(mounts), "endpoints": .array(endpoints),
                                  "problems": .array(loaded.assembly.problems.map(JSONValue.string))]
        if let reloadPasses {
            report["live"] = ["pid": .int(Int(getpid())), "reloadPasses": .int(reloadPasses),
                              "manifestError": manifestError.map(JSONValue.string) ?? .null]
        }
        return .object(report)
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

/// The live state of a running `manifold serve` (docs/RELOAD.md): the serving process writes its
/// inspection report to `<cache>/live/<manifest key>-<pid>.json` whenever its composition
/// changes (a plugin crashed, recovered, was reloaded or unmounted), and `inspect --live`
/// prints the newest report of a process that is still running. The file goes when the process
/// ends normally; a stale one (the process is gone) is ignored and removed.
final class LiveStatus: Sendable {
    let file: String
    private let logger: Logger
    private let queue = DispatchQueue(label: "manifold.live-status")
    private let pending = Mutex<(@Sendable () -> InspectionReport?)?>(nil)

    init(cache: LibraryCache, manifest: String, logger: Logger) {
        self.file = cache.liveFolder + "/" + Self.key(manifest) + "-\(getpid()).json"
        self.logger = logger
        LiveStatus.registerRemovalAtExit(file)
    }

    /// Writes the report `make` builds, soon, on a background queue; several calls in a row
    /// write once.
    func publish(_ make: @escaping @Sendable () -> InspectionReport?) {
        let first = pending.withLock { slot -> Bool in
            defer { slot = make }
            return slot == nil
        }
        guard first else { return }
        queue.async {
            guard let make = self.pending.withLock({ slot -> (@Sendable () -> InspectionReport?)? in
                defer { slot = nil }
                return slot
            }), let report = make() else { return }
            let document: JSONValue = ["pid": .int(Int(getpid())), "manifest": .string(report.loaded.manifest.file),
                                       "updated": .number(String(Date().timeIntervalSince1970)),
                                       "text": .string(report.text), "json": report.json]
            do {
                try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: self.file).deletingLastPathComponent().path,
                                                        withIntermediateDirectories: true)
                let temporary = self.file + ".tmp"
                try Data(document.serialized()).write(to: URL(fileURLWithPath: temporary))
                guard rename(temporary, self.file) == 0 else { throw CommandFailure("rename failed: errno \(errno)") }
            } catch {
                self.logger.debug("live status not written to \(self.file): \(error)")
            }
        }
    }

    /// The newest report of a running `serve` of `manifest`: (text, JSON text).
    static func read(manifest: String, cache: LibraryCache = .shared) throws -> (text: String, json: String) {
        let absolute = URL(fileURLWithPath: manifest).standardizedFileURL.path
        let prefix = key(absolute) + "-"
        let folder = cache.liveFolder
        var newest: (updated: Double, document: JSONValue)?
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        where name.hasPrefix(prefix) && name.hasSuffix(".json") {
            let path = folder + "/" + name
            guard let data = FileManager.default.contents(atPath: path), let document = try? JSONValue.parse(Array(data)),
                  let pid = document["pid"]?.intValue else { continue }
            guard kill(pid_t(pid), 0) == 0 || errno == EPERM else {
                unlink(path)
                continue
            }
            let updated = document["updated"]?.doubleValue ?? 0
            if newest == nil || updated > newest!.updated { newest = (updated, document) }
        }
        guard let document = newest?.document else {
            throw CommandFailure("no running `manifold serve \(manifest)` found (looked in \(folder)); --live shows the state of a serving process")
        }
        return (document["text"]?.stringValue ?? "", (document["json"] ?? .null).jsonText)
    }

    static func key(_ manifest: String) -> String {
        let absolute = URL(fileURLWithPath: manifest).standardizedFileURL.path
        return String(LibraryCache.sha256Hex(Array(absolute.utf8)).prefix(16))
    }

    nonisolated(unsafe) private static var removeAtExit: [String] = []

    private static func registerRemovalAtExit(_ file: String) {
        removeAtExit.append(file)
        if removeAtExit.count == 1 {
            atexit { for file in LiveStatus.removeAtExit { unlink(file) } }
        }
    }
}
