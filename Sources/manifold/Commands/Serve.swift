import ArgumentParser
import Dispatch
import Logging
import ManifoldCore
import ManifoldManifest
import ManifoldPlugins
import ManifoldServer
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `manifold serve <manifest>`: serve the composition on the manifest's endpoints — stdio and
/// every `http` listener it declares — plus one Streamable HTTP listener per `--http`.
///
/// stdio is served when the manifest declares it, or when it declares no endpoint and no
/// `--http` is given. Each endpoint serves its own tag-filtered view. SIGTERM / SIGINT stop
/// the HTTP listeners gracefully (requests in flight get `--shutdown-timeout` seconds, SSE
/// streams are closed) and exit 0; stdio ends at end of input as before, and when HTTP
/// endpoints are also running the process keeps serving them until a signal.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a host manifest as one MCP endpoint (stdio by default, Streamable HTTP with --http).")

    @OptionGroup var host: HostOptions

    @Option(name: .customLong("http"), help: ArgumentHelp(
        "Also serve Streamable HTTP at this address (host:port, :port or port; port 0 = any free port). Repeatable.",
        valueName: "address"))
    var http: [String] = []

    @Option(name: .customLong("path"), help: "The MCP path of --http endpoints.")
    var httpPath = "/mcp"

    @Flag(name: .customLong("stateless"), help: "--http endpoints run stateless: no sessions, every request stands alone.")
    var stateless = false

    @Option(name: .customLong("port-file"), help: ArgumentHelp(
        "When every HTTP endpoint listens, write their ports here, one per line (manifest endpoints first, then --http).",
        valueName: "path"))
    var portFile: String?

    @Option(name: .customLong("shutdown-timeout"), help: "Seconds requests in flight get to finish on SIGTERM / SIGINT.")
    var shutdownTimeout: Double = 10

    @Option(name: .customLong("event-loops"), help: ArgumentHelp(
        "Event-loop threads of the HTTP endpoints (default: one per core this process may run on).", valueName: "n"))
    var eventLoops: Int?

    func validate() throws {
        for address in http {
            do {
                _ = try HTTPEndpointConfiguration.parseListen(address)
            } catch {
                throw ValidationError("--http \(error)")
            }
        }
        guard shutdownTimeout >= 0 else { throw ValidationError("--shutdown-timeout must be ≥ 0") }
        if let eventLoops, eventLoops < 1 { throw ValidationError("--event-loops must be ≥ 1") }
    }

    func run() throws {
        // Before any plugin loads: stdout carries MCP frames only.
        let protocolFD = ProtocolStdout.claim()
        // Static bearer tokens (auth.bearer.tokensEnv) leave the environment before anything is
        // spawned, so no child process inherits them (docs/HTTP.md, Authentication).
        for endpoint in (try? ManifestLoader.loadHost(path: host.manifest))?.endpoints ?? [] {
            if case .http(let spec) = endpoint.transport { SecretEnvironment.take(from: spec.settings) }
        }
        let loaded = try LoadedHost.load(host)
        // Hot reload: watched files, drop-in folders, SIGHUP (docs/RELOAD.md).
        let reloads = try loaded.superviseReloads()
        defer { reloads.stop() }
        let dispatcher = Dispatcher(identity: loaded.identity, logger: loaded.logger)
        let declared = loaded.manifest.endpoints
        let stdio: EndpointSpec? = declared.isEmpty && http.isEmpty
            ? loaded.endpoints.first
            : declared.first { if case .stdio = $0.transport { return true } else { return false } }

        // HTTP endpoints: the manifest's, then one per --http (which takes the filter of the
        // manifest's first endpoint, so `--http` on a manifest that hides admin tools hides them too).
        // `declared` is the index in the manifest's endpoints whose filter the endpoint follows
        // across host manifest reloads (docs/RELOAD.md, decision 5).
        var httpEndpoints: [(spec: HTTPEndpointSpec, endpoint: EndpointSpec, declared: Int?)] = []
        for (index, endpoint) in declared.enumerated() {
            if case .http(let spec) = endpoint.transport { httpEndpoints.append((spec, endpoint, index)) }
        }
        for address in http {
            let location = SourceLocation(file: "--http", line: 0, column: 0)
            let spec = HTTPEndpointSpec(listen: address, path: httpPath, stateless: stateless)
            let endpoint = EndpointSpec(transport: .http(spec), filter: declared.first?.filter ?? TagFilterSpec(),
                                        location: location)
            httpEndpoints.append((spec, endpoint, declared.isEmpty ? nil : 0))
        }
        // Each endpoint's view is its own, so a changed filter can be applied to its sessions.
        let followed = FollowedViews()
        reloads.onReload { snapshot in followed.apply(snapshot.manifest.endpoints, logger: loaded.logger) }

        let servers = HTTPServerGroup(threads: eventLoops ?? HTTPServerGroup.defaultEventLoops)
        var ports: [Int] = []
        let composition = loaded.composition
        for (spec, endpoint, index) in httpEndpoints {
            var configuration: HTTPEndpointConfiguration
            do {
                configuration = try HTTPEndpointConfiguration(listen: spec.listen, path: spec.path,
                                                              stateless: spec.stateless, settings: spec.settings)
            } catch {
                servers.shutdown(timeoutSeconds: 0)
                throw CommandFailure("\(endpoint.location): \(error)")
            }
            // auth / tls files are named relative to the manifest (docs/HTTP.md, Authentication).
            configuration.resolveFiles(relativeToManifest: endpoint.location.file)
            for key in configuration.unknownSettings {
                loaded.logger.warning("\(endpoint.location): unknown http setting '\(key)' ignored (known: \(HTTPEndpointConfiguration.settingsKeys.joined(separator: ", ")))")
            }
            let view = composition.dedicatedView(filter: try loaded.filter(of: endpoint))
            if let index { followed.add(view, following: index) }
            let server: HTTPEndpoint
            do {
                server = try servers.start(configuration, dispatcher: dispatcher, view: view,
                                           unhealthy: { composition.surface.unhealthy },
                                           views: { composition.dedicatedView(filter: $0) }, logger: loaded.logger)
            } catch {
                servers.shutdown(timeoutSeconds: 0)
                throw CommandFailure("\(endpoint.location): \(error)")
            }
            ports.append(server.port ?? 0)
            TextOutput.standardError.line("listening on \(server.url)\(configuration.stateless ? " (stateless)" : "")")
        }
        if let portFile {
            try PortFile.write(ports, to: portFile)
        }

        if !httpEndpoints.isEmpty {
            let timeout = shutdownTimeout
            ShutdownSignals.install {
                loaded.logger.info("shutting down: draining HTTP requests in flight (up to \(timeout)s)")
                servers.shutdown(timeoutSeconds: timeout)
                Glibc.exit(0)
            }
        }

        if let stdio {
            let view = composition.dedicatedView(filter: try loaded.filter(of: stdio))
            if let index = declared.firstIndex(of: stdio) { followed.add(view, following: index) }
            loaded.logger.info("serving \(view.current.entries(.tool).count) tools on stdio")
            StdioEndpoint(dispatcher: dispatcher, view: view, output: protocolFD, logger: loaded.logger).run()
        }
        if httpEndpoints.isEmpty { return }
        // HTTP only (or stdio ended): serve until a signal ends the process.
        while true { pause() }
    }
}

