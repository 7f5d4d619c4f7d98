import ManifoldCore
import NIOCore
import NIOHTTP1

/// Decides whether an HTTP request may reach the MCP handler: the hook where bearer tokens,
/// OAuth 2.1 resource-server checks (PROTOCOL.md §8) and the like slot in. It runs after the
/// Host/Origin guard and before the MCP handler, on the connection's event loop, once per
/// request (health probes are answered before it and never reach it).
///
/// Implementations must not block the event loop; an implementation that needs I/O (a JWKS
/// refresh) should answer from a cache and refresh off the loop. `BearerAuthenticator` is the
/// implementation the endpoint's `auth` setting configures.
public protocol HTTPAuthenticator: Sendable {
    /// `path` is the request path without its query.
    func authenticate(_ head: HTTPRequestHead, path: Substring) -> HTTPAuthDecision
}

/// The outcome of `HTTPAuthenticator.authenticate`.
public enum HTTPAuthDecision: Sendable {
    /// Serve the request on behalf of `principal` (nil: anonymous, the endpoint's whole view).
    case allow(principal: HTTPPrincipal?)
    /// Answer with this status, headers (e.g. `WWW-Authenticate`) and body instead.
    case deny(status: HTTPResponseStatus, headers: HTTPHeaders, body: [UInt8])
}

/// Who sent a request, as the authentication step established it, and what that caller may see.
///
/// - `name` is for logs: never the credential itself (`token:1a2b3c4d` is a digest prefix of a
///   static token, `jwt:<sub>` a JWT's subject).
/// - `view` is the caller's slice of the endpoint (the endpoint's filter combined with its
///   scopes' tag expressions), or nil for the endpoint's own view. Every list the caller gets
///   comes from it, and a call to a component outside it is answered like a call to a component
///   that does not exist.
/// - `binding` identifies the caller *and* its slice. A session remembers the binding of the
///   request that created it; a request with another binding is answered as if the session did
///   not exist (404), so one caller can never ride another's session, and a caller whose scopes
///   changed starts a new session with its new slice.
public struct HTTPPrincipal: Sendable {
    public var name: String
    public var scopes: Set<String>
    public var view: LiveView?
    public var binding: String

    public init(name: String, scopes: Set<String> = [], view: LiveView? = nil, binding: String? = nil) {
        self.name = name
        self.scopes = scopes
        self.view = view
        self.binding = binding ?? name
    }
}

/// Lets every request through: the default until an authentication scheme is configured.
public struct PassThroughAuthenticator: HTTPAuthenticator {
    public init() {}
    public func authenticate(_ head: HTTPRequestHead, path: Substring) -> HTTPAuthDecision { .allow(principal: nil) }
}

/// Runs the endpoint's `HTTPAuthenticator` on each request: records who sent it, or answers
/// the refusal. A step of `RequestGate`, absent when the authenticator is the pass-through
/// one, so the default pipeline pays nothing for it.
///
/// CORS preflights (`OPTIONS`) pass without credentials: browsers never attach them to a
/// preflight, and the MCP handler answers a preflight with headers only, never with data.
struct AuthenticationStep {
    let authenticator: any HTTPAuthenticator

    /// Sets `request.principal` and returns nil, or returns the refusal.
    func refusal(for request: HTTPRequest) -> HTTPAnswer? {
        if request.head.method == .OPTIONS { return nil }
        switch authenticator.authenticate(request.head, path: request.path) {
        case .allow(let principal):
            request.principal = principal
            return nil
        case .deny(let status, var headers, let body):
            // CORS: a browser client must be able to read the challenge (and the PRM URL in it).
            if let origin = request.fields.origin {
                headers.add(name: "access-control-allow-origin", value: origin)
                headers.add(name: "access-control-expose-headers", value: "www-authenticate, mcp-session-id, mcp-protocol-version")
                headers.add(name: "vary", value: "origin")
            }
            return HTTPAnswer(status: status,
                              contentType: body.isEmpty ? nil : headers.first(name: "content-type") == nil ? "application/json" : nil,
                              body: body, headers: headers)
        }
    }
}
