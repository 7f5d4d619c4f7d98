#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal blocking HTTP/1.1 client on one keep-alive connection: enough to initialize an
/// MCP session and to time sequential round trips natively (wrk does the concurrent load).
final class HTTPClient {
    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.0 == name.lowercased() }?.1
        }
    }

    let host = "127.0.0.1"
    let port: Int
    let path: String
    var sessionID: String?
    private var fd: Int32 = -1
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private var start = 0
    private var end = 0

    init(port: Int, path: String) {
        self.port = port
        self.path = path
    }

    deinit { if fd >= 0 { close(fd) } }

    private func connect() throws {
        if fd >= 0 { close(fd) }
        start = 0
        end = 0
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            let why = String(cString: strerror(errno))
            close(fd)
            fd = -1
            throw BenchFailure("connect 127.0.0.1:\(port): \(why)")
        }
    }

    /// The request bytes of a POST of `body`.
    func postRequest(_ body: [UInt8]) -> [UInt8] {
        var head = "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Type: application/json\r\n"
            + "Accept: application/json, text/event-stream\r\nContent-Length: \(body.count)\r\n"
        if let sessionID { head += "Mcp-Session-Id: \(sessionID)\r\nMCP-Protocol-Version: 2025-06-18\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    /// Sends a prebuilt request and reads its response. Reconnects once if the server closed.
    func roundTrip(_ request: [UInt8]) throws -> Response {
        if fd < 0 { try connect() }
        do {
            try sendAll(request)
            return try readResponse()
        } catch {
            try connect()
            try sendAll(request)
            return try readResponse()
        }
    }

    func post(_ body: [UInt8]) throws -> Response { try roundTrip(postRequest(body)) }

    private func sendAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { b in
            var offset = 0
            while offset < b.count {
                let n = send(fd, b.baseAddress! + offset, b.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0 { if errno == EINTR { continue }; throw BenchFailure("send: \(String(cString: strerror(errno)))") }
                offset += n
            }
        }
    }

    private func fill() throws {
        if start > 0 {
            buffer.withUnsafeMutableBytes { b in _ = memmove(b.baseAddress!, b.baseAddress! + start, end - start) }
            end -= start
            start = 0
        }
        if end == buffer.count { buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count)) }
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + end, $0.count - end, 0) }
            if n > 0 { end += n; return }
            if n < 0 && errno == EINTR { continue }
            throw BenchFailure("the server at :\(port) closed the connection")
        }
    }

    private func readResponse() throws -> Response {
        // Head.
        var headEnd: Int?
        while headEnd == nil {
            headEnd = buffer.withUnsafeBytes { b -> Int? in
                let crlf: StaticString = "\r\n\r\n"
                return crlf.withUTF8Buffer { Bytes.find(UnsafeRawBufferPointer($0), in: b, from: start, to: end) }
            }
            if headEnd == nil { try fill() }
        }
        let head = String(decoding: buffer[start..<headEnd!], as: UTF8.self)
        start = headEnd! + 4
        var lines = head.split(separator: "\r\n")
        guard !lines.isEmpty else { throw BenchFailure("empty HTTP response head") }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw BenchFailure("bad status line: \(head.prefix(80))") }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: " \t")))
        }
        var response = Response(status: status, headers: headers, body: [])
        if let length = response.header("content-length").flatMap(Int.init) {
            while end - start < length { try fill() }
            response.body = Array(buffer[start..<(start + length)])
            start += length
        } else if response.header("transfer-encoding")?.lowercased().contains("chunked") == true {
            while true {
                var lineEnd: Int?
                while lineEnd == nil {
                    lineEnd = buffer[start..<end].firstIndex(of: 0x0A)
                    if lineEnd == nil { try fill() }
                }
                let sizeText = String(decoding: buffer[start..<lineEnd!], as: UTF8.self).trimmingCharacters(in: "\r ")
                start = lineEnd! + 1
                let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16) ?? 0
                while end - start < size + 2 { try fill() }
                response.body += buffer[start..<(start + size)]
                start += size + 2
                if size == 0 { break }
            }
        } else if status != 204 && status != 202 && status != 304 {
            throw BenchFailure("HTTP response without content-length (status \(status))")
        }
        if start == end { start = 0; end = 0 }
        return response
    }

    // MARK: MCP

    /// `initialize` + `notifications/initialized` (stateful servers: keeps the session id).
    func handshake() throws {
        let initialize = Array(("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
            + "\"capabilities\":{},\"clientInfo\":{\"name\":\"manifold-bench\",\"version\":\"1.0\"}}}").utf8)
        let response = try post(initialize)
        guard response.status == 200 else {
            throw BenchFailure("initialize → HTTP \(response.status): \(String(decoding: response.body, as: UTF8.self).prefix(300))")
        }
        sessionID = response.header("mcp-session-id")
        _ = try post(Array("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}".utf8))
    }

    /// Sequential round trips of `call` on this connection.
    func sequential(_ call: CallTemplate, count: Int, warmup: Int, maxSeconds: Double, checkID: Bool) throws -> Latencies {
        var samples: [UInt64] = []
        samples.reserveCapacity(count)
        let deadline = nowNanos() + UInt64(maxSeconds * 1e9)
        for i in 0..<(warmup + count) {
            let id = 10_000 + i
            let request = postRequest(call.body(id: id))
            let t0 = nowNanos()
            let response = try roundTrip(request)
            let t1 = nowNanos()
            let ok = response.body.withUnsafeBytes { b in
                (200..<300).contains(response.status) && (!checkID || Bytes.responseID(b) == id) && call.accepts(b)
            }
            guard ok else {
                throw BenchFailure(":\(port): unexpected answer to request \(id): HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self).prefix(300))")
            }
            if i >= warmup { samples.append(t1 - t0) }
            if i >= warmup && t1 > deadline && samples.count >= 50 { break }
        }
        return Latencies(nanoseconds: samples)
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self[...]
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

private extension String {
    func trimmingCharacters(in set: String) -> String { self[...].trimmingCharacters(in: set) }
}
