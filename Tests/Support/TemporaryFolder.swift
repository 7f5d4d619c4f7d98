import Foundation

/// A temporary folder for one test's files (manifests, copies of plugin libraries), removed when
/// the value goes. Shared by the Swift test targets that write files.
public final class TemporaryFolder: @unchecked Sendable {
    public let path: String

    /// A new empty folder under the system's temporary directory, named `<label>-<uuid>`.
    public init(label: String = "manifold-tests") {
        path = FileManager.default.temporaryDirectory.appendingPathComponent(label + "-" + UUID().uuidString)
            .standardizedFileURL.path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes a file (atomically: a temporary file renamed into place; folders in `name` are
    /// created) and returns its absolute path.
    @discardableResult
    public func write(_ name: String, _ contents: String) -> String {
        let file = path + "/" + name
        try! FileManager.default.createDirectory(atPath: URL(fileURLWithPath: file).deletingLastPathComponent().path,
                                                 withIntermediateDirectories: true)
        try! contents.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Copies a file in — written beside its destination with mode 0755, then renamed into
    /// place, so a folder watcher sees one complete file; folders in `name` are created — and
    /// returns the destination.
    @discardableResult
    public func copy(_ source: String, as name: String) -> String {
        let destination = path + "/" + name
        let folder = URL(fileURLWithPath: destination).deletingLastPathComponent().path
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = folder + "/.partial-" + UUID().uuidString  // hidden: watchers skip dot files
        let data = FileManager.default.contents(atPath: source)!
        precondition(FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o755]),
                     "cannot write \(temporary)")
        precondition(rename(temporary, destination) == 0, "rename \(temporary) → \(destination): errno \(errno)")
        return destination
    }

    /// A subfolder (created if needed).
    public func folder(_ name: String) -> String {
        let sub = path + "/" + name
        try! FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        return sub
    }
}
