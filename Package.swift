// swift-tools-version:6.1
// Manifold: a host that loads tool-set plugins (shared libraries), composes them under
// prefixes with tag filters, and serves them as one MCP endpoint. The layers below are one
// target each (see docs/ARCHITECTURE.md); first-party plugins are `.dynamic` products.
import PackageDescription

/// A first-party plugin: its own dynamic library product, sources under `Plugins/<name>`,
/// with the plugin manifest beside them (excluded from the build).
func plugin(_ name: String, swift: Bool) -> (Product, Target) {
    let product = Product.library(name: name, type: .dynamic, targets: [name])
    let target: Target = swift
        ? .target(name: name, dependencies: ["ManifoldPluginKit"], path: "Plugins/\(name)",
                  exclude: ["\(name.lowercased()).plugin.yaml"])
        : .target(name: name, dependencies: ["CManifoldABI"], path: "Plugins/\(name)",
                  exclude: ["\(name.lowercased()).plugin.yaml"], publicHeadersPath: ".",
                  cSettings: [.unsafeFlags(["-fvisibility=hidden", "-O2"])])
    return (product, target)
}

/// A test fixture plugin: a deliberately broken `.dynamic` library the tests load to check
/// refusals (sources under `Tests/Fixtures/Plugins/<name>`).
func fixture(_ name: String) -> (Product, Target) {
    (Product.library(name: "Fixture\(name)", type: .dynamic, targets: ["Fixture\(name)"]),
     .target(name: "Fixture\(name)", dependencies: ["CManifoldABI"], path: "Tests/Fixtures/Plugins/\(name)",
             publicHeadersPath: ".", cSettings: [.unsafeFlags(["-fvisibility=hidden"])]))
}

let plugins = [
    plugin("Everything", swift: true),
    plugin("TextTools", swift: true),
    plugin("Math", swift: false),
    plugin("Bench", swift: false),
    fixture("WrongABI"),
    fixture("FutureABI"),
    fixture("NoEntry"),
    // Reload and isolation tests: a C plugin whose tools crash, block until released, spin, hog.
    fixture("Crashy"),
]

/// A plain C shared library (NOT a Manifold plugin) that the ffi bridge's tests call through
/// manifests/ffi/ffitest.plugin.yaml: one function per type of the ffi vocabulary.
let ffiTestLibrary = (
    Product.library(name: "FFITest", type: .dynamic, targets: ["FFITest"]),
    Target.target(name: "FFITest", path: "Plugins/FFITest", publicHeadersPath: ".",
                  cSettings: [.unsafeFlags(["-O1", "-fno-strict-aliasing"])])
)

