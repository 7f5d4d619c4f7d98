import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A native MCP client over a child's stdin/stdout: newline-delimited JSON-RPC, blocking for
/// sequential round trips, poll(2)-driven for pipelined throughput. Requests are prebuilt
/// bytes; responses are checked (id, result, expected text) without building JSON trees.
final class StdioClient {
    let process: ChildProcess
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var nextID = 1_000

    init(process: ChildProcess) {
        self.process = process
        buffer = .allocate(byteCount: 4 << 20, alignment: 16)
    }

    deinit { buffer.deallocate() }

    // MARK: Frames

    func send(_ frame: [UInt8]) throws {
        try frame.withUnsafeBytes { try writeAll($0) }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = write(process.input, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw BenchFailure("\(process.label): write failed (\(String(cString: strerror(errno)))); its log:\n\(process.logTail())")
            }
            offset += n
        }
    }

    /// Reads the next line and passes it to `body` (valid only during the call).
    @discardableResult
    func readLine<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        while true {
            if end > start, let nl = memchr(buffer.baseAddress! + start, 0x0A, end - start) {
                let lineEnd = UnsafeRawPointer(buffer.baseAddress!).distance(to: UnsafeRawPointer(nl))
                let line = UnsafeRawBufferPointer(rebasing: buffer[start..<lineEnd])
                start = lineEnd + 1
                if start == end { start = 0; end = 0 }
                return try body(line)
            }
            try fill()
        }
    }

    /// Reads lines until the response with `id` (skipping notifications and other messages).
    func readResponse(id: Int) throws -> [UInt8] {
        while true {
            let found: [UInt8]? = try readLine { line in
                Bytes.responseID(line) == id && !isRequest(line) ? Array(line) : nil
            }
            if let found { return found }
        }
    }

    private func isRequest(_ line: UnsafeRawBufferPointer) -> Bool {
        Bytes.contains(line, Array("\"method\"".utf8))
    }

    private func fill() throws {
        if start > 0 {
            memmove(buffer.baseAddress!, buffer.baseAddress! + start, end - start)
            end -= start
            start = 0
        }
        if end == buffer.count {
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
            bigger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: end)
            buffer.deallocate()
            buffer = bigger
        }
        while true {
            let n = read(process.output, buffer.baseAddress! + end, buffer.count - end)
            if n > 0 { end += n; return }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN {
                var p = pollfd(fd: process.output, events: Int16(POLLIN), revents: 0)
                _ = poll(&p, 1, 1000)
                continue
            }
            throw BenchFailure("\(process.label) closed its output; its log:\n\(process.logTail())")
        }
    }

    // MARK: MCP

    /// `initialize` + `notifications/initialized`.
    func handshake() throws {
        try send(Self.initializeFrames(id: 1))
        _ = try readResponse(id: 1)
    }

    static func initializeFrames(id: Int) -> [UInt8] {
        Array(("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
            + "\"capabilities\":{},\"clientInfo\":{\"name\":\"manifold-bench\",\"version\":\"1.0\"}}}\n"
            + "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n").utf8)
    }

    static func toolsListFrame(id: Int, cursor: String?) -> [UInt8] {
        let params = cursor.map { ",\"params\":{\"cursor\":\"\($0)\"}" } ?? ""
        return Array("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"tools/list\"\(params)}\n".utf8)
    }

    /// The whole tool list (following `nextCursor`): how many tools, and the bytes received.
    func listTools(firstID: Int? = nil) throws -> (tools: Int, bytes: Int) {
        var cursor: String?
        var tools = 0
        var bytes = 0
        var id = firstID ?? takeID()
        if firstID == nil { try send(Self.toolsListFrame(id: id, cursor: nil)) }
        while true {
            let response = try readResponse(id: id)
            bytes += response.count
            let (count, next) = try Self.toolsPage(response, label: process.label)
            tools += count
            guard let next else { return (tools, bytes) }
            cursor = next
            id = takeID()
            try send(Self.toolsListFrame(id: id, cursor: cursor))
        }
    }

    /// Counts the tools of one tools/list result and reads its nextCursor (byte scans only: the
    /// client must not be what a 250 kB list costs).
    static func toolsPage(_ response: [UInt8], label: String) throws -> (Int, String?) {
        try response.withUnsafeBytes { b in
            guard Bytes.contains(b, Array("\"tools\"".utf8)) else {
                throw BenchFailure("\(label): tools/list failed: \(String(decoding: response.prefix(300), as: UTF8.self))")
            }
            // Count `"inputSchema"` by its rare capital S (memchr on `"` would stop every few bytes).
            let key = Array("\"inputSchema\"".utf8)
            var count = 0
            var at = 6
            while at < b.count, let hit = memchr(b.baseAddress! + at, Int32(UInt8(ascii: "S")), b.count - at) {
                let s = UnsafeRawPointer(b.baseAddress!).distance(to: UnsafeRawPointer(hit))
                if s + 7 <= b.count, key.withUnsafeBytes({ memcmp(b.baseAddress! + s - 6, $0.baseAddress!, key.count) }) == 0 {
                    count += 1
                }
                at = s + 1
            }
            let cursorKey = Array("\"nextCursor\":\"".utf8)
            var cursor: String?
            if let found = cursorKey.withUnsafeBytes({ Bytes.find($0, in: b) }) {
                let from = found + cursorKey.count
                if let close = b[from...].firstIndex(of: UInt8(ascii: "\"")) {
                    cursor = String(decoding: b[from..<close], as: UTF8.self)
                }
            }
            return (count, cursor)
        }
    }

    func takeID() -> Int {
        nextID += 1
        return nextID
    }

    // MARK: Workloads

    /// `count` sequential round trips of `call` (one in flight at a time), stopping early after
    /// `maxSeconds`. Every response must carry its request's id and `expect`.
    func sequential(_ call: CallTemplate, count: Int, warmup: Int, maxSeconds: Double) throws -> Latencies {
        var samples: [UInt64] = []
        samples.reserveCapacity(count)
        let deadline = nowNanos() + UInt64(maxSeconds * 1e9)
        var frame: [UInt8] = []
        frame.reserveCapacity(256)
        for i in 0..<(warmup + count) {
            let id = takeID()
            frame.removeAll(keepingCapacity: true)
            call.append(id: id, to: &frame)
            let t0 = nowNanos()
            try send(frame)
            var ok = false
            while !ok {
                ok = try readLine { line -> Bool in
                    guard let got = Bytes.responseID(line), !isRequest(line) else { return false }
                    guard got == id, call.accepts(line) else {
                        throw BenchFailure("\(process.label): unexpected answer to request \(id): \(String(decoding: line, as: UTF8.self).prefix(300))")
                    }
                    return true
                }
            }
            let t1 = nowNanos()
            if i >= warmup { samples.append(t1 - t0) }
            if i >= warmup && t1 > deadline && samples.count >= 50 { break }
        }
        return Latencies(nanoseconds: samples)
    }

    /// Pipelined throughput: up to `window` requests in flight, sent in batches and answered
    /// in any order, for `count` calls or `maxSeconds`. Returns calls per second, measured
    /// from the first request sent to the last response received.
    func pipelined(_ call: CallTemplate, count: Int, window: Int, maxSeconds: Double) throws -> Double {
        try pipelinedRun(call, count: count, window: window, maxSeconds: maxSeconds).rate
    }

    /// Like `pipelined`, also returning how many calls were answered.
    func pipelinedRun(_ call: CallTemplate, count: Int, window: Int, maxSeconds: Double) throws -> (rate: Double, calls: Int) {
        let flags = fcntl(process.input, F_GETFL)
        _ = fcntl(process.input, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(process.input, F_SETFL, flags) }
        let base = nextID + 1
        var outstanding = [Bool](repeating: false, count: count)
        var sent = 0
        var received = 0
        var pendingOut: [UInt8] = []
        pendingOut.reserveCapacity(window * 128)
        var pendingOffset = 0
        let t0 = nowNanos()
        let deadline = t0 + UInt64(maxSeconds * 1e9)
        var limit = count
        var failure: BenchFailure?
        while received < limit {
            // Top up the window.
            if pendingOffset == pendingOut.count {
                pendingOut.removeAll(keepingCapacity: true)
                pendingOffset = 0
                while sent < limit && sent - received < window {
                    call.append(id: base + sent, to: &pendingOut)
                    outstanding[sent] = true
                    sent += 1
                }
            }
            var fds = [pollfd(fd: process.output, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: process.input, events: Int16(pendingOffset < pendingOut.count ? POLLOUT : 0), revents: 0)]
            let rc = poll(&fds, 2, 5000)
            if rc == 0 { throw BenchFailure("\(process.label): no progress for 5 s (\(received) of \(sent) answered)") }
            if rc < 0 { if errno == EINTR { continue }; throw BenchFailure("poll: \(String(cString: strerror(errno)))") }
            if fds[1].revents & Int16(POLLOUT) != 0 {
                let n = pendingOut.withUnsafeBytes { write(process.input, $0.baseAddress! + pendingOffset, $0.count - pendingOffset) }
                if n > 0 { pendingOffset += n } else if errno != EAGAIN && errno != EINTR {
                    throw BenchFailure("\(process.label): write failed; its log:\n\(process.logTail())")
                }
            }
            if fds[0].revents & Int16(POLLIN | POLLHUP) != 0 {
                try fill()
                while end > start, let nl = memchr(buffer.baseAddress! + start, 0x0A, end - start) {
                    let lineEnd = UnsafeRawPointer(buffer.baseAddress!).distance(to: UnsafeRawPointer(nl))
                    let line = UnsafeRawBufferPointer(rebasing: buffer[start..<lineEnd])
                    start = lineEnd + 1
                    guard let id = Bytes.responseID(line), !isRequest(line) else { continue }
                    let slot = id - base
                    if slot < 0 || slot >= sent || !outstanding[slot] || !call.accepts(line) {
                        failure = BenchFailure("\(process.label): unexpected answer (id \(id)): \(String(decoding: line, as: UTF8.self).prefix(300))")
                        continue
                    }
                    outstanding[slot] = false
                    received += 1
                }
                if start == end { start = 0; end = 0 }
                if let failure { throw failure }
            }
            if limit == count && nowNanos() > deadline && received >= 100 { limit = sent }
        }
        let elapsed = Double(nowNanos() - t0) / 1e9
        nextID = base + sent
        return (Double(received) / elapsed, received)
    }
}

