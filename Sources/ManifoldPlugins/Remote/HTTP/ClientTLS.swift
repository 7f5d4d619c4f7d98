import ManifoldManifest
import NIOCore
import NIOSSL

/// TLS for connections to an `https://` backend: the context (trust roots, an optional client
/// certificate) built from a mount's `tls` settings, and the handler that goes first in each
/// connection's pipeline.
///
/// Without settings the system's trust store is used and no client certificate is sent. The
/// server's certificate is always verified — chain and name (the URL's host name, sent as SNI;
/// an IP address is matched against the certificate's IP addresses). There is deliberately no
/// switch to turn verification off: trust a private CA with `caFile` instead.
struct ClientTLS: Sendable {
    let context: NIOSSLContext
    /// The name the certificate must carry and SNI announces; nil for an IP address.
    let serverHostname: String?

    /// Reads the files `settings` names; nil for an `http://` target.
    init?(for target: HTTPTarget, settings: RemoteTLS?) throws(ClientTransportError) {
        guard target.secure else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = ["http/1.1"]
        if let caFile = settings?.caFile {
            let roots = try Self.read("caFile", caFile) { try NIOSSLCertificate.fromPEMFile($0) }
            guard !roots.isEmpty else { throw ClientTransportError("tls.caFile: \(caFile) holds no certificate") }
            configuration.trustRoots = .certificates(roots)
        }
        if let certificate = settings?.certificate, let key = settings?.key {
            let chain = try Self.read("certificate", certificate) { try NIOSSLCertificate.fromPEMFile($0) }
            guard !chain.isEmpty else { throw ClientTransportError("tls.certificate: \(certificate) holds no certificate") }
            configuration.certificateChain = chain.map { .certificate($0) }
            configuration.privateKey = .privateKey(try Self.read("key", key) { try NIOSSLPrivateKey(file: $0, format: .pem) })
        }
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ClientTransportError("tls: the settings cannot be used together (\(error))")
        }
        serverHostname = Self.isIPAddress(target.host) ? nil : target.host
    }

    /// The handler that encrypts one connection.
    func handler() throws -> NIOSSLClientHandler {
        try NIOSSLClientHandler(context: context, serverHostname: serverHostname)
    }

    private static func read<T>(_ key: String, _ path: String, _ body: (String) throws -> T) throws(ClientTransportError) -> T {
        do {
            return try body(path)
        } catch {
            throw ClientTransportError("tls.\(key): \(path) is not a usable PEM file (\(error))")
        }
    }

    private static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    /// A TLS failure in words a user can act on; nil for other errors.
    static func describe(_ error: any Error) -> String? {
        switch error {
        case let error as NIOSSLError:
            switch error {
            case .handshakeFailed(let reason): return "TLS handshake failed: \(reason)"
            case .uncleanShutdown: return "TLS: the server closed the connection without ending TLS (uncleanShutdown)"
            default: return "TLS: \(error)"
            }
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            return "TLS: the server's certificate is not valid for this host name (\(error))"
        case let error as NIOSSLExtraError:
            return "TLS: \(error)"
        default:
            return nil
        }
    }
}
