#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where everything the suite runs lives, resolved once.
struct BenchEnvironment {
    let root: String
    let manifold: String
    let bench: String
    let python: String
    let peerScript: String
    let work: String
    let cache: String
    /// Another manifold build to measure beside `manifold` in the same run (before/after).
    let baseline: String?

    init(root: String, manifold: String?, python: String?, work: String?, baseline: String? = nil) throws {
        self.root = absolutePath(root)
        self.manifold = absolutePath(manifold ?? "\(self.root)/.build-bench/release/manifold")
        self.baseline = baseline.map(absolutePath)
        bench = absolutePath("/proc/self/exe")
        self.python = python.map(absolutePath) ?? "\(self.root)/.venv-peer/bin/python"
        peerScript = "\(self.root)/Benchmarks/peers/fastmcp_host.py"
        self.work = absolutePath(work ?? "\(self.root)/.build-bench/bench-work")
        cache = self.work + "/cache"
        makeDirectories(self.work)
        makeDirectories(cache)
        guard fileExists(self.manifold) else {
            throw BenchFailure("no manifold binary at \(self.manifold): swift build -c release --scratch-path .build-bench")
        }
    }

    var hasPeer: Bool { fileExists(python) && fileExists(peerScript) }

    /// The Swift MCP SDK's `mcp-everything-server` (a product of the swift-sdk dependency), built
    /// beside manifold-bench: `swift build -c release --scratch-path .build-bench --product mcp-everything-server`.
    var swiftSDKServer: String { String(bench[..<(bench.lastIndex(of: "/") ?? bench.startIndex)]) + "/mcp-everything-server" }

    func manifest(_ name: String) -> String { "\(root)/manifests/\(name)" }

    /// Manifold's environment: a cache of its own, so runs start from a known state.
    var manifoldEnvironment: [String: String] { ["MANIFOLD_CACHE_DIR": cache, "SWIFT_BACKTRACE": "enable=no"] }

    func log(_ name: String) -> String { "\(work)/\(name).log" }
}

/// A server to start over stdio: its command line and how it is named in the report.
struct StdioServer {
    let label: String
    let argv: [String]
    let environment: [String: String]

    func start(_ env: BenchEnvironment, logName: String) throws -> ChildProcess {
        try ChildProcess.spawn(argv, label: label, pipes: true, logPath: env.log(logName), environment: environment)
    }

    /// Starts it and completes the MCP handshake.
    func connect(_ env: BenchEnvironment, logName: String) throws -> StdioClient {
        let client = StdioClient(process: try start(env, logName: logName))
        do {
            try client.handshake()
        } catch {
            client.process.stop()
            throw error
        }
        return client
    }
}

/// A server listening on HTTP: started, waited for, stopped.
struct HTTPServer {
    let label: String
    let process: ChildProcess
    let port: Int
    let path: String
    /// The ceiling parses nothing: it cannot echo ids.
    let echoesIDs: Bool
    /// Stateful: each client initializes a session first and sends its id.
    var session = false
    /// The call to measure, when the server does not offer W1's `p1_add`.
    var call: CallTemplate?

    var url: String { "http://127.0.0.1:\(port)\(path)" }

    /// Waits until a POST of `probe` gets a 2xx (or the process dies / 60 s pass).
    static func waitUntilServing(_ server: HTTPServer, probe: [UInt8]) throws {
        let deadline = nowNanos() + 60_000_000_000
        while nowNanos() < deadline {
            guard server.process.isRunning else {
                throw BenchFailure("\(server.label) exited while starting; its log:\n\(server.process.logTail())")
            }
            let client = HTTPClient(port: server.port, path: server.path)
            if let response = try? client.post(probe), (200..<300).contains(response.status) { return }
            usleep(50_000)
        }
        throw BenchFailure("\(server.label) did not answer on :\(server.port) within 60 s; its log:\n\(server.process.logTail())")
    }

    /// Reads the first port of a `--port-file`, waiting for it to appear.
    static func waitForPortFile(_ path: String, process: ChildProcess) throws -> Int {
        let deadline = nowNanos() + 60_000_000_000
        while nowNanos() < deadline {
            if let text = readFile(path), let port = Int(text.split(separator: "\n").first ?? "") { return port }
            guard process.isRunning else {
                throw BenchFailure("\(process.label) exited while starting; its log:\n\(process.logTail())")
            }
            usleep(20_000)
        }
        throw BenchFailure("\(process.label) wrote no port file within 60 s; its log:\n\(process.logTail())")
    }
}
