import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A scripted HTTP/1.1 server on 127.0.0.1 for the client transport tests: records every
/// request and answers with what the test's `respond` returns.
final class FakeHTTPServer: Sendable {
    struct Request: Sendable {
        var method: HTTPMethod
        var uri: String
        var headers: HTTPHeaders
        var body: String
    }

    struct Response: Sendable {
        var status: HTTPResponseStatus
        var headers: [(String, String)] = []
        var body: String = ""
    }

    final class Recorder: Sendable {
        let list = Mutex<[Request]>([])
    }

    let port: Int
    private let channel: any Channel
    private let recorded = Recorder()

    var requests: [Request] { recorded.list.withLock { $0 } }

    /// The requests recorded, once `done` holds for them or `timeout` seconds have passed
    /// (polled: requests on other connections arrive in their own time).
    func requests(until done: ([Request]) -> Bool, timeout: Double = 10) -> [Request] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let current = requests
            if done(current) { return current }
            usleep(2000)
        }
        return requests
    }

    init(respond: @escaping @Sendable (Request) -> Response) throws {
        let recorded = self.recorded
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(respond: respond, recorded: recorded))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        port = channel.localAddress!.port!
    }

    func stop() { try? channel.close().wait() }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let respond: @Sendable (Request) -> Response
        let recorded: Recorder
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(respond: @escaping @Sendable (Request) -> Response, recorded: Recorder) {
            self.respond = respond
            self.recorded = recorded
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(let buffer):
                body += buffer.readableBytesView
            case .end:
                guard let head else { return }
                let request = Request(method: head.method, uri: head.uri, headers: head.headers,
                                      body: String(decoding: body, as: UTF8.self))
                recorded.list.withLock { $0.append(request) }
                let response = respond(request)
                var headers = HTTPHeaders(response.headers)
                headers.replaceOrAdd(name: "Content-Length", value: String(response.body.utf8.count))
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))),
                              promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: response.body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
