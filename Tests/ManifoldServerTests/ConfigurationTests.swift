import ManifoldProtocol
import NIOCore
import Testing
@testable import ManifoldServer

/// Listen addresses, endpoint settings and `Accept` parsing.
@Suite struct ConfigurationTests {
    @Test func listenAddresses() throws {
        #expect(try HTTPEndpointConfiguration.parseListen("127.0.0.1:8080") == ("127.0.0.1", 8080))
        #expect(try HTTPEndpointConfiguration.parseListen(":8080") == ("127.0.0.1", 8080))
        #expect(try HTTPEndpointConfiguration.parseListen("8080") == ("127.0.0.1", 8080))
        #expect(try HTTPEndpointConfiguration.parseListen("localhost:0") == ("localhost", 0))
        #expect(try HTTPEndpointConfiguration.parseListen("[::1]:9000") == ("::1", 9000))
        #expect(try HTTPEndpointConfiguration.parseListen("0.0.0.0:443") == ("0.0.0.0", 443))
        for bad in ["", "host", "host:", "host:99999", "::1:80", "[::1]", "[::1]x80", "a:b"] {
            #expect(throws: HTTPConfigurationError.self, "\(bad)") { try HTTPEndpointConfiguration.parseListen(bad) }
        }
    }

    @Test func settingsAreReadAndUnknownKeysReported() throws {
        let settings = try JSONValue.parse(#"""
            {"allowedOrigins":["https://app.example.com"],"allowedHosts":["mcp.example.com"],"maxBodyBytes":1024,
             "headerTimeoutMs":500,"requestTimeoutMs":2000,"idleTimeoutMs":3000,"sessionIdleTimeoutMs":60000,
             "maxSessions":5,"replayBufferEvents":7,"sseHeartbeatMs":0,"sseRetryMs":250,"legacySSE":false,
             "auth":{"bearer":{"tokensEnv":"T"}},"tls":{"certificate":"c.pem","key":"k.pem"},"colour":"blue"}
            """#)
        let configuration = try HTTPEndpointConfiguration(listen: "127.0.0.1:0", path: "/api/mcp/", settings: settings)
        #expect(configuration.path == "/api/mcp")
        #expect(configuration.legacyBase == "/api/")
        #expect(configuration.allowedOrigins == ["https://app.example.com"])
        #expect(configuration.allowedHosts == ["mcp.example.com"])
        #expect(configuration.maxBodyBytes == 1024)
        #expect(configuration.headerTimeout == .milliseconds(500))
        #expect(configuration.requestTimeout == .milliseconds(2000))
        #expect(configuration.idleTimeout == .milliseconds(3000))
        #expect(configuration.sessionIdleTimeout == .milliseconds(60000))
        #expect(configuration.maxSessions == 5)
        #expect(configuration.replayBufferEvents == 7)
        #expect(configuration.sseHeartbeat == .zero)
        #expect(configuration.sseRetryMs == 250)
        #expect(!configuration.legacySSE)
        #expect(configuration.unknownSettings == ["colour"])
        #expect(configuration.auth?.bearer?.tokensEnv == "T")
        #expect(configuration.tls == TLSSettings(certificate: "c.pem", key: "k.pem"))
    }

    @Test func badSettingsNameTheKey() throws {
        for (text, key) in [(#"{"maxBodyBytes":0}"#, "maxBodyBytes"), (#"{"allowedOrigins":"*"}"#, "allowedOrigins"),
                            (#"{"legacySSE":"yes"}"#, "legacySSE"), (#"{"headerTimeoutMs":1.5}"#, "headerTimeoutMs")] {
            do {
                _ = try HTTPEndpointConfiguration(listen: ":0", settings: try JSONValue.parse(text))
                Issue.record("\(text) should be refused")
            } catch {
                #expect("\(error)".contains(key))
            }
        }
    }

    @Test func defaults() throws {
        let configuration = try HTTPEndpointConfiguration(listen: "127.0.0.1:0")
        #expect(configuration.path == "/mcp")
        #expect(configuration.legacyBase == "/")
        #expect(configuration.maxBodyBytes == 4 * 1024 * 1024)
        #expect(configuration.replayBufferEvents == 1000)
        #expect(configuration.legacySSE)
        #expect(!configuration.stateless)
    }

    @Test func acceptHeaders() {
        #expect(AcceptedMedia(nil) == AcceptedMedia(json: true, sse: true))
        #expect(AcceptedMedia("application/json, text/event-stream") == AcceptedMedia(json: true, sse: true))
        #expect(AcceptedMedia("application/json") == AcceptedMedia(json: true, sse: false))
        #expect(AcceptedMedia("text/event-stream;q=0.9") == AcceptedMedia(json: false, sse: true))
        #expect(AcceptedMedia("*/*") == AcceptedMedia(json: true, sse: true))
        #expect(AcceptedMedia("text/html") == AcceptedMedia(json: false, sse: false))
        #expect(AcceptedMedia("Application/JSON,,") == AcceptedMedia(json: true, sse: false))
    }
}
