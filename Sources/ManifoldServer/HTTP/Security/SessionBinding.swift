import ManifoldCore

/// How the MCP handler applies the authentication step's verdict (`HTTPPrincipal`) — kept here
/// so the handler's own code changes by a word at each place.
///
/// - A request is served from its caller's view (its scopes' slice) or, without a principal
///   (no `auth`), from the endpoint's.
/// - A session belongs to the binding of the request that created it. A request presenting
///   another binding (another token or user, or the same user with other mapped scopes) is
///   answered **404**, exactly as for a session that does not exist: it learns nothing about
///   the session, and an SDK client reacts to 404 by starting a new session — with its own slice.
extension HTTPRequest {
    /// The view this request's caller may see.
    func view(_ endpoint: MCPEndpointState) -> LiveView { principal?.view ?? endpoint.view }

    /// The binding a session created by this request belongs to.
    var sessionOwner: String? { principal?.binding }

    /// Whether this request may use a session that belongs to `owner`.
    func mayUse(sessionOwnedBy owner: String?) -> Bool { owner == principal?.binding }
}