let package = Package(
    name: "Manifold",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "manifold", targets: ["manifold"]),
        // The benchmark client and its peers (BENCHMARKS.md): a separate executable, so the host stays lean.
        .executable(name: "manifold-bench", targets: ["ManifoldBench"]),
        .library(name: "ManifoldPluginKit", targets: ["ManifoldPluginKit"]),
    ] + plugins.map(\.0) + [ffiTestLibrary.0],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // The official Swift MCP SDK: only as a second, independent client in the HTTP tests.
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", from: "0.12.1"),
        // HTTP endpoint security (docs/HTTP.md, Authentication and TLS): JWT signature checks with
        // keys from a JWKS file, and TLS from certificate and key files.
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // The plugin ABI: a pure C header, the contract with every plugin.
        .target(name: "CManifoldABI"),
        // JSON-RPC 2.0 and MCP messages; single-pass JSON scanning and writing. No I/O.
        .target(name: "ManifoldProtocol"),
        // What glibc declares only under _GNU_SOURCE: posix_spawn closefrom and chdir, pipe2.
        .target(name: "CProcessSpawn"),
        // POSIX I/O primitives endpoints and client transports share: blocking line reading,
        // coalescing frame writing, starting child processes.
        .target(name: "ManifoldIO", dependencies: ["CProcessSpawn"]),
        // Components, providers, composition, routing, sessions and the MCP method handlers.
        .target(name: "ManifoldCore", dependencies: [
            "ManifoldProtocol",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Manifest parsing and validation (YAML and JSON) with file/line/key errors.
        .target(name: "ManifoldManifest", dependencies: [
            "ManifoldProtocol",
            .product(name: "Yams", package: "Yams"),
        ]),
        // libffi, for calling plain C functions described by ffi manifests.
        .systemLibrary(name: "CFFI", path: "Sources/CFFI", pkgConfig: "libffi"),
        // Providers that load things: native plugins (dlopen + ABI), ffi libraries (libffi).
        .target(name: "ManifoldPlugins", dependencies: [
            "CManifoldABI", "CFFI", "ManifoldCore", "ManifoldManifest", "ManifoldIO",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            // Remote MCP servers over Streamable HTTP and legacy HTTP+SSE (Remote/HTTP), https too.
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // Endpoints: stdio and Streamable HTTP (+ legacy HTTP+SSE), auth, health.
        .target(name: "ManifoldServer", dependencies: [
            "ManifoldCore", "ManifoldIO",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            // Authentication (HTTP/Security) and TLS (HTTP/TLS).
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // What a Swift plugin author imports: a typed API over the C ABI.
        .target(name: "ManifoldPluginKit", dependencies: ["CManifoldABI"]),
        // The command-line tool.
        .executableTarget(name: "manifold", dependencies: [
            "ManifoldCore", "ManifoldManifest", "ManifoldPlugins", "ManifoldServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // `manifold-bench`: drives any MCP server over stdio or Streamable HTTP (wrk for load), runs the
        // peers (the bare-NIO ceiling, the FastMCP host) and prints ratios (BENCHMARKS.md).
        .executableTarget(name: "ManifoldBench", dependencies: [
            "ManifoldIO",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], path: "Benchmarks/ManifoldBench"),
        .testTarget(name: "ManifoldProtocolTests", dependencies: ["ManifoldProtocol"]),
        .testTarget(name: "ManifoldIOTests", dependencies: ["ManifoldIO"]),
        .testTarget(name: "ManifoldCoreTests", dependencies: ["ManifoldCore"]),
        .testTarget(name: "ManifoldManifestTests", dependencies: ["ManifoldManifest", "ManifoldTestSupport"]),
        // Loads the built Swift plugins with a test host; deliberately without ManifoldPluginKit, so the
        // plugins' copies of the kit are the only ones in the process.
        .testTarget(name: "ManifoldPluginKitTests", dependencies: ["CManifoldABI"]),
        // What several test targets share (TemporaryFolder).
        .target(name: "ManifoldTestSupport", path: "Tests/Support"),
        .testTarget(name: "ManifoldPluginsTests", dependencies: ["ManifoldPlugins", "ManifoldManifest", "ManifoldTestSupport"]),
        .testTarget(name: "ManifoldServerTests", dependencies: [
            "ManifoldServer",
            .product(name: "NIOEmbedded", package: "swift-nio"),
            // AuthTests: signing keys and JWTs made in the test.
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CryptoExtras", package: "swift-crypto"),
        ]),
        .testTarget(name: "EndToEndTests", dependencies: ["ManifoldProtocol"]),
        // The Swift SDK's Client + HTTPClientTransport against `manifold serve --http`.
        .testTarget(name: "SwiftSDKClientTests", dependencies: [.product(name: "MCP", package: "swift-sdk")]),
        .testTarget(name: "ManifoldFFITests", dependencies: ["ManifoldPlugins", "ManifoldManifest", "ManifoldCore"]),
        // Hot reload, watched folders, discovery in a runner (docs/RELOAD.md).
        .testTarget(name: "ManifoldReloadTests", dependencies: [
            "ManifoldPlugins", "ManifoldManifest", "ManifoldCore", "ManifoldTestSupport",
        ]),
        // The server mesh: remote transports (HTTP, SSE), per-mount transforms, mcpServers files.
        .testTarget(name: "ManifoldMeshTests", dependencies: [
            "ManifoldPlugins", "ManifoldManifest", "ManifoldCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
    ] + plugins.map(\.1) + [ffiTestLibrary.1]
)

// Fuzz targets (Fuzz/README.md, scripts/fuzz): libFuzzer executables, added to the package only
// when MANIFOLD_FUZZ=1, so the normal build never sees them. scripts/fuzz builds them in their
// own scratch path with `--sanitize=fuzzer` (each main.swift only defines LLVMFuzzerTestOneInput;
// libFuzzer provides main) and runs them on the corpus in Fuzz/corpus/<name>/.
if Context.environment["MANIFOLD_FUZZ"] == "1" {
    func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
        .executableTarget(name: name, dependencies: dependencies, path: "Fuzz/Sources/\(name)")
    }
    package.targets += [
        // JSON-RPC envelope → RequestParams → Dispatcher.handle on a small in-memory composition.
        fuzzTarget("FuzzEnvelope", ["ManifoldProtocol", "ManifoldCore"]),
        // Raw bytes → the HTTP endpoint's whole NIO pipeline (EmbeddedChannel), with auth on.
        fuzzTarget("FuzzHTTP", [
            "ManifoldServer", "ManifoldCore", "ManifoldProtocol",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // Host and plugin manifests (YAML / JSON) → the typed model.
        fuzzTarget("FuzzManifest", ["ManifoldManifest"]),
    ]
    package.products += ["FuzzEnvelope", "FuzzHTTP", "FuzzManifest"].map { .executable(name: $0, targets: [$0]) }
}
