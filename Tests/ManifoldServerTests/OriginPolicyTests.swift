import Testing
@testable import ManifoldServer

/// The DNS-rebinding defence (`OriginPolicy`).
@Suite struct OriginPolicyTests {
    @Test func loopbackHostsAreAllowedWithAnyPort() {
        let policy = OriginPolicy(bindHost: "127.0.0.1")
        for host in ["localhost", "localhost:8080", "127.0.0.1", "127.0.0.1:1", "[::1]", "[::1]:9000", "LOCALHOST:80"] {
            #expect(policy.allowsHost(host), "\(host)")
        }
    }

    @Test func foreignAndMalformedHostsAreRefused() {
        let policy = OriginPolicy(bindHost: "127.0.0.1")
        for host in ["evil.example.com", "evil.example.com:8080", "localhost.evil.example.com", "127.0.0.2",
                     "::1", "", "localhost:notaport", "[::1"] {
            #expect(!policy.allowsHost(host), "\(host)")
        }
        #expect(!policy.allowsHost(nil), "HTTP/1.1 requires Host")
    }

    @Test func theBindHostIsAllowedUnlessItIsAWildcard() {
        #expect(OriginPolicy(bindHost: "10.1.2.3").allowsHost("10.1.2.3:8080"))
        #expect(OriginPolicy(bindHost: "myhost.internal").allowsHost("myhost.internal"))
        #expect(!OriginPolicy(bindHost: "0.0.0.0").allowsHost("0.0.0.0:8080"))
        #expect(OriginPolicy(bindHost: "::1").allowsHost("[::1]:8080"))
    }

    @Test func configuredHosts() {
        let policy = OriginPolicy(bindHost: "0.0.0.0", allowedHosts: ["mcp.example.com", "api.example.com:443", "Other.Example.com:*"])
        #expect(policy.allowsHost("mcp.example.com:8080"))
        #expect(policy.allowsHost("api.example.com:443"))
        #expect(!policy.allowsHost("api.example.com:444"))
        #expect(policy.allowsHost("other.example.com:1"))
        #expect(!policy.allowsHost("evil.example.com"))
        #expect(OriginPolicy(bindHost: "0.0.0.0", allowedHosts: ["*"]).allowsHost("anything.example"))
    }

    @Test func requestsWithoutOriginAreNotAffected() {
        #expect(OriginPolicy(bindHost: "127.0.0.1").allowsOrigin(nil))
    }

    @Test func loopbackOriginsAreAllowedByDefault() {
        let policy = OriginPolicy(bindHost: "127.0.0.1")
        for origin in ["http://localhost", "http://localhost:6274", "https://127.0.0.1:8443", "http://[::1]:3000"] {
            #expect(policy.allowsOrigin(origin), "\(origin)")
        }
        for origin in ["http://evil.example.com", "https://evil.example.com:443", "null", "file://", "localhost",
                       "ftp://localhost", "http://localhost.evil.example.com"] {
            #expect(!policy.allowsOrigin(origin), "\(origin)")
        }
    }

    @Test func configuredOrigins() {
        let policy = OriginPolicy(bindHost: "127.0.0.1",
                                  allowedOrigins: ["https://app.example.com/", "http://dev.example.com:*"])
        #expect(policy.allowsOrigin("https://app.example.com"))
        #expect(!policy.allowsOrigin("https://app.example.com:8443"))
        #expect(!policy.allowsOrigin("http://app.example.com"))
        #expect(policy.allowsOrigin("http://dev.example.com:5173"))
        #expect(policy.allowsOrigin("http://dev.example.com"))
        #expect(OriginPolicy(bindHost: "127.0.0.1", allowedOrigins: ["*"]).allowsOrigin("https://anything.example"))
    }
}
