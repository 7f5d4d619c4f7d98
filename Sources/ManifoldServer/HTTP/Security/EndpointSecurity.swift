import Foundation
import Logging
import ManifoldCore
import NIOSSL

/// What an endpoint's `auth` and `tls` settings amount to once their files are read: the
/// authenticator to install and the TLS context. Built when the endpoint starts (on the
/// starting thread, never on an event loop); any unusable file is an `HTTPConfigurationError`
/// that names the setting.
struct EndpointSecurity {
    var authenticator: any HTTPAuthenticator
    var tls: NIOSSLContext?

    init(_ configuration: HTTPEndpointConfiguration, view: LiveView, views: (@Sendable (TagFilter) -> LiveView)?,
         authenticator: any HTTPAuthenticator, logger: Logger) throws(HTTPConfigurationError) {
        tls = try configuration.tls?.makeContext(baseDirectory: configuration.baseDirectory)
        guard authenticator is PassThroughAuthenticator, let auth = configuration.auth else {
            self.authenticator = authenticator
            return
        }
        if !auth.scopes.isEmpty && views == nil {
            throw HTTPConfigurationError("auth.scopes needs the composition's views (HTTPServerGroup.start(views:))")
        }
        let endpoint = ProtectedResourceMetadata.Endpoint(scheme: configuration.tls == nil ? "http" : "https",
                                                          path: configuration.path)
        self.authenticator = try BearerAuthenticator.loadBlocking(
            settings: auth, baseDirectory: configuration.baseDirectory, endpoint: endpoint, baseView: view,
            views: views ?? { _ in view }, environment: Self.environment(auth), logger: logger)
    }

    /// The process environment (static token sources may be environment variables), with
    /// the `tokensEnv` variables taken out of it for good (`SecretEnvironment`).
    static func environment(_ settings: AuthSettings) -> [String: String] {
        if let name = settings.bearer?.tokensEnv { SecretEnvironment.take(name) }
        return SecretEnvironment.snapshot
    }
}

extension HTTPEndpointConfiguration {
    /// Reads relative `auth` / `tls` file names against the folder of `manifestFile` (the
    /// manifest that declared the endpoint, as the loader was given it).
    public mutating func resolveFiles(relativeToManifest manifestFile: String) {
        guard let slash = manifestFile.lastIndex(of: "/") else {
            baseDirectory = "."
            return
        }
        baseDirectory = slash == manifestFile.startIndex ? "/" : String(manifestFile[..<slash])
    }
}
