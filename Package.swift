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
]

let package = Package(
    name: "Manifold",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "manifold", targets: ["manifold"]),
        .library(name: "ManifoldPluginKit", targets: ["ManifoldPluginKit"]),
    ] + plugins.map(\.0),
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // The plugin ABI: a pure C header, the contract with every plugin.
        .target(name: "CManifoldABI"),
        // JSON-RPC 2.0 and MCP messages; single-pass JSON scanning and writing. No I/O.
        .target(name: "ManifoldProtocol"),
        // POSIX I/O primitives endpoints and client transports share: blocking line reading,
        // coalescing frame writing.
        .target(name: "ManifoldIO"),
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
        // Providers that load things: native plugins (dlopen + ABI).
        .target(name: "ManifoldPlugins", dependencies: [
            "CManifoldABI", "ManifoldCore", "ManifoldManifest", "ManifoldIO",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Endpoints: stdio and Streamable HTTP (+ legacy HTTP+SSE), auth, health.
        .target(name: "ManifoldServer", dependencies: [
            "ManifoldCore", "ManifoldIO",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // What a Swift plugin author imports: a typed API over the C ABI.
        .target(name: "ManifoldPluginKit", dependencies: ["CManifoldABI"]),
        // The command-line tool.
        .executableTarget(name: "manifold", dependencies: [
            "ManifoldCore", "ManifoldManifest", "ManifoldPlugins", "ManifoldServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "ManifoldProtocolTests", dependencies: ["ManifoldProtocol"]),
        .testTarget(name: "ManifoldCoreTests", dependencies: ["ManifoldCore"]),
        .testTarget(name: "ManifoldManifestTests", dependencies: ["ManifoldManifest"]),
        // Loads the built Swift plugins with a test host; deliberately without ManifoldPluginKit, so the
        // plugins' copies of the kit are the only ones in the process.
        .testTarget(name: "ManifoldPluginKitTests", dependencies: ["CManifoldABI"]),
        .testTarget(name: "ManifoldPluginsTests", dependencies: ["ManifoldPlugins", "ManifoldManifest"]),
        .testTarget(name: "ManifoldServerTests", dependencies: [
            "ManifoldServer",
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "EndToEndTests", dependencies: ["ManifoldProtocol"]),
    ] + plugins.map(\.1)
)
