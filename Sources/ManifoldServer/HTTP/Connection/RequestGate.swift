import NIOCore
import NIOHTTP1

/// Everything between the HTTP decoder's parts and MCP, as one handler: it assembles each
/// request (`RequestAssembly`: head + body, body limit → 413), then runs the steps that may
/// answer it before MCP does, in this order:
///
///     HealthProbes                       /healthz, /readyz (no Host check, no credentials)
///     RequestGuard                       Host → 421, Origin → 403
///     ProtectedResourceMetadataResponder /.well-known/oauth-protected-resource (with `auth`)
///     AuthenticationStep                 the HTTPAuthenticator hook (absent when pass-through)
///
/// and passes what none of them answered to `StreamableHTTPHandler` as one `HTTPRequest`.
///
/// One handler rather than one per step: each step is a plain value that returns an
/// `HTTPAnswer` or nil, and a request crosses one handler boundary instead of five — every
/// boundary costs a `NIOAny` unwrap (a dynamic cast) and a pipeline dispatch per message,
/// which the profile in BENCHMARKS.md measured at most of these steps' cost.
final class RequestGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPRequest
    typealias OutboundOut = HTTPServerResponsePart

    private var assembly: RequestAssembly
    private let health: HealthProbes
    private var guardStep: RequestGuard
    private let metadata: ProtectedResourceMetadataResponder?
    private let authentication: AuthenticationStep?

    init(bodyLimit: Int, health: HealthProbes, policy: OriginPolicy, authenticator: any HTTPAuthenticator) {
        assembly = RequestAssembly(limit: bodyLimit)
        self.health = health
        guardStep = RequestGuard(policy: policy)
        metadata = (authenticator as? BearerAuthenticator).map { ProtectedResourceMetadataResponder(metadata: $0.metadata) }
        authentication = authenticator is PassThroughAuthenticator ? nil : AuthenticationStep(authenticator: authenticator)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch assembly.receive(unwrapInboundIn(data)) {
        case .none:
            break
        case .sendContinue(let head):
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))),
                                  promise: nil)
        case .refuse(let head, let answer):
            respond(answer, to: head, context: context)
        case .complete(let request):
            if let answer = screen(request) {
                respond(answer, to: request.head, context: context)
            } else {
                context.fireChannelRead(wrapInboundOut(request))
            }
        case .closeConnection:
            context.close(promise: nil)
        }
    }

    private func respond(_ answer: HTTPAnswer, to head: HTTPRequestHead, context: ChannelHandlerContext) {
        HTTPResponder.respond(context: context, version: head.version, keepAlive: head.isKeepAlive, with: answer)
    }

    /// The answer of the first step that answers `request`, or nil to pass it on.
    private func screen(_ request: HTTPRequest) -> HTTPAnswer? {
        if let answer = health.answer(request) { return answer }
        if let answer = guardStep.refusal(for: request) { return answer }
        if let metadata, let answer = metadata.answer(request) { return answer }
        if let authentication, let answer = authentication.refusal(for: request) { return answer }
        return nil
    }
}
