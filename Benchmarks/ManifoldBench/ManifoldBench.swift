import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `manifold-bench`: Manifold's native benchmark client and its peers (BENCHMARKS.md).
///
///     manifold-bench suite                      every workload against its peer, one markdown report
///     manifold-bench stdio -- CMD ARGS…         one stdio server: latency, throughput, launch, list, RSS
///     manifold-bench http URL                   one HTTP server: sequential latency + wrk throughput
///     manifold-bench ceiling [--stdio]          the ceiling peer (bare NIO HTTP) or the stdio floor
@main
struct ManifoldBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifold-bench",
        abstract: "Benchmarks MCP servers over stdio and Streamable HTTP, Manifold against its peers.",
        subcommands: [SuiteCommand.self, StdioCommand.self, HTTPCommand.self, CeilingCommand.self])
}

/// A tools/call to repeat, as options.
struct CallOptions: ParsableArguments {
    @Option(help: "Tool to call.") var tool = "p1_add"
    @Option(help: "Its arguments (JSON object).") var arguments = #"{"a":2,"b":3}"#
    @Option(help: "Text every answer must contain.") var expect = #""text":"5""#

    var template: CallTemplate { .toolsCall(tool, arguments: arguments, expect: expect) }
}

struct SuiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite",
        abstract: "Run every workload (W1 HTTP + stdio, W2 50×20, W3 fronting FastMCP, W4 isolated) with its peers; print markdown.")

    @Option(help: "The repository root (manifests/, Benchmarks/peers/, .venv-peer/).") var root = "."
    @Option(help: "The manifold binary (default: <root>/.build-bench/release/manifold).") var manifold: String?
    @Option(help: "Python of the FastMCP peer venv (default: <root>/.venv-peer/bin/python).") var python: String?
    @Option(help: "Folder for logs, the Lua script, Manifold's cache (default: <root>/.build-bench/bench-work).") var work: String?
    @Option(help: "Another manifold binary (with its plugin libraries beside it) measured in the same run: before/after.") var baseline: String?
    @Option(help: "Rounds of each comparison (servers interleaved per round).") var rounds = 3
    @Option(help: "wrk duration per run, seconds.") var seconds = 10
    @Option(help: "wrk connections.") var connections = 32
    @Option(help: "wrk threads.") var threads = 2
    @Option(help: "Comma-separated sections: http,stdio,w2,w3,w4.") var only: String?
    @Flag(help: "Fewer calls and rounds, for a quick look (not for BENCHMARKS.md).") var quick = false
    @Flag(help: "Skip the stateful-session HTTP server.") var noStateful = false
    @Option(help: "Also write the report to this file.") var output: String?
    @Flag(help: "Keep idle CPUs from sleeping (a 0 µs PM QoS request on /dev/cpu_dma_latency, else a nice-19 spinner per CPU), so a VM's halted vCPUs do not add their wake-up time to every latency.") var awake = false
    @Flag(help: "HTTP: run the servers on CPU 0 with one event loop and wrk (one thread per other CPU) on the rest, so client and server do not take turns on the same cores.") var pin = false

    func run() throws {
        let env = try BenchEnvironment(root: root, manifold: manifold, python: python, work: work, baseline: baseline)
        var options = Suite.Options()
        options.rounds = quick ? 1 : rounds
        options.wrkSeconds = quick ? 3 : seconds
        options.wrkConnections = connections
        options.wrkThreads = threads
        options.scale = quick ? 0.2 : 1
        options.includeStateful = !noStateful
        options.awake = awake
        if pin {
            options.pinning = try CPUPinning.split()
            options.wrkThreads = options.pinning.clientCPUs
        }
        if let only { options.sections = Set(only.split(separator: ",").map { String($0).trimmed }) }
        if !env.hasPeer { note("no FastMCP peer (\(env.python)): peers are skipped") }
        let report = try Suite(env: env, options: options).run()
        print(report)
        if let output { try writeFile(output, report + "\n") }
    }
}

