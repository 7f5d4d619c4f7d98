import Dispatch
import Logging
import ManifoldCore
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The HTTP endpoints of one process and the event loops they share (by default one thread per
/// core the process may run on).
/// What the CLI holds: it adds endpoints, prints where they listen, and shuts them all down
/// together on SIGTERM / SIGINT.
public final class HTTPServerGroup: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let endpoints = Mutex<[HTTPEndpoint]>([])

    public init(threads: Int = HTTPServerGroup.defaultEventLoops) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        // Non-blocking plugin calls may run on the event loops themselves (EndpointThread).
        for loop in group.makeIterator() {
            loop.execute { EndpointThread.markCurrent() }
        }
    }

    /// Creates and starts an endpoint. Throws `HTTPConfigurationError` when it cannot bind, or
    /// when its `auth` / `tls` files cannot be used. `views` gives the view of a tag filter (the
    /// composition's `view(filter:)`): callers whose scopes map to tag expressions see those.
    public func start(_ configuration: HTTPEndpointConfiguration, dispatcher: Dispatcher, view: LiveView,
                      unhealthy: @escaping @Sendable () -> [(label: String, health: ProviderHealth)] = { [] },
                      authenticator: any HTTPAuthenticator = PassThroughAuthenticator(),
                      views: (@Sendable (TagFilter) -> LiveView)? = nil,
                      logger: Logger) throws -> HTTPEndpoint {
        let security = try EndpointSecurity(configuration, view: view, views: views, authenticator: authenticator,
                                            logger: logger)
        let endpoint = HTTPEndpoint(configuration: configuration, dispatcher: dispatcher, view: view,
                                    unhealthy: unhealthy, authenticator: security.authenticator, tls: security.tls,
                                    group: group, logger: logger)
        do {
            try endpoint.start()
        } catch {
            throw HTTPConfigurationError("cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
        endpoints.withLock { $0.append(endpoint) }
        return endpoint
    }

    public var all: [HTTPEndpoint] { endpoints.withLock { $0 } }

    /// One event loop per core this process may run on: the CPUs of its affinity mask (`taskset`,
    /// `docker --cpuset-cpus`), at most `System.coreCount` (which also honours a cgroup CPU quota).
    /// More loops than usable cores only make them take turns, and a connection waiting for its
    /// loop's next time slice waits milliseconds (BENCHMARKS.md, pinned run).
    public static var defaultEventLoops: Int {
        min(allowedCPUs() ?? System.coreCount, System.coreCount)
    }

    /// How many CPUs the affinity mask allows: the bits of `Cpus_allowed` in /proc/self/status
    /// (Linux), nil where that cannot be read.
    static func allowedCPUs() -> Int? {
        #if os(Linux)
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        let key = "Cpus_allowed:"
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix(key) else { continue }
            var count = 0
            for c in text.utf8.dropFirst(key.utf8.count) {
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): count += Int(c - UInt8(ascii: "0")).nonzeroBitCount
                case UInt8(ascii: "a")...UInt8(ascii: "f"): count += Int(c - UInt8(ascii: "a") + 10).nonzeroBitCount
                default: break
                }
            }
            return count > 0 ? count : nil
        }
        #endif
        return nil
    }

    /// Shuts every endpoint down at once (each drains up to `timeout`), then the event loops.
    /// Blocks; never call it on an event loop. Returns whether every drain finished in time.
    @discardableResult
    public func shutdown(timeoutSeconds: Double) -> Bool {
        let timeout = TimeAmount.milliseconds(Int64(max(0, timeoutSeconds) * 1000))
        let all = endpoints.withLock { list -> [HTTPEndpoint] in
            let current = list
            list = []
            return current
        }
        let drained = Atomic<Bool>(true)
        DispatchQueue.concurrentPerform(iterations: all.count) { index in
            if !all[index].shutdown(timeout: timeout) { drained.store(false, ordering: .relaxed) }
        }
        try? group.syncShutdownGracefully()
        return drained.load(ordering: .relaxed)
    }
}
