import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The ceiling of DESIGN.md §2: a bare SwiftNIO HTTP/1.1 server that answers every request
/// with the same JSON-RPC result and parses nothing — what the HTTP stack alone costs on this
/// machine. Same event-loop count, socket options and NIOHTTP1 pipeline as Manifold's endpoint.
enum CeilingServer {
    static let body = #"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"5"}],"structuredContent":{"result":5}}}"#

    final class FixedAnswer: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        private let head: HTTPResponseHead
        private let body: ByteBuffer

        init() {
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "content-length", value: String(CeilingServer.body.utf8.count))
            head = HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)
            body = ByteBuffer(string: CeilingServer.body)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = self.unwrapInboundIn(data) else { return }
            context.write(self.wrapOutboundOut(.head(head)), promise: nil)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    /// Serves until killed; writes the bound port to `portFile` once listening.
    static func serveHTTP(port: Int, threads: Int, portFile: String?) throws -> Never {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(FixedAnswer())
                }
            }
            .bind(host: "127.0.0.1", port: port).wait()
        let bound = channel.localAddress?.port ?? port
        if let portFile {
            try writeFile(portFile + ".tmp", "\(bound)\n")
            rename(portFile + ".tmp", portFile)
        }
        note("ceiling listening on http://127.0.0.1:\(bound)/mcp")
        try channel.closeFuture.wait()
        exit(0)
    }

    /// The stdio floor: answers each line of stdin with a fixed result carrying the line's
    /// `"id"` (copied, nothing else is read), writing all answers of one read with one write.
    /// What a round trip over two pipes costs here, with the client and checks unchanged.
    static func serveStdio() -> Never {
        let prefix = Array(#"{"jsonrpc":"2.0","id":"#.utf8)
        let suffix = Array(#","result":{"content":[{"type":"text","text":"5"}],"structuredContent":{"result":5}}}"#.utf8) + [0x0A]
        let key = Array(#""id":"#.utf8)
        var input = [UInt8](repeating: 0, count: 1 << 20)
        var output: [UInt8] = []
        output.reserveCapacity(1 << 20)
        var kept = 0
        while true {
            let n = input.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress! + kept, $0.count - kept) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { exit(0) }
            let total = kept + n
            var lineStart = 0
            input.withUnsafeBytes { b in
                var i = 0
                while i < total {
                    guard let nl = memchr(b.baseAddress! + i, 0x0A, total - i) else { break }
                    let lineEnd = b.baseAddress!.distance(to: UnsafeRawPointer(nl))
                    let line = UnsafeRawBufferPointer(rebasing: b[lineStart..<lineEnd])
                    output.append(contentsOf: prefix)
                    if let at = key.withUnsafeBytes({ Bytes.find($0, in: line) }) {
                        var j = at + key.count
                        while j < line.count && line[j] != UInt8(ascii: ",") && line[j] != UInt8(ascii: "}") {
                            output.append(line[j])
                            j += 1
                        }
                    } else {
                        output.append(contentsOf: Array("null".utf8))
                    }
                    output.append(contentsOf: suffix)
                    i = lineEnd + 1
                    lineStart = i
                }
            }
            kept = total - lineStart
            if kept > 0 {
                input.withUnsafeMutableBytes { b in _ = memmove(b.baseAddress!, b.baseAddress! + lineStart, kept) }
                if kept == input.count { input += [UInt8](repeating: 0, count: input.count) }
            }
            var offset = 0
            output.withUnsafeBytes { b in
                while offset < b.count {
                    let w = write(STDOUT_FILENO, b.baseAddress! + offset, b.count - offset)
                    if w < 0 { if errno == EINTR { continue }; exit(0) }
                    offset += w
                }
            }
            output.removeAll(keepingCapacity: true)
        }
    }
}
