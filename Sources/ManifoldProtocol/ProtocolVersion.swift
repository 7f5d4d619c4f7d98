/// MCP protocol revisions Manifold speaks, and the negotiation rule of `initialize`.
public struct ProtocolVersion: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let v2024_11_05 = ProtocolVersion(rawValue: "2024-11-05")
    public static let v2025_03_26 = ProtocolVersion(rawValue: "2025-03-26")
    public static let v2025_06_18 = ProtocolVersion(rawValue: "2025-06-18")
    public static let v2025_11_25 = ProtocolVersion(rawValue: "2025-11-25")

    /// Oldest first.
    public static let supported: [ProtocolVersion] = [.v2024_11_05, .v2025_03_26, .v2025_06_18, .v2025_11_25]
    public static let latest = ProtocolVersion.v2025_11_25

    public var isSupported: Bool { Self.supported.contains(self) }

    /// The version to answer a client that asked for `requested`: the same if supported,
    /// otherwise the latest this server speaks (the client then decides whether to continue).
    public static func negotiate(_ requested: String?) -> ProtocolVersion {
        guard let requested else { return latest }
        let version = ProtocolVersion(rawValue: requested)
        return version.isSupported ? version : latest
    }

    /// JSON-RPC batches were removed in 2025-06-18.
    public var allowsBatches: Bool { self < .v2025_06_18 }

    /// Dates compare as strings.
    public static func < (a: ProtocolVersion, b: ProtocolVersion) -> Bool { a.rawValue < b.rawValue }

    public var description: String { rawValue }
}
