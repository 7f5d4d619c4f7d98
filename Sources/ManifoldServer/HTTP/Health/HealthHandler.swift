import ManifoldCore
import ManifoldProtocol
import NIOCore
import NIOHTTP1

/// Answers the liveness and readiness probes, before the Host/Origin guard and authentication
/// (orchestrators probe by IP address and carry no credentials):
/// - `GET /healthz` → `200 ok`: the process is up and its event loops answer.
/// - `GET /readyz` → `200 {"ready":true,"failing":[]}` when every mount's provider is
///   serving, else `503 {"ready":false,"failing":[{"mount":…,"health":…}]}` naming each
///   failing or starting mount (`Surface.unhealthy`).
/// Everything else passes through untouched.
final class HealthHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequest
    typealias InboundOut = HTTPRequest
    typealias OutboundOut = HTTPServerResponsePart

    /// The providers that are not serving, with their mount label (read per probe).
    private let unhealthy: @Sendable () -> [(label: String, health: ProviderHealth)]

    init(unhealthy: @escaping @Sendable () -> [(label: String, health: ProviderHealth)]) {
        self.unhealthy = unhealthy
    }

    convenience init(composition: HostComposition) {
        self.init(unhealthy: { composition.surface.unhealthy })
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let request = self.unwrapInboundIn(data)
        let method = request.head.method
        guard method == .GET else {
            context.fireChannelRead(data)
            return
        }
        switch request.path {
        case "/healthz":
            HTTPResponder.text(context: context, version: request.head.version, status: .ok, "ok\n",
                               keepAlive: request.head.isKeepAlive)
        case "/readyz":
            let failing = unhealthy()
            var w = JSONWriter(capacity: 64)
            w.raw("{\"ready\":")
            w.bool(failing.isEmpty)
            w.raw(",\"failing\":[")
            for (i, entry) in failing.enumerated() {
                if i > 0 { w.raw(",") }
                w.raw("{\"mount\":")
                w.string(entry.label)
                w.raw(",\"health\":")
                w.string(entry.health.description)
                w.raw("}")
            }
            w.raw("]}\n")
            HTTPResponder.respond(context: context, version: request.head.version,
                                  status: failing.isEmpty ? .ok : .serviceUnavailable,
                                  contentType: "application/json", body: w.bytes, keepAlive: request.head.isKeepAlive)
        default:
            context.fireChannelRead(data)
        }
    }
}
