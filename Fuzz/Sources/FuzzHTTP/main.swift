import Logging
import ManifoldCore
import ManifoldProtocol
import NIOCore
import NIOEmbedded
import NIOHTTP1
@testable import ManifoldServer

/// libFuzzer target: raw bytes from a client into the HTTP endpoint's whole pipeline — HTTP/1.1
/// decoding, deadlines, pipelining, body limits, health, the Host/Origin guard, Protected
/// Resource Metadata, bearer authentication (static tokens and JWTs) with scoped views, and the
/// MCP handler (sessions, JSON or SSE, GET streams, DELETE, legacy SSE) down to the dispatcher
/// and a small in-memory composition — on an `EmbeddedChannel` (no sockets, no threads).
///
/// Input: byte 0 picks the endpoint (bit 0: stateless; bit 1: authentication on); byte 1 splits
/// the rest into two reads (so partial heads and bodies are exercised); the rest is what the
/// client sends. Each input gets a fresh endpoint state (its own session table).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let stateless = data[0] & 1 == 1
    let authenticated = data[0] & 2 == 2
    let bytes = UnsafeBufferPointer(start: data + 2, count: size - 2)
    let split = bytes.isEmpty ? 0 : Int(data[1]) % (bytes.count + 1)
    let fixture = HTTPFixture.shared
    let state = MCPEndpointState(dispatcher: fixture.dispatcher, view: fixture.view,
                                 configuration: stateless ? fixture.statelessConfiguration : fixture.configuration,
                                 logger: fixture.logger)
    let channel = EmbeddedChannel()
    do {
        try HTTPEndpoint.installPipeline(on: channel, state: state, policy: fixture.policy, unhealthy: { [] },
                                         authenticator: authenticated ? fixture.authenticator : PassThroughAuthenticator())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
    } catch {
        fatalError("pipeline setup failed: \(error)")
    }
    for part in [bytes[..<split], bytes[split...]] where !part.isEmpty {
        var buffer = channel.allocator.buffer(capacity: part.count)
        buffer.writeBytes(UnsafeBufferPointer(rebasing: part))
        do {
            try channel.writeInbound(buffer)
        } catch {
            break
        }
        channel.embeddedEventLoop.run()
        while (try? channel.readOutbound(as: ByteBuffer.self)) != nil {}
    }
    // Let deadlines fire (virtual time), then drop the connection as a client would.
    channel.embeddedEventLoop.advanceTime(by: .seconds(120))
    while (try? channel.readOutbound(as: ByteBuffer.self)) != nil {}
    _ = try? channel.close().wait()
    channel.embeddedEventLoop.run()
    _ = try? channel.finish()
    state.sessions.endAll()
    return 0
}

/// What every input shares: the composition, dispatcher, policies and the authenticator (static
/// tokens `fuzz-public-token-0123456789` with scope `public` and `fuzz-admin-token-0123456789`
/// with `admin`; JWTs from issuer `https://as.fuzz` verified with a fixed P-256 key, kid `k1`).
final class HTTPFixture: Sendable {
    static let shared = HTTPFixture()

    let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
    let composition: HostComposition
    let dispatcher: Dispatcher
    let view: LiveView
    let configuration: HTTPEndpointConfiguration
    let statelessConfiguration: HTTPEndpointConfiguration
    let policy: OriginPolicy
    let authenticator: BearerAuthenticator

    init() {
        let tree = CompositionTree(name: "fuzz", mounts: [Mount(content: .provider(TaggedProvider()), label: "mount 'fuzz'")])
        composition = try! HostComposition(tree: tree, logger: logger)
        view = composition.view(filter: TagFilter(exclude: ["secret"]))
        dispatcher = Dispatcher(identity: ServerIdentity(name: "fuzz", version: "1"), logger: logger)
        var configuration = HTTPEndpointConfiguration(host: "127.0.0.1", port: 8080, path: "/mcp", stateless: false)
        configuration.sseHeartbeat = .zero
        configuration.maxBodyBytes = 64 * 1024
        configuration.maxSessions = 8
        configuration.replayBufferEvents = 8
        configuration.allowedOrigins = ["https://app.example.com"]
        self.configuration = configuration
        var stateless = configuration
        stateless.stateless = true
        statelessConfiguration = stateless
        policy = OriginPolicy(bindHost: "127.0.0.1", allowedHosts: ["mcp.example.com"], allowedOrigins: configuration.allowedOrigins)
        let settings = try! AuthSettings(JSONValue.parse(#"""
            {"bearer":{"tokensEnv":"FUZZ_TOKENS"},
             "jwt":{"issuer":"https://as.fuzz","jwksFile":"-","leewaySeconds":30},
             "scopes":{"public":"public","admin":"public or admin"},"requiredScopes":[]}
            """#))
        let tokens = StaticTokenTable(try! StaticTokenTable.parse(
            "fuzz-public-token-0123456789 public\nfuzz-admin-token-0123456789 admin", source: "fuzz"))
        // A fixed P-256 public key (x, y) for kid k1; Fuzz/make-seeds.py signs seed tokens with its private half.
        let jwks = Array(#"""
            {"keys":[{"kty":"EC","crv":"P-256","kid":"k1","use":"sig",
              "x":"7TumQPvE4zcseNOF-G08m8M9ikfBTobCjaUaTj3iPY4","y":"DjtSld34qIBN0polpPGVd_SaKZe1mdgXhVNb2YumLOM"}]}
            """#.utf8)
        let keys = try! JWTValidator.keysBlocking(jwks: jwks, accepted: ["ES256", "RS256"], source: "fuzz")
        let composition = self.composition
        authenticator = BearerAuthenticator(
            settings: settings, tokens: tokens,
            jwt: JWTValidator(keys: keys, policy: JWTClaimsPolicy(issuer: "https://as.fuzz", audiences: nil, leewaySeconds: 30)),
            endpoint: .init(scheme: "http", path: "/mcp"), baseView: view, views: { composition.view(filter: $0) },
            clock: { 1_800_000_000 }, logger: logger)
    }
}

/// Tools tagged `public`, `admin` and `secret`, a resource; calls complete at once.
final class TaggedProvider: Provider {
    let displayName = "provider 'fuzz'"
    var health: ProviderHealth { .ready }

    func catalog() -> Catalog {
        func tool(_ name: String, _ tags: [String]) -> Component {
            try! Component(kind: .tool, listed: ["name": .string(name), "inputSchema": ["type": "object"],
                                                 "tags": .array(tags.map(JSONValue.string))])
        }
        return Catalog(tools: [tool("echo", ["public"]), tool("reset", ["admin"]), tool("hidden", ["secret"])],
                       resources: [try! Component(kind: .resource, listed: ["uri": "fuzz://doc", "name": "doc", "tags": ["public"]])])
    }

    func addObserver(_ observer: any ProviderObserver) {}

    func invoke(_ request: ProviderRequest, context: any CallContext, completion: @escaping @Sendable (CallOutcome) -> Void) {
        if request.kind == .callTool {
            context.progress(1, total: 2, message: "half")
            context.log(.info, logger: "fuzz", data: Array("\"working\"".utf8))
        }
        completion(.result(Array(#"{"content":[{"type":"text","text":"ok"}],"contents":[]}"#.utf8)))
    }
}
