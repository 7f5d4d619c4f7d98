/// A problem in a manifest, located in the file so a user can fix it: which file, where
/// (1-based line and column of the offending key, or of the value when the value is wrong),
/// the key path (`mounts[1].prefix`) and a one-line message.
///
///     manifests/demo.yaml:12:5: unknown key 'prefx' in mounts[1] (did you mean 'prefix'?)
///
/// `line` and `column` are 0 when the problem has no position in the text (the file cannot
/// be read, or a plugin folder does not exist); `description` then omits them.
public struct ManifestError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The manifest file as the caller named it (relative paths stay relative).
    public var file: String
    /// 1-based line, or 0 when the problem is not at a position in the file.
    public var line: Int
    /// 1-based column (counted in Unicode scalars), or 0.
    public var column: Int
    /// Where in the document: `mounts[1].prefix`, `endpoints[0].http.listen`; empty for the
    /// document itself.
    public var keyPath: String
    /// What is wrong, for a human: `'prefix' must be a string, found a list`.
    public var message: String

    public init(file: String, line: Int, column: Int, keyPath: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    /// The position as a `SourceLocation`.
    public var location: SourceLocation { SourceLocation(file: file, line: line, column: column) }

    /// `<file>:<line>:<column>: <message>`, or `<file>: <message>` without a position.
    public var description: String {
        line > 0 ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)"
    }
}