struct StdioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stdio",
        abstract: "Measure one stdio MCP server (the command after --): launch → tools/list, sequential and pipelined tools/call, tools/list, peak RSS.")

    @OptionGroup var call: CallOptions
    @Option(help: "Sequential calls.") var count = 20000
    @Option(help: "Pipelined calls.") var pipelined = 300_000
    @Option(help: "Pipelined window (requests in flight).") var window = 256
    @Option(help: "Whole tools/list round trips (0: none, and launch is timed to the initialize answer).") var lists = 200
    @Option(help: "Seconds each phase may take at most.") var maxSeconds = 5.0
    @Argument(parsing: .postTerminator, help: "The server's command line.") var command: [String]

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        guard !command.isEmpty else { throw ValidationError("give the server's command after --") }
        let log = "/tmp/manifold-bench-stdio-\(getpid()).log"
        let process = try ChildProcess.spawn(command, label: command.joined(separator: " "), pipes: true, logPath: log)
        defer { process.stop() }
        let client = StdioClient(process: process)
        if lists == 0 {
            try client.handshake()
            print("launch → initialize answered: \(Format.micros(Double(nowNanos() - process.startedAt) / 1000))")
        } else {
            try client.send(StdioClient.initializeFrames(id: 1) + StdioClient.toolsListFrame(id: 2, cursor: nil))
            _ = try client.readResponse(id: 1)
            let (tools, bytes) = try client.listTools(firstID: 2)
            let launch = Double(nowNanos() - process.startedAt) / 1000
            print("launch → tools/list answered: \(Format.micros(launch)) (\(tools) tools, \(Format.count(Double(bytes))) bytes)")
        }
        var lists: [UInt64] = []
        let deadline = nowNanos() + UInt64(maxSeconds * 1e9)
        for _ in 0..<self.lists where nowNanos() < deadline {
            let t0 = nowNanos()
            _ = try client.listTools()
            lists.append(nowNanos() - t0)
        }
        let list = Latencies(nanoseconds: lists)
        if self.lists > 0 { print("tools/list: p50 \(Format.micros(list.p50)), p99 \(Format.micros(list.p99)) (\(list.count) lists)") }
        let sequential = try client.sequential(call.template, count: count, warmup: min(2000, count / 10), maxSeconds: maxSeconds)
        print("sequential \(call.tool): p50 \(Format.micros(sequential.p50)), p99 \(Format.micros(sequential.p99)) (\(sequential.count) calls)")
        let rate = try client.pipelined(call.template, count: pipelined, window: window, maxSeconds: maxSeconds)
        print("pipelined \(call.tool): \(Format.count(rate)) calls/s (window \(window))")
        print("peak RSS (with children): \(Format.fixed(Double(process.treePeakRSSKiB()) / 1024, 1)) MB")
    }
}

struct HTTPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Measure one Streamable HTTP MCP server: sequential round trips (native) and throughput (wrk).")

    @OptionGroup var call: CallOptions
    @Argument(help: "The MCP endpoint, e.g. http://127.0.0.1:8080/mcp.") var url: String
    @Flag(help: "Initialize a session first and send its Mcp-Session-Id (stateful servers).") var session = false
    @Flag(name: .customLong("no-check-ids"), help: "Do not check response ids (for the ceiling, which parses nothing).") var noCheckIDs = false
    @Option(help: "Sequential calls.") var count = 5000
    @Option(help: "Seconds the sequential calls may take at most.") var maxSeconds = 5.0
    @Option(help: "wrk duration, seconds (0: no wrk run).") var seconds = 10
    @Option(help: "wrk connections.") var connections = 32
    @Option(help: "wrk threads.") var threads = 2

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        guard url.hasPrefix("http://"), let hostStart = url.range(of: "://")?.upperBound else {
            throw ValidationError("url must be http://host:port/path")
        }
        let rest = url[hostStart...]
        let path = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/"
        let hostPort = rest.firstIndex(of: "/").map { rest[..<$0] } ?? rest
        guard let port = hostPort.split(separator: ":").last.flatMap({ Int($0) }) else { throw ValidationError("url needs a port") }
        let client = HTTPClient(port: port, path: path)
        if session { try client.handshake() }
        let sequential = try client.sequential(call.template, count: count, warmup: min(500, count / 10), maxSeconds: maxSeconds,
                                               checkID: !noCheckIDs)
        print("sequential \(call.tool): p50 \(Format.micros(sequential.p50)), p99 \(Format.micros(sequential.p99)) (\(sequential.count) calls)")
        guard seconds > 0 else { return }
        let work = "/tmp/manifold-bench-\(getpid())"
        makeDirectories(work)
        let result = try Wrk.run(url: url, path: path, call: call.template, checkIDs: !noCheckIDs, sessionID: client.sessionID,
                                 threads: threads, connections: connections, seconds: seconds, workDirectory: work)
        print("wrk -t\(threads) -c\(connections) -d\(seconds)s: \(Format.count(result.requestsPerSecond)) req/s, "
            + "p50 \(Format.micros(result.p50)), p90 \(Format.micros(result.p90)), p99 \(Format.micros(result.p99)); "
            + "\(result.answered) answers, \(result.badStatus) non-2xx, \(result.badID) wrong ids, \(result.socketErrors) socket errors")
    }
}

struct CeilingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ceiling",
        abstract: "Serve the ceiling: bare SwiftNIO HTTP/1.1, a fixed JSON-RPC result for every POST (or, with --stdio, the pipe floor).")

    @Option(help: "Port (0: any free port).") var port = 0
    @Option(help: "Event loop threads (default: one per core, as Manifold).") var threads: Int?
    @Option(help: "Write the bound port here once listening.") var portFile: String?
    @Flag(help: "Answer newline-delimited JSON-RPC on stdin/stdout instead (the stdio floor).") var stdio = false

    func run() throws {
        if stdio { CeilingServer.serveStdio() }
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        try CeilingServer.serveHTTP(port: port, threads: threads ?? max(1, cores), portFile: portFile)
    }
}

extension String {
    var trimmed: String {
        var s = self[...]
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
