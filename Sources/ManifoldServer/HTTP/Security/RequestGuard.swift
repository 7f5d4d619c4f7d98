import NIOCore
import NIOHTTP1

/// Refuses requests whose `Host` or `Origin` the endpoint does not accept (`OriginPolicy`),
/// before anything else looks at them: a `Host` not allowed gets `421 Misdirected Request`
/// (the request was not meant for this server — the answer a DNS-rebinding page gets), an
/// `Origin` present and not allowed gets `403 Forbidden`. Both bodies are JSON-RPC errors with
/// `id: null`, as MCP clients expect a JSON-RPC body on any refusal.
final class RequestGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequest
    typealias InboundOut = HTTPRequest
    typealias OutboundOut = HTTPServerResponsePart

    private let policy: OriginPolicy
    /// The last `Host` value this connection had accepted: a keep-alive client sends the same
    /// one every time, so the check is one string comparison after the first request.
    private var acceptedHost: String?

    init(policy: OriginPolicy) {
        self.policy = policy
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let request = self.unwrapInboundIn(data)
        let headers = request.head.headers
        let host = headers.first(name: "host")
        if host == nil || host != acceptedHost {
            guard policy.allowsHost(host) else {
                refuse(context: context, request: request, status: .misdirectedRequest,
                       message: "Misdirected Request: Host '\(host ?? "")' is not allowed")
                return
            }
            acceptedHost = host
        }
        if let origin = headers.first(name: "origin"), !policy.allowsOrigin(origin) {
            refuse(context: context, request: request, status: .forbidden,
                   message: "Forbidden: Origin '\(origin)' is not allowed")
            return
        }
        context.fireChannelRead(data)
    }

    private func refuse(context: ChannelHandlerContext, request: HTTPRequest, status: HTTPResponseStatus, message: String) {
        HTTPResponder.respond(context: context, version: request.head.version, status: status,
                              contentType: "application/json", body: JSONRPCErrorBody.make(code: -32600, message: message),
                              keepAlive: request.head.isKeepAlive)
    }
}