/// A request sent many times with different ids, and what its answer must contain.
struct CallTemplate {
    let prefix: [UInt8]
    let suffix: [UInt8]
    let expect: [UInt8]

    /// `tools/call` of `tool` with `arguments` (JSON); the result must contain `expect`.
    static func toolsCall(_ tool: String, arguments: String, expect: String) -> CallTemplate {
        CallTemplate(prefix: Array("{\"jsonrpc\":\"2.0\",\"id\":".utf8),
                     suffix: Array(",\"method\":\"tools/call\",\"params\":{\"name\":\"\(tool)\",\"arguments\":\(arguments)}}".utf8),
                     expect: Array(expect.utf8))
    }

    static let ping = CallTemplate(prefix: Array("{\"jsonrpc\":\"2.0\",\"id\":".utf8),
                                   suffix: Array(",\"method\":\"ping\"}".utf8), expect: Array("\"result\"".utf8))

    /// The JSON body for `id` (no newline).
    func body(id: Int) -> [UInt8] { prefix + Array(String(id).utf8) + suffix }

    /// Appends the frame for `id` (with its newline).
    @inline(__always)
    func append(id: Int, to out: inout [UInt8]) {
        out.append(contentsOf: prefix)
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = id
        var count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[19 - count] = UInt8(0x30 + n % 10)
                n /= 10
                count += 1
            } while n > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[(20 - count)...]))
        }
        out.append(contentsOf: suffix)
        out.append(0x0A)
    }

    /// A successful answer that contains the expected text.
    func accepts(_ line: UnsafeRawBufferPointer) -> Bool {
        Bytes.contains(line, Self.resultKey) && Bytes.contains(line, expect) && !Bytes.contains(line, Self.isErrorTrue)
    }

    private static let resultKey = Array("\"result\":".utf8)
    private static let isErrorTrue = Array("\"isError\":true".utf8)
}
