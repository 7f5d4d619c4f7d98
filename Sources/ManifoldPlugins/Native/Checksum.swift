import Crypto
import Foundation

/// SHA-256 of files, for the `sha256` pin of plugin manifests and content-addressed copies.
public enum Checksum {
    /// Lower-case hex SHA-256 of the file at `path`, or nil when it cannot be read.
    public static func sha256(ofFile path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
