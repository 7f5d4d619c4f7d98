/// The syslog severities MCP uses for `logging/setLevel` and `notifications/message`, in
/// increasing order. Raw values match `manifold_log_level` in the plugin ABI.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case debug = 0, info, notice, warning, error, critical, alert, emergency

    public var name: String {
        switch self {
        case .debug: return "debug"
        case .info: return "info"
        case .notice: return "notice"
        case .warning: return "warning"
        case .error: return "error"
        case .critical: return "critical"
        case .alert: return "alert"
        case .emergency: return "emergency"
        }
    }

    public init?(name: String) {
        guard let level = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = level
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}
