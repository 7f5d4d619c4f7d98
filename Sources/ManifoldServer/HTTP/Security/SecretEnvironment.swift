import Foundation
import ManifoldProtocol
import Synchronization

/// Environment variables that hold credentials for this process only — the static bearer
/// tokens named by `auth.bearer.tokensEnv`. `take` reads such a variable once and removes it
/// from the process environment, so no child process started afterwards (a stdio remote
/// server, an isolated plugin runner) inherits the endpoint's tokens; the value stays available
/// to the endpoint through `value(_:)`.
///
/// `manifold serve` takes every `tokensEnv` of the manifest's HTTP endpoints before it loads
/// anything (`take(from:)`), since loading may already spawn children.
public enum SecretEnvironment {
    private static let taken = Mutex<[String: String]>([:])

    /// Reads `name` and removes it from the environment (idempotent: a second call returns the
    /// value the first one took).
    @discardableResult
    public static func take(_ name: String) -> String? {
        taken.withLock { table in
            if let known = table[name] { return known }
            guard let pointer = getenv(name) else { return nil }
            let value = String(cString: pointer)
            table[name] = value
            unsetenv(name)
            return value
        }
    }

    /// Takes the `auth.bearer.tokensEnv` variable of an HTTP endpoint's settings, if any.
    public static func take(from settings: JSONValue) {
        if let name = settings["auth"]?["bearer"]?["tokensEnv"]?.stringValue { take(name) }
    }

    /// The environment as the authentication layer sees it: the process environment plus the
    /// variables taken out of it.
    static func value(_ name: String) -> String? {
        take(name)
    }

    static var snapshot: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in taken.withLock({ $0 }) { environment[name] = value }
        return environment
    }
}
