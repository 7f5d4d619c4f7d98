import ManifoldProtocol
import Testing
@testable import ManifoldManifest

@Suite struct EndpointTests {
    @Test func httpEndpointPassesUnknownKeysThroughAsSettings() throws {
        let host = try ManifestLoader.parseHost(yaml: """
            endpoints:
              - http:
                  listen: "0.0.0.0:8443"
                  allowedOrigins: ["https://app.example.com"]
                  auth: { bearerTokensEnv: MANIFOLD_TOKENS }
                  tls: { certificate: cert.pem, key: key.pem }
                  limits: { maxBodyBytes: 1048576 }
            """, file: "/m/host.yaml")
        guard case .http(let http) = host.endpoints[0].transport else {
            Issue.record("expected an http endpoint")
            return
        }
        #expect(http.listen == "0.0.0.0:8443")
        #expect(http.path == "/mcp")
        #expect(http.stateless == false)
        #expect(http.settings == [
            "allowedOrigins": ["https://app.example.com"],
            "auth": ["bearerTokensEnv": "MANIFOLD_TOKENS"],
            "tls": ["certificate": "cert.pem", "key": "key.pem"],
            "limits": ["maxBodyBytes": 1048576],
        ])
    }

    @Test func httpEndpointRequiresListen() {
        let error = hostError("endpoints:\n  - http: { path: /mcp }\n")
        #expect(error == ManifestError(file: "manifests/demo.yaml", line: 2, column: 11, keyPath: "endpoints[0].http",
                                       message: "missing required key 'listen' in endpoints[0].http (\"host:port\", e.g. \"127.0.0.1:8080\")"))
    }

    @Test(arguments: ["8080", "localhost", ":8080", "localhost:99999", "::1:8080", "[::1]"])
    func listenMustBeHostColonPort(_ listen: String) {
        let error = hostError("endpoints:\n  - http: { listen: \"\(listen)\" }\n")
        #expect(error?.message == "listen: '\(listen)' is not an address of the form \"host:port\", e.g. \"127.0.0.1:8080\"")
        #expect(error?.keyPath == "endpoints[0].http.listen")
    }

    @Test(arguments: ["127.0.0.1:0", "localhost:8080", "[::1]:8080", "0.0.0.0:65535"])
    func listenAcceptsHostsAndPorts(_ listen: String) throws {
        let host = try ManifestLoader.parseHost(yaml: "endpoints:\n  - http: { listen: \"\(listen)\" }\n", file: "/h.yaml")
        #expect(host.endpoints[0].transport == .http(HTTPEndpointSpec(listen: listen)))
    }

    @Test func httpPathAndStatelessAreTyped() {
        let path = hostError("endpoints:\n  - http: { listen: \"127.0.0.1:1\", path: mcp }\n")
        #expect(path?.message == "path: 'mcp' must start with '/'")
        let stateless = hostError("endpoints:\n  - http: { listen: \"127.0.0.1:1\", stateless: yes }\n")
        #expect(stateless?.message == "'stateless' must be true or false, found a string")
    }

    @Test func stdioEndpointTakesNoSettings() throws {
        let host = try ManifestLoader.parseHost(yaml: "endpoints:\n  - stdio:\n    filter: public\n", file: "/h.yaml")
        #expect(host.endpoints[0].transport == .stdio)
        #expect(host.endpoints[0].filter.expression == "public")
        let error = hostError("endpoints:\n  - stdio: { framing: lines }\n")
        #expect(error?.description == "manifests/demo.yaml:2:14: unknown key 'framing' in endpoints[0].stdio")
    }

    @Test func endpointNeedsExactlyOneTransport() {
        let none = hostError("endpoints:\n  - filter: public\n")
        #expect(none?.description == "manifests/demo.yaml:2:5: endpoints[0] needs a transport: 'stdio' or 'http'")
        let both = hostError("endpoints:\n  - stdio: {}\n    http: { listen: \"127.0.0.1:1\" }\n")
        #expect(both?.description == "manifests/demo.yaml:3:5: endpoints[0] has both 'stdio' and 'http'; an endpoint has one transport")
    }

    @Test func endpointTypoSuggestsTheKey() {
        let error = hostError("endpoints:\n  - stdio: {}\n    excludeTag: [admin]\n")
        #expect(error?.message == "unknown key 'excludeTag' in endpoints[0] (did you mean 'excludeTags'?)")
    }

    @Test func emptyEndpointListGetsTheDefaultStdioEndpoint() throws {
        let host = try ManifestLoader.parseHost(yaml: "endpoints: []\n", file: "/h.yaml")
        #expect(host.endpoints.map(\.transport) == [.stdio])
    }
}
