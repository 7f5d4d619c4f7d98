import ManifoldProtocol
import NIOSSL

/// The `tls` setting of an HTTP endpoint: serve HTTPS from a certificate chain and a private
/// key, both PEM files (relative paths are read against the manifest's folder).
///
///     tls:
///       certificate: /etc/manifold/server.crt   # the leaf first, then intermediates
///       key: /etc/manifold/server.key           # unencrypted PEM (PKCS#1, PKCS#8 or SEC1)
///
/// TLS 1.2 and 1.3 (swift-nio-ssl's BoringSSL defaults), ALPN `http/1.1`. The files are read
/// once, when the endpoint starts; a plain-HTTP client on the port fails the handshake and is
/// disconnected.
public struct TLSSettings: Sendable, Equatable {
    public var certificate: String
    public var key: String

    public init(certificate: String, key: String) {
        self.certificate = certificate
        self.key = key
    }

    public init(_ value: JSONValue) throws(HTTPConfigurationError) {
        guard let object = value.objectValue else {
            throw HTTPConfigurationError("tls must be an object: {certificate: <PEM file>, key: <PEM file>}")
        }
        for key in object.keys where key != "certificate" && key != "key" {
            throw HTTPConfigurationError("tls: unknown key '\(key)' (known: certificate, key)")
        }
        guard let certificate = object["certificate"]?.stringValue, !certificate.isEmpty else {
            throw HTTPConfigurationError("tls.certificate is required: the PEM file with the server's certificate chain")
        }
        guard let key = object["key"]?.stringValue, !key.isEmpty else {
            throw HTTPConfigurationError("tls.key is required: the PEM file with the server's private key")
        }
        self.init(certificate: certificate, key: key)
    }

    /// Reads the files and builds the TLS context (once per endpoint, shared by its connections).
    func makeContext(baseDirectory: String?) throws(HTTPConfigurationError) -> NIOSSLContext {
        let certificatePath = SecurityFiles.resolve(certificate, against: baseDirectory)
        let keyPath = SecurityFiles.resolve(key, against: baseDirectory)
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(try SecurityFiles.contents(of: certificatePath, key: "tls.certificate"))
        } catch let error as HTTPConfigurationError {
            throw error
        } catch {
            throw HTTPConfigurationError("tls.certificate: \(certificatePath) is not a PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw HTTPConfigurationError("tls.certificate: \(certificatePath) holds no certificate") }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(bytes: try SecurityFiles.contents(of: keyPath, key: "tls.key"), format: .pem)
        } catch let error as HTTPConfigurationError {
            throw error
        } catch {
            throw HTTPConfigurationError("tls.key: \(keyPath) is not an unencrypted PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(privateKey))
        configuration.applicationProtocols = ["http/1.1"]
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw HTTPConfigurationError("tls: the certificate and key cannot be used together (\(error))")
        }
    }
}
