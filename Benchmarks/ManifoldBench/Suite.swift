#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The whole comparison in one invocation: every workload against its peer or the ceiling,
/// interleaved round by round so that drift on a shared machine hits both sides of a ratio,
/// printed as markdown ready for BENCHMARKS.md.
final class Suite {
    struct Options {
        var rounds = 3
        var wrkSeconds = 10
        var wrkThreads = 2
        var wrkConnections = 32
        /// Scales every call count (0.2 for a quick look).
        var scale = 1.0
        var sections: Set<String> = ["http", "stdio", "w2", "w3", "w4"]
        var includeStateful = true
        /// HTTP section: servers on CPU 0 (one event loop), wrk on the other CPUs.
        var pinning = CPUPinning.none
        /// Keep the CPUs from idling (`AwakeCPUs`) for the whole run.
        var awake = false
    }

    let env: BenchEnvironment
    let options: Options
    private var targets: [(String, String, Bool?)] = []
    let add = CallTemplate.toolsCall("p1_add", arguments: #"{"a":2,"b":3}"#, expect: #""text":"5""#)

    init(env: BenchEnvironment, options: Options) {
        self.env = env
        self.options = options
    }

    private func n(_ count: Int) -> Int { max(50, Int(Double(count) * options.scale)) }

    private var manifoldEnv: [String: String] { env.manifoldEnvironment }

    func run() throws -> String {
        signal(SIGPIPE, SIG_IGN)
        let awake = options.awake
            ? try AwakeCPUs(cpus: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), logPath: env.log("spinners")) : nil
        defer { awake?.stop() }
        var out: [String] = []
        out.append("# Manifold benchmarks\n")
        out.append(header(awake: awake))
        let order = ["http", "stdio", "w2", "w3", "w4"]
        for section in order where options.sections.contains(section) {
            note("== \(section)")
            switch section {
            case "http": out.append(try http())
            case "stdio": out.append(try stdio())
            case "w2": out.append(try manyTools())
            case "w3": out.append(try fronting())
            case "w4": out.append(try isolation())
            default: break
            }
        }
        out.append(targetsTable())
        out.append("Load average at the end: \(loadAverage()).\n")
        return out.joined(separator: "\n")
    }