/// `--port-file`: the bound ports, one per line, written atomically (a temporary file renamed
/// into place) so a reader polling for the file never sees it half-written.
enum PortFile {
    static func write(_ ports: [Int], to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        let text = ports.map(String.init).joined(separator: "\n") + "\n"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CommandFailure("--port-file: cannot write \(temporary): errno \(errno)") }
        TextOutput(fd: fd).write(text)
        close(fd)
        guard rename(temporary, path) == 0 else { throw CommandFailure("--port-file: cannot rename to \(path): errno \(errno)") }
    }
}

/// SIGTERM and SIGINT run `handler` once, on a background queue (never in signal context).
enum ShutdownSignals {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static func install(_ handler: @escaping @Sendable () -> Void) {
        let once = Once()
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if once.claim() { handler() }
            }
            source.resume()
            sources.append(source)
        }
    }
}

private final class Once: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var done = false

    init() { pthread_mutex_init(&mutex, nil) }

    func claim() -> Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        if done { return false }
        done = true
        return true
    }
}

/// The endpoints' views and the manifest endpoint whose filter each follows: after a host
/// manifest reload, a view whose endpoint's filter changed is retargeted — its sessions' lists
/// change at once, with list_changed (docs/RELOAD.md, decision 5).
private final class FollowedViews: Sendable {
    private let views = Mutex<[(view: LiveView, index: Int)]>([])

    func add(_ view: LiveView, following index: Int) {
        views.withLock { $0.append((view, index)) }
    }

    func apply(_ endpoints: [EndpointSpec], logger: Logger) {
        for (view, index) in views.withLock({ $0 }) where index < endpoints.count {
            guard let filter = try? HostAssembler.filter(endpoints[index].filter), filter != view.filter else { continue }
            logger.info("endpoint \(index + 1): filter now \(filter)")
            view.retarget(to: filter)
        }
    }
}
