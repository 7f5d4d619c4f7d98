import NIOHTTP1

/// Refuses requests whose `Host` or `Origin` the endpoint does not accept (`OriginPolicy`),
/// before anything else looks at them: a `Host` not allowed gets `421 Misdirected Request`
/// (the request was not meant for this server — the answer a DNS-rebinding page gets), an
/// `Origin` present and not allowed gets `403 Forbidden`. Both bodies are JSON-RPC errors with
/// `id: null`, as MCP clients expect a JSON-RPC body on any refusal. A step of `RequestGate`,
/// one per connection.
struct RequestGuard {
    let policy: OriginPolicy
    /// The last `Host` value this connection had accepted: a keep-alive client sends the same
    /// one every time, so the check is one string comparison after the first request.
    private var acceptedHost: String?

    init(policy: OriginPolicy) {
        self.policy = policy
    }

    /// The refusal for `request`, or nil when it may pass.
    mutating func refusal(for request: HTTPRequest) -> HTTPAnswer? {
        let host = request.fields.host
        if host == nil || host != acceptedHost {
            guard policy.allowsHost(host) else {
                return .jsonRPCRefusal(.misdirectedRequest, "Misdirected Request: Host '\(host ?? "")' is not allowed")
            }
            acceptedHost = host
        }
        if let origin = request.fields.origin, !policy.allowsOrigin(origin) {
            return .jsonRPCRefusal(.forbidden, "Forbidden: Origin '\(origin)' is not allowed")
        }
        return nil
    }
}