    private func loadAverage() -> String {
        (readFile("/proc/loadavg") ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
    }

    private func header(awake: AwakeCPUs?) -> String {
        var uts = utsname()
        uname(&uts)
        let machine = withUnsafePointer(to: uts.machine) { $0.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) } }
        let release = withUnsafePointer(to: uts.release) { $0.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) } }
        let cores = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return """
        Machine: \(cores) cores, Linux \(release) \(machine); load average at the start: \(loadAverage()).
        Every ratio is taken between figures of the same run, round by round (\(options.rounds) rounds,
        servers interleaved); "median (min–max)" over the rounds.\(awake.map { "\nCPUs kept awake (`--awake`): \($0.description), for the whole run." } ?? "")

        """
    }

    private func target(_ name: String, _ measured: String, _ met: Bool?) {
        targets.append((name, measured, met))
    }

    private func targetsTable() -> String {
        var lines = ["## Targets\n", "| target | measured (median of rounds) | met |", "|---|---|---|"]
        for (name, measured, met) in targets {
            lines.append("| \(name) | \(measured) | \(met.map { $0 ? "yes" : "**no**" } ?? "–") |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: HTTP

    private func startManifoldHTTP(_ label: String, stateless: Bool, log: String, binary: String? = nil) throws -> HTTPServer {
        let portFile = "\(env.work)/\(log).port"
        unlink(portFile)
        var argv = [binary ?? env.manifold, "serve", env.manifest("bench.yaml"), "--http", "127.0.0.1:0", "--port-file", portFile]
        if stateless { argv.append("--stateless") }
        let process = try ChildProcess.spawn(options.pinning.server(argv), label: label, pipes: false, logPath: env.log(log), environment: manifoldEnv)
        let port = try HTTPServer.waitForPortFile(portFile, process: process)
        return HTTPServer(label: label, process: process, port: port, path: "/mcp", echoesIDs: true, session: !stateless)
    }

    private func http() throws -> String {
        guard Wrk.isInstalled else { throw BenchFailure("wrk is not installed (apt-get install wrk)") }
        var servers: [HTTPServer] = []
        defer { for server in servers { server.process.stop() } }
        let portFile = "\(env.work)/ceiling.port"
        unlink(portFile)
        var ceilingArgv = [env.bench, "ceiling", "--port", "0", "--port-file", portFile]
        // As many event loops as Manifold: it counts the CPUs it may run on, the ceiling is told.
        if options.pinning != .none { ceilingArgv += ["--threads", "1"] }
        let ceilingProcess = try ChildProcess.spawn(options.pinning.server(ceilingArgv),
                                                    label: "ceiling", pipes: false, logPath: env.log("http-ceiling"))
        let ceiling = HTTPServer(label: "ceiling (bare NIO, fixed body)", process: ceilingProcess,
                                 port: try HTTPServer.waitForPortFile(portFile, process: ceilingProcess), path: "/mcp",
                                 echoesIDs: false)
        servers.append(ceiling)
        let stateless = try startManifoldHTTP("Manifold, stateless", stateless: true, log: "http-manifold-stateless")
        servers.append(stateless)
        if let baseline = env.baseline {
            servers.append(try startManifoldHTTP("Manifold before (baseline), stateless", stateless: true,
                                                 log: "http-baseline-stateless", binary: baseline))
        }
        var stateful: HTTPServer?
        if options.includeStateful {
            stateful = try startManifoldHTTP("Manifold, stateful session", stateless: false, log: "http-manifold-stateful")
            servers.append(stateful!)
        }
        var fastmcp: HTTPServer?
        if env.hasPeer {
            let port = freePort()
            let process = try ChildProcess.spawn(options.pinning.server([env.python, env.peerScript, "http", String(port), "3", "3"]),
                                                 label: "FastMCP 4.1.2 host", pipes: false, logPath: env.log("http-fastmcp"))
            fastmcp = HTTPServer(label: "FastMCP 4.1.2 host (stateless, JSON)", process: process, port: port, path: "/mcp",
                                 echoesIDs: true)
            servers.append(fastmcp!)
        }
        var swiftSDK: HTTPServer?
        if fileExists(env.swiftSDKServer) {
            let port = freePort()
            let process = try ChildProcess.spawn(options.pinning.server([env.swiftSDKServer, "--port", String(port)]),
                                                 label: "Swift SDK everything-server", pipes: false, logPath: env.log("http-swift-sdk"))
            swiftSDK = HTTPServer(label: "Swift MCP SDK 0.12.1 everything-server (stateful, SSE)", process: process, port: port,
                                  path: "/mcp", echoesIDs: true, session: true,
                                  call: .toolsCall("add_numbers", arguments: #"{"a":2,"b":3}"#, expect: #""text":"5""#))
            servers.append(swiftSDK!)
        }
        let probe = Array(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"probe","version":"1"}}}"#.utf8)
        for server in servers { try HTTPServer.waitUntilServing(server, probe: probe) }

        var rps: [String: Spread] = [:]
        var share: [String: Spread] = [:]
        var loadP50: [String: Spread] = [:]
        var loadP99: [String: Spread] = [:]
        var seqP50: [String: Spread] = [:]
        var seqP99: [String: Spread] = [:]
        var problems: [String] = []
        var cpuPerRequest: [String: Spread] = [:]
        var cpuRatio: [String: Spread] = [:]
        for round in 0..<options.rounds {
            var ceilingRPS = Double.nan
            var ceilingCPU = Double.nan
            for server in servers {
                let client = HTTPClient(port: server.port, path: server.path)
                if server.session { try client.handshake() }
                let slow = server.label.hasPrefix("FastMCP")
                let call = server.call ?? add
                note("round \(round + 1): \(server.label): sequential")
                let sequential = try client.sequential(call, count: slow ? n(300) : n(5000), warmup: slow ? 20 : 500,
                                                       maxSeconds: slow ? 5 : 3, checkID: server.echoesIDs)
                seqP50[server.label, default: Spread()].add(sequential.p50)
                seqP99[server.label, default: Spread()].add(sequential.p99)
                note("round \(round + 1): \(server.label): wrk -t\(options.wrkThreads) -c\(options.wrkConnections) -d\(options.wrkSeconds)s")
                let cpuBefore = server.process.treeCPUSeconds()
                let result = try Wrk.run(url: server.url, path: server.path, call: call, checkIDs: server.echoesIDs,
                                         sessionID: client.sessionID, threads: options.wrkThreads,
                                         connections: options.wrkConnections, seconds: options.wrkSeconds,
                                         workDirectory: env.work, pinning: options.pinning)
                let cpu = (server.process.treeCPUSeconds() - cpuBefore) * 1e6 / Double(max(1, result.requests))
                cpuPerRequest[server.label, default: Spread()].add(cpu)
                if server.label == ceiling.label { ceilingCPU = cpu }
                cpuRatio[server.label, default: Spread()].add(cpu / ceilingCPU)
                if result.badStatus > 0 || result.badID > 0 || result.socketErrors > 0 {
                    problems.append("\(server.label), round \(round + 1): \(result.badStatus) non-2xx, \(result.badID) wrong ids, \(result.socketErrors) socket errors of \(result.answered) answers")
                }
                if server.label == ceiling.label { ceilingRPS = result.requestsPerSecond }
                rps[server.label, default: Spread()].add(result.requestsPerSecond)
                share[server.label, default: Spread()].add(result.requestsPerSecond / ceilingRPS)
                loadP50[server.label, default: Spread()].add(result.p50)
                loadP99[server.label, default: Spread()].add(result.p99)
                note("  \(Format.count(result.requestsPerSecond)) req/s, p50 \(Format.micros(result.p50)), p99 \(Format.micros(result.p99))")
            }
        }
        var lines = [
            "## HTTP: W1 `tools/call p1_add`, wrk -t\(options.wrkThreads) -c\(options.wrkConnections) -d\(options.wrkSeconds)s"
                + (options.pinning == .none ? "\n" : ", pinned\n\n" + options.pinning.description),
            "Each request is one JSON-RPC `tools/call` with its own id (Lua script checks 2xx and, except for the ceiling, that",
            "each answer carries the id of its request). Sequential: one keep-alive connection, native client.\n",
            "CPU per request: user + system time of the server process (all threads) during the wrk run, divided by the",
            "requests answered; the ratio column divides it by the ceiling's in the same round.\n",
            "| server | req/s | share of ceiling | CPU per request | CPU vs ceiling | p50 under load | p99 under load | sequential p50 | sequential p99 |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for server in servers {
            let l = server.label
            lines.append("| \(l) | \(Format.spread(rps[l]!, Format.count)) | \(Format.spread(share[l]!, Format.percent)) | "
                + "\(Format.spread(cpuPerRequest[l]!, Format.micros)) | \(Format.spread(cpuRatio[l]!, Format.ratio)) | "
                + "\(Format.spread(loadP50[l]!, Format.micros)) | \(Format.spread(loadP99[l]!, Format.micros)) | "
                + "\(Format.spread(seqP50[l]!, Format.micros)) | \(Format.spread(seqP99[l]!, Format.micros)) |")
        }
        if let fastmcp {
            let ratio = Spread(values: zip(rps[stateless.label]!.values, rps[fastmcp.label]!.values).map { $0 / $1 })
            lines.append("\nManifold (stateless) serves \(Format.spread(ratio, Format.ratio)) the requests per second of the FastMCP host.")
        }
        if let swiftSDK, let stateful {
            let ratio = Spread(values: zip(rps[stateful.label]!.values, rps[swiftSDK.label]!.values).map { $0 / $1 })
            lines.append("\nManifold (stateful session) serves \(Format.spread(ratio, Format.ratio)) the requests per second of the Swift SDK's "
                + "everything-server (one session each; its tool is `add_numbers`, Manifold's `p1_add`).")
        }
        lines.append(problems.isEmpty ? "\nEvery response was 2xx and carried its request's id.\n" : "\nProblems: " + problems.joined(separator: "; ") + "\n")
        target("HTTP tools/call throughput ≥ 50 % of the ceiling (stateless)", Format.spread(share[stateless.label]!, Format.percent),
               share[stateless.label]!.median >= 0.5)
        if let stateful {
            target("HTTP tools/call throughput ≥ 50 % of the ceiling (stateful session)", Format.spread(share[stateful.label]!, Format.percent),
                   share[stateful.label]!.median >= 0.5)
        }
        target("HTTP tools/call p99 ≤ 2 ms (under wrk load, stateless)", Format.spread(loadP99[stateless.label]!, Format.micros),
               loadP99[stateless.label]!.median <= 2000)
        return lines.joined(separator: "\n")
    }

    // MARK: stdio

    private var manifoldW1: StdioServer {
        StdioServer(label: "Manifold", argv: [env.manifold, "serve", env.manifest("bench.yaml")], environment: manifoldEnv)
    }

    private func fastmcpServer(_ n: Int, _ t: Int) -> StdioServer {
        StdioServer(label: "FastMCP 4.1.2 host", argv: [env.python, env.peerScript, "stdio", String(n), String(t)], environment: [:])
    }

    private func stdio() throws -> String {
        var servers: [StdioServer] = [
            StdioServer(label: "floor (pipe echo, fixed result)", argv: [env.bench, "ceiling", "--stdio"], environment: [:]),
            manifoldW1,
        ]
        if env.hasPeer { servers.append(fastmcpServer(3, 3)) }
        if let baseline = env.baseline {
            servers.append(StdioServer(label: "Manifold before (baseline)", argv: [baseline, "serve", env.manifest("bench.yaml")],
                                       environment: manifoldEnv))
        }
        var clients: [StdioClient] = []
        defer { for client in clients { client.process.stop() } }
        for (i, server) in servers.enumerated() { clients.append(try server.connect(env, logName: "stdio-\(i)")) }
        var p50: [String: Spread] = [:]
        var p99: [String: Spread] = [:]
        var pipelined: [String: Spread] = [:]
        var cpuPerCall: [String: Spread] = [:]
        for round in 0..<options.rounds {
            for (server, client) in zip(servers, clients) {
                let slow = server.label.hasPrefix("FastMCP")
                note("round \(round + 1): \(server.label): sequential, pipelined")
                let latencies = try client.sequential(add, count: slow ? n(1000) : n(20000), warmup: slow ? 50 : 2000,
                                                      maxSeconds: slow ? 5 : 3)
                p50[server.label, default: Spread()].add(latencies.p50)
                p99[server.label, default: Spread()].add(latencies.p99)
                let cpuBefore = client.process.treeCPUSeconds()
                let (rate, calls) = try client.pipelinedRun(add, count: slow ? n(4000) : n(600_000), window: 256, maxSeconds: slow ? 6 : 3)
                pipelined[server.label, default: Spread()].add(rate)
                cpuPerCall[server.label, default: Spread()].add((client.process.treeCPUSeconds() - cpuBefore) * 1e6 / Double(max(1, calls)))
                note("  p50 \(Format.micros(latencies.p50)), p99 \(Format.micros(latencies.p99)), pipelined \(Format.count(rate))/s")
            }
        }
        var rss: [String: Int] = [:]
        for (server, client) in zip(servers, clients) { rss[server.label] = client.process.treePeakRSSKiB() }
        var lines = [
            "## stdio: W1 `tools/call p1_add`\n",
            "Sequential: one request in flight. Pipelined: up to 256 in flight, written in batches, answered in any order.\n",
            "CPU per call: the server's user + system time during the pipelined run over the calls answered.\n",
            "| server | sequential p50 | sequential p99 | pipelined calls/s | CPU per call (pipelined) | peak RSS |",
            "|---|---|---|---|---|---|",
        ]
        for server in servers {
            let l = server.label
            lines.append("| \(l) | \(Format.spread(p50[l]!, Format.micros)) | \(Format.spread(p99[l]!, Format.micros)) | "
                + "\(Format.spread(pipelined[l]!, Format.count)) | \(Format.spread(cpuPerCall[l]!, Format.micros)) | "
                + "\(Format.fixed(Double(rss[l] ?? 0) / 1024, 1)) MB |")
        }
        let m = manifoldW1.label
        let floor = servers[0].label
        let overhead = Spread(values: zip(p50[m]!.values, p50[floor]!.values).map { $0 - $1 })
        lines.append("\nManifold's round trip costs \(Format.spread(overhead, Format.micros)) more than the pipe floor's (p50).")
        if let before = servers.first(where: { $0.label.hasPrefix("Manifold before") })?.label {
            let gain = Spread(values: zip(p50[before]!.values, p50[m]!.values).map { $0 / $1 })
            let more = Spread(values: zip(pipelined[m]!.values, pipelined[before]!.values).map { $0 / $1 })
            lines.append("Against the baseline build: sequential p50 \(Format.spread(gain, Format.ratio)) shorter; pipelined \(Format.spread(more, Format.ratio)) the calls per second.")
        }
        if env.hasPeer {
            let f = servers[2].label
            let faster = Spread(values: zip(p50[f]!.values, p50[m]!.values).map { $0 / $1 })
            let more = Spread(values: zip(pipelined[m]!.values, pipelined[f]!.values).map { $0 / $1 })
            lines.append("Against the FastMCP host: sequential p50 \(Format.spread(faster, Format.ratio)) shorter; pipelined \(Format.spread(more, Format.ratio)) the calls per second.")
        }
        lines.append("")
        target("stdio sequential round trip p50 ≤ 30 µs", Format.spread(p50[m]!, Format.micros), p50[m]!.median <= 30)
        target("stdio pipelined ≥ 100,000 calls/s", Format.spread(pipelined[m]!, Format.count), pipelined[m]!.median >= 100_000)
        return lines.joined(separator: "\n")
    }

    // MARK: W2 — 50 plugins × 20 tools

    /// Launch → the whole tool list answered: spawn, write initialize + initialized + tools/list
    /// at once, read until the last page. Returns (microseconds, tools, bytes).
    private func launch(_ server: StdioServer, logName: String, keep: Bool) throws -> (Double, Int, Int, StdioClient?) {
        let process = try server.start(env, logName: logName)
        let client = StdioClient(process: process)
        do {
            try client.send(StdioClient.initializeFrames(id: 1) + StdioClient.toolsListFrame(id: 2, cursor: nil))
            _ = try client.readResponse(id: 1)
            let (tools, bytes) = try client.listTools(firstID: 2)
            let elapsed = Double(nowNanos() - process.startedAt) / 1000
            if keep { return (elapsed, tools, bytes, client) }
            process.stop()
            return (elapsed, tools, bytes, nil)
        } catch {
            process.stop()
            throw error
        }
    }

    /// Sequential whole-list round trips (following cursors).
    private func listLatencies(_ client: StdioClient, count: Int) throws -> Latencies {
        var samples: [UInt64] = []
        for i in 0..<(count + 5) {
            let t0 = nowNanos()
            _ = try client.listTools()
            if i >= 5 { samples.append(nowNanos() - t0) }
        }
        return Latencies(nanoseconds: samples)
    }

    private func manyTools() throws -> String {
        let manifold = StdioServer(label: "Manifold, 50 mounts × 20 tools",
                                   argv: [env.manifold, "serve", env.manifest("bench-50x20.yaml")], environment: manifoldEnv)
        // The first launch on an empty cache: every new library is first discovered in a runner.
        let coldCache = "\(env.work)/cache-cold-\(getpid())"
        makeDirectories(coldCache)
        var coldEnv = manifoldEnv
        coldEnv["MANIFOLD_CACHE_DIR"] = coldCache
        let cold = try launch(StdioServer(label: manifold.label, argv: manifold.argv, environment: coldEnv), logName: "w2-cold", keep: false)
        _ = try? ChildProcess.spawn(["rm", "-rf", coldCache], label: "rm", pipes: false, logPath: "/dev/null")
        var servers = [manifold]
        if let baseline = env.baseline {
            servers.append(StdioServer(label: "Manifold before (baseline), 50 × 20",
                                       argv: [baseline, "serve", env.manifest("bench-50x20.yaml")], environment: manifoldEnv))
            _ = try launch(servers[1], logName: "w2-warmup-baseline", keep: false)
        }
        if env.hasPeer {
            servers.append(StdioServer(label: "FastMCP 4.1.2 host, 50 servers × 20 tools",
                                       argv: [env.python, env.peerScript, "stdio", "50", "20"], environment: [:]))
        }
        _ = try launch(manifold, logName: "w2-warmup", keep: false)  // populates the shared cache
        var launchTimes: [String: Spread] = [:]
        var tools: [String: Int] = [:]
        var bytes: [String: Int] = [:]
        var listP50: [String: Spread] = [:]
        var listP99: [String: Spread] = [:]
        var rss: [String: Spread] = [:]
        let launches = max(3, options.rounds)
        for round in 0..<launches {
            for (i, server) in servers.enumerated() {
                note("launch \(round + 1): \(server.label)")
                let keep = round < options.rounds
                let (elapsed, count, size, client) = try launch(server, logName: "w2-\(i)-\(round)", keep: keep)
                launchTimes[server.label, default: Spread()].add(elapsed)
                tools[server.label] = count
                bytes[server.label] = size
                note("  \(Format.micros(elapsed)) to \(count) tools")
                if let client {
                    defer { client.process.stop() }
                    let slow = server.label.hasPrefix("FastMCP")
                    let list = try listLatencies(client, count: slow ? max(10, n(30)) : n(500))
                    listP50[server.label, default: Spread()].add(list.p50)
                    listP99[server.label, default: Spread()].add(list.p99)
                    let sequential = try client.sequential(
                        CallTemplate.toolsCall("p49_t16", arguments: #"{"x":1}"#, expect: #""text":"17""#),
                        count: slow ? n(300) : n(5000), warmup: slow ? 20 : 200, maxSeconds: 2)
                    _ = sequential
                    rss[server.label, default: Spread()].add(Double(client.process.treePeakRSSKiB()) / 1024)
                    note("  tools/list p50 \(Format.micros(list.p50)); peak RSS \(Format.fixed(rss[server.label]!.values.last!, 1)) MB")
                }
            }
        }
        var lines = [
            "## W2: 50 plugins × 20 tools (950 tools after the admin filter), stdio\n",
            "Launch → list: from spawn to the last byte of the complete `tools/list` answer (initialize, initialized",
            "and tools/list written at once). Warm: Manifold's library cache already holds the discovery record",
            "(the cold first launch, on an empty cache, runs discovery in a runner child and is shown apart).",
            "tools/list: a whole list round trip on a running server. Peak RSS: VmHWM of the server and its children,",
            "after the lists and 5,000 calls of `p49_t16`.\n",
            "| server | tools | list bytes | launch → list (warm) | tools/list p50 | tools/list p99 | peak RSS |",
            "|---|---|---|---|---|---|---|",
        ]
        for server in servers {
            let l = server.label
            lines.append("| \(l) | \(tools[l] ?? 0) | \(Format.count(Double(bytes[l] ?? 0))) | \(Format.spread(launchTimes[l]!, Format.micros)) | "
                + "\(Format.spread(listP50[l]!, Format.micros)) | \(Format.spread(listP99[l]!, Format.micros)) | "
                + "\(Format.spread(rss[l]!, { Format.fixed($0, 1) + " MB" })) |")
        }
        lines.append("\nManifold cold first launch (empty cache, discovery in a runner): \(Format.micros(cold.0)) to \(cold.1) tools.")
        let m = manifold.label
        if let f = servers.first(where: { $0.label.hasPrefix("FastMCP") })?.label {
            lines.append("Against the FastMCP host: launch \(Format.ratio(launchTimes[f]!.median / launchTimes[m]!.median)) shorter, "
                + "tools/list \(Format.ratio(listP50[f]!.median / listP50[m]!.median)) shorter, "
                + "RSS \(Format.ratio(rss[f]!.median / rss[m]!.median)) smaller.")
        }
        lines.append("")
        target("50×20: launch → first tools/list answer ≤ 100 ms (warm)", Format.spread(launchTimes[m]!, Format.micros),
               launchTimes[m]!.median <= 100_000)
        target("tools/list of 950 tools ≤ 2 ms (p50)", Format.spread(listP50[m]!, Format.micros), listP50[m]!.median <= 2000)
        target("50×20 peak RSS ≤ 50 MB", Format.spread(rss[m]!, { Format.fixed($0, 1) + " MB" }), rss[m]!.median <= 50)
        return lines.joined(separator: "\n")
    }

    // MARK: W3 — Manifold in front of FastMCP

    private func fronting() throws -> String {
        guard env.hasPeer else { return "## W3: skipped (no FastMCP venv at \(env.python))\n" }
        let direct = fastmcpServer(3, 3)
        let fronted = StdioServer(label: "Manifold → FastMCP (remote stdio mount)",
                                  argv: [env.manifold, "serve", env.manifest("bench-fastmcp.yaml")], environment: manifoldEnv)
        let servers = [direct, fronted]
        var clients: [StdioClient] = []
        defer { for client in clients { client.process.stop() } }
        for (i, server) in servers.enumerated() { clients.append(try server.connect(env, logName: "w3-\(i)")) }
        let (p50, p99, pipelined) = try roundTrips(servers, clients, sequential: n(1500), warmup: 50, pipelined: n(4000), maxSeconds: 5)
        let ratio = Spread(values: zip(p50[fronted.label]!.values, p50[direct.label]!.values).map { $0 / $1 })
        let throughput = Spread(values: zip(pipelined[fronted.label]!.values, pipelined[direct.label]!.values).map { $0 / $1 })
        var lines = [
            "## W3: Manifold in front of the FastMCP host (remote stdio mount) vs the FastMCP host alone\n",
            "| path | sequential p50 | sequential p99 | pipelined calls/s |",
            "|---|---|---|---|",
        ]
        for server in servers {
            let l = server.label
            lines.append("| \(l) | \(Format.spread(p50[l]!, Format.micros)) | \(Format.spread(p99[l]!, Format.micros)) | \(Format.spread(pipelined[l]!, Format.count)) |")
        }
        lines.append("\nA call through Manifold costs \(Format.spread(ratio, Format.ratio)) a direct call (p50); pipelined throughput \(Format.spread(throughput, Format.ratio)).\n")
        target("W3: a call through Manifold ≤ 1.10× a direct FastMCP call (p50)", Format.spread(ratio, Format.ratio), ratio.median <= 1.10)
        return lines.joined(separator: "\n")
    }

    // MARK: W4 — isolated vs in-process

    private func isolation() throws -> String {
        let inProcess = StdioServer(label: "in-process", argv: manifoldW1.argv, environment: manifoldEnv)
        let isolated = StdioServer(label: "isolated (runner child)", argv: [env.manifold, "serve", env.manifest("bench-isolated.yaml")],
                                   environment: manifoldEnv)
        var servers = [inProcess, isolated]
        if let baseline = env.baseline {
            servers.append(StdioServer(label: "in-process, before (baseline)", argv: [baseline, "serve", env.manifest("bench.yaml")],
                                       environment: manifoldEnv))
            servers.append(StdioServer(label: "isolated, before (baseline)", argv: [baseline, "serve", env.manifest("bench-isolated.yaml")],
                                       environment: manifoldEnv))
        }
        var clients: [StdioClient] = []
        defer { for client in clients { client.process.stop() } }
        for (i, server) in servers.enumerated() { clients.append(try server.connect(env, logName: "w4-\(i)")) }
        let (p50, p99, pipelined) = try roundTrips(servers, clients, sequential: n(20000), warmup: 2000, pipelined: n(300_000),
                                                   maxSeconds: 3)
        var rss: [String: Int] = [:]
        for (server, client) in zip(servers, clients) { rss[server.label] = client.process.treePeakRSSKiB() }
        let added = Spread(values: zip(p50[isolated.label]!.values, p50[inProcess.label]!.values).map { $0 - $1 })
        let ratio = Spread(values: zip(p50[isolated.label]!.values, p50[inProcess.label]!.values).map { $0 / $1 })
        var lines = [
            "## W4: the Bench plugin isolated in a runner vs in-process (W1 over stdio)\n",
            "| execution | sequential p50 | sequential p99 | pipelined calls/s | peak RSS (with children) |",
            "|---|---|---|---|---|",
        ]
        for server in servers {
            let l = server.label
            lines.append("| \(l) | \(Format.spread(p50[l]!, Format.micros)) | \(Format.spread(p99[l]!, Format.micros)) | "
                + "\(Format.spread(pipelined[l]!, Format.count)) | \(Format.fixed(Double(rss[l] ?? 0) / 1024, 1)) MB |")
        }
        lines.append("\nIsolation adds \(Format.spread(added, Format.micros)) per call at p50 (\(Format.spread(ratio, Format.ratio)) the in-process round trip).")
        if env.baseline != nil, let iso = p50["isolated, before (baseline)"], let inp = p50["in-process, before (baseline)"] {
            let before = Spread(values: zip(iso.values, inp.values).map { $0 - $1 })
            let gain = Spread(values: zip(inp.values, p50[inProcess.label]!.values).map { $0 / $1 })
            lines.append("Baseline build: isolation added \(Format.spread(before, Format.micros)); in-process p50 is \(Format.spread(gain, Format.ratio)) shorter now.")
        }
        lines.append("")
        target("W4: isolated adds ≤ 30 µs p50 per call", Format.spread(added, Format.micros), added.median <= 30)
        return lines.joined(separator: "\n")
    }

    /// Sequential p50/p99 and pipelined throughput of `add` on every server, round by round
    /// (servers interleaved within a round), keyed by server label.
    private func roundTrips(_ servers: [StdioServer], _ clients: [StdioClient], sequential: Int, warmup: Int,
                            pipelined: Int, maxSeconds: Double) throws
        -> (p50: [String: Spread], p99: [String: Spread], pipelined: [String: Spread])
    {
        var p50: [String: Spread] = [:]
        var p99: [String: Spread] = [:]
        var throughput: [String: Spread] = [:]
        for round in 0..<options.rounds {
            for (server, client) in zip(servers, clients) {
                note("round \(round + 1): \(server.label)")
                let latencies = try client.sequential(add, count: sequential, warmup: warmup, maxSeconds: maxSeconds)
                p50[server.label, default: Spread()].add(latencies.p50)
                p99[server.label, default: Spread()].add(latencies.p99)
                throughput[server.label, default: Spread()].add(
                    try client.pipelined(add, count: pipelined, window: 256, maxSeconds: maxSeconds))
                note("  p50 \(Format.micros(latencies.p50))")
            }
        }
        return (p50, p99, throughput)
    }
}
