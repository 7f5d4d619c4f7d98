#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ManifoldIO

/// Drives `wrk` for concurrent HTTP throughput: one JSON-RPC request per HTTP request, each
/// with its own id, from a Lua script that checks every response — a 2xx status, and (unless
/// the server is the ceiling, which parses nothing and so cannot echo ids) the id of a request
/// that is still waiting for its answer. Both kinds of server run the same script, so the
/// client costs the same on either side of a ratio.
enum Wrk {
    struct Result {
        var requests: Int
        var requestsPerSecond: Double
        var p50: Double
        var p90: Double
        var p99: Double
        var answered: Int
        var badStatus: Int
        var badID: Int
        var socketErrors: Int
    }

    static let script = #"""
    -- manifold-bench: one JSON-RPC request per HTTP request, each with its own id. Every response
    -- must be 2xx and, when checking ids, carry the id of a request still waiting for its answer.
    local threads = {}

    function setup(thread)
       thread:set("tid", #threads + 1)
       table.insert(threads, thread)
    end

    sent, answered, bad_status, bad_id = 0, 0, 0, 0
    local outstanding = {}
    local pre, post, check, path

    function init(args)
       pre, post, check, path = args[1], args[2], args[3] == "check", args[4]
       wrk.headers["Content-Type"] = "application/json"
       wrk.headers["Accept"] = "application/json, text/event-stream"
       if args[5] and args[5] ~= "" then
          wrk.headers["Mcp-Session-Id"] = args[5]
          wrk.headers["MCP-Protocol-Version"] = "2025-06-18"
       end
    end

    function request()
       sent = sent + 1
       local id = tid * 1000000000 + sent
       if check then outstanding[id] = true end
       return wrk.format("POST", path, nil, pre .. id .. post)
    end

    function response(status, headers, body)
       answered = answered + 1
       if status < 200 or status > 299 then bad_status = bad_status + 1 end
       local id = tonumber(string.match(body, '"id":(%d+)'))
       if check then
          if id and outstanding[id] then outstanding[id] = nil else bad_id = bad_id + 1 end
       end
    end

    function done(summary, latency, requests)
       local a, bs, bi = 0, 0, 0
       for _, t in ipairs(threads) do
          a = a + t:get("answered")
          bs = bs + t:get("bad_status")
          bi = bi + t:get("bad_id")
       end
       local e = summary.errors
       io.write(string.format("MBENCH requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d answered=%d bad_status=%d bad_id=%d socket_errors=%d\n",
          summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
          a, bs, bi, e.connect + e.read + e.write + e.timeout))
    end
    """#

    /// Runs `wrk -t<threads> -c<connections> -d<seconds>s` against `url` posting `call`.
    static func run(url: String, path: String, call: CallTemplate, checkIDs: Bool, sessionID: String?,
                    threads: Int, connections: Int, seconds: Int, workDirectory: String,
                    pinning: CPUPinning = .none) throws -> Result {
        let scriptPath = workDirectory + "/mcp-post.lua"
        if readFile(scriptPath) != script { try writeFile(scriptPath, script) }
        let outPath = workDirectory + "/wrk.out"
        let argv = pinning.client(["wrk", "-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", scriptPath, url, "--",
                    String(decoding: call.prefix, as: UTF8.self), String(decoding: call.suffix, as: UTF8.self),
                    checkIDs ? "check" : "nocheck", path, sessionID ?? ""])
        do {
            _ = try SpawnedProcess.spawn(argv[0], arguments: Array(argv.dropFirst()), environment: inheritedEnvironment(),
                                         stdin: .null, stdout: .file(outPath), stderr: .stdout).wait()
        } catch {
            throw BenchFailure("cannot start \(argv[0]): \(error)")
        }
        let output = readFile(outPath) ?? ""
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("MBENCH ") }) else {
            throw BenchFailure("wrk did not report (is it installed? apt-get install wrk):\n\(output)")
        }
        var fields: [String: Double] = [:]
        for pair in line.dropFirst(7).split(separator: " ") {
            let kv = pair.split(separator: "=")
            if kv.count == 2 { fields[String(kv[0])] = Double(kv[1]) }
        }
        let requests = fields["requests"] ?? 0
        let duration = (fields["duration_us"] ?? 1) / 1e6
        return Result(requests: Int(requests), requestsPerSecond: requests / duration, p50: fields["p50_us"] ?? .nan, p90: fields["p90_us"] ?? .nan,
                      p99: fields["p99_us"] ?? .nan, answered: Int(fields["answered"] ?? 0),
                      badStatus: Int(fields["bad_status"] ?? 0), badID: Int(fields["bad_id"] ?? 0),
                      socketErrors: Int(fields["socket_errors"] ?? 0))
    }

    static var isInstalled: Bool {
        for dir in (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin").split(separator: ":")
        where access("\(dir)/wrk", X_OK) == 0 { return true }
        return false
    }
}
