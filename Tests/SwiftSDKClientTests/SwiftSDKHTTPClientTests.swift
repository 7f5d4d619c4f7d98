import Foundation
import MCP
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The official Swift SDK's `Client` with its `HTTPClientTransport` — a second, independent
/// client implementation — against `manifold serve <manifest> --http 127.0.0.1:0`, stateful and
/// stateless, unprefixed and prefixed: initialize, list tools, call a tool, read a resource, get
/// a prompt.
///
/// On Linux the SDK's HTTP transport cannot read SSE (its EventSource dependency is Apple-only:
/// an SSE response body is handed on raw and fails to decode, and the GET stream is never
/// opened), so the transport runs with `streaming: false` and the scenarios are the ones the
/// host answers with plain JSON (no progress or log messages before the result).
@Suite(.serialized) struct SwiftSDKHTTPClientTests {
    struct Surface: CustomStringConvertible, Sendable {
        var manifest: String
        var prefix: String?
        var serverName: String

        func name(_ local: String) -> String { prefix.map { "\($0)_\(local)" } ?? local }
        func uri(_ path: String) -> String { prefix.map { "test://\($0)/\(path)" } ?? "test://\(path)" }
        var description: String { prefix.map { "prefixed-\($0)" } ?? "unprefixed" }
    }

    static let surfaces = [
        Surface(manifest: "manifests/conformance.yaml", prefix: nil, serverName: "manifold-conformance"),
        Surface(manifest: "manifests/conformance-prefixed.yaml", prefix: "ev", serverName: "manifold-conformance-prefixed"),
    ]

    @Test(arguments: surfaces, [false, true])
    func theConformanceSurfaceThroughTheSwiftSDK(surface: Surface, stateless: Bool) async throws {
        let server = try ManifoldHTTPServer(manifest: surface.manifest, stateless: stateless)
        defer { server.stop() }
        let transport = HTTPClientTransport(endpoint: server.url, streaming: false)
        let client = Client(name: "swift-sdk-conformance", version: "1.0.0")
        let initialized = try await client.connect(transport: transport)
        defer { Task { await client.disconnect() } }
        #expect(initialized.serverInfo.name == surface.serverName)
        #expect(!initialized.protocolVersion.isEmpty)

        let (tools, _) = try await client.listTools()
        let names = Set(tools.map(\.name))
        for local in ["test_simple_text", "test_image_content", "test_error_handling", "test_tool_with_progress"] {
            #expect(names.contains(surface.name(local)), "\(surface.name(local)) listed")
        }

        let (content, isError) = try await client.callTool(name: surface.name("test_simple_text"), arguments: [:])
        #expect(isError != true)
        guard case .text(let text, _, _) = content.first else {
            Issue.record("expected a text block, got \(content)")
            return
        }
        #expect(text == "This is a simple text response for testing.")

        let (_, failed) = try await client.callTool(name: surface.name("test_error_handling"), arguments: [:])
        #expect(failed == true)

        let contents = try await client.readResource(uri: surface.uri("static-text"))
        #expect(contents.first?.text == "This is the content of the static text resource.")
        #expect(contents.first?.uri == surface.uri("static-text"))

        let (_, messages) = try await client.getPrompt(name: surface.name("test_simple_prompt"))
        #expect(messages.count == 1)
        #expect(messages.first?.role == .user)

        try await client.ping()
    }
}

/// `manifold serve <manifest> --http 127.0.0.1:0 --port-file <tmp>` for one test: the binary is
/// `$MANIFOLD_BIN`, else the `manifold` built beside this test bundle. Readiness is the port
/// file appearing (written once the listener is bound).
final class ManifoldHTTPServer: @unchecked Sendable {
    let process = Process()
    let url: URL
    private let directory: URL

    init(manifest: String, stateless: Bool) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("manifold-swift-sdk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let portFile = directory.appendingPathComponent("port")
        process.executableURL = Self.binary()
        process.currentDirectoryURL = root
        process.arguments = ["serve", root.appendingPathComponent(manifest).path, "--http", "127.0.0.1:0",
                             "--port-file", portFile.path] + (stateless ? ["--stateless"] : [])
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: portFile.path) {
            guard process.isRunning else { throw ServerError("manifold exited with \(process.terminationStatus)") }
            guard Date() < deadline else {
                process.terminate()
                throw ServerError("manifold did not listen within 30 s")
            }
            usleep(10_000)
        }
        let text = try String(contentsOf: portFile, encoding: .utf8)
        guard let port = text.split(separator: "\n").first.flatMap({ Int($0) }) else { throw ServerError("bad port file: \(text)") }
        url = URL(string: "http://127.0.0.1:\(port)/mcp")!
    }

    static func binary() -> URL {
        if let explicit = ProcessInfo.processInfo.environment["MANIFOLD_BIN"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        // The test bundle lives in the build folder next to the products.
        let bundle = Bundle.main.bundleURL
        for candidate in [bundle.deletingLastPathComponent(), bundle, bundle.deletingLastPathComponent().deletingLastPathComponent()] {
            let binary = candidate.appendingPathComponent("manifold")
            if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return executable.appendingPathComponent("manifold")
    }

    func stop() {
        if process.isRunning {
            process.terminate()  // SIGTERM: graceful shutdown
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    struct ServerError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
